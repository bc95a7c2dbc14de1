"""SIGTERM, a stuck main thread, a SIGKILL and a dead display: the app always ends within 10 s,
and its workers and the embedded database with it (#12). Real `vip gui` processes, headless."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.processes import process_running
from tests.e2e.waiting import wait_for

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
ENDS_WITHIN_S = 10.0


class Gui:
    """A `vip gui` process on its own data dir and embedded database, one worker."""

    def __init__(self, tmp_path: Path, argv: list[str] | None = None, display: str | None = None) -> None:
        self.data = tmp_path / "data"
        env = dict(os.environ, VIP_DATA_DIR=str(self.data), VIP_WORKERS="1", VIP_HEARTBEAT_S="0.5")
        for key in ("VIP_MONGO_URI", "VIP_REDIS_URL", "VIP_DB_NAME", "VIP_WATCHDOG"):
            env.pop(key, None)
        if display:
            env.update(QT_QPA_PLATFORM="xcb", DISPLAY=display)
        else:
            env["QT_QPA_PLATFORM"] = "offscreen"
        self.process = subprocess.Popen(argv or [sys.executable, "-m", "app", "gui"], env=env, cwd=ROOT,
                                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.workers: list[int] = []
        self.database: int | None = None

    def wait_ready(self) -> None:
        def ready() -> list[int] | None:
            if self.process.poll() is not None:
                raise AssertionError(f"the app exited early ({self.process.returncode}): {self.process.stderr.read()}")
            for log in (self.data / "logs").glob(f"gui-{self.process.pid}.log"):
                for line in log.read_text().splitlines():
                    if '"gui_ready"' in line:
                        return list(json.loads(line)["workers"])
            return None

        self.workers = wait_for(ready, 90, "the app to be ready")
        wait_for(lambda: all('"worker_started"' in self._log(f"worker-{pid}.log") for pid in self.workers), 60,
              "its worker to start")
        self.database = json.loads((self.data / "db" / "server.json").read_text())["pid"]
        assert self.workers and all(process_running(p) for p in self.workers) and process_running(self.database)

    def _log(self, name: str) -> str:
        path = self.data / "logs" / name
        return path.read_text() if path.exists() else ""

    def ended_within(self, seconds: float) -> float:
        started = time.monotonic()
        try:
            self.process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise AssertionError(f"the app was still running {seconds:.0f} s later") from None
        return time.monotonic() - started

    def children_gone(self, seconds: float) -> None:
        assert self.database is not None
        wait_for(lambda: not any(process_running(p) for p in [*self.workers, self.database]), seconds,
              f"workers {self.workers} and the database (pid {self.database}) to stop")

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        for pid in [*self.workers, *([self.database] if self.database else [])]:
            if process_running(pid):
                os.kill(pid, signal.SIGKILL)


def test_sigterm_ends_the_app_its_workers_and_its_database(tmp_path: Path) -> None:
    gui = Gui(tmp_path)
    try:
        gui.wait_ready()
        gui.process.send_signal(signal.SIGTERM)
        took = gui.ended_within(ENDS_WITHIN_S)
        assert gui.process.returncode == 0, gui.process.stderr.read()
        assert gui.database is not None
        assert not any(process_running(p) for p in [*gui.workers, gui.database]), f"left running after {took:.1f} s"
        assert not (gui.data / "db" / "server.json").exists()
    finally:
        gui.kill()


def test_a_stuck_main_thread_is_ended_by_the_native_watchdog(tmp_path: Path) -> None:
    # The main thread blocks in C holding the GIL (as in the player deadlock): SIGTERM's Python
    # handler never runs, so only the watchdog's native thread can end the process.
    gui = Gui(tmp_path, [sys.executable, str(ROOT / "tests" / "e2e" / "gui_driver.py"), "hang"])
    try:
        gui.wait_ready()
        wait_for((gui.data / "hanging").exists, 10, "the main thread to get stuck")
        gui.process.send_signal(signal.SIGTERM)
        gui.ended_within(ENDS_WITHIN_S)
        assert gui.process.returncode == 1
        stacks = (gui.data / "logs" / "watchdog.log").read_text()
        assert "Timeout" in stacks and "in hang\n" in stacks  # where it was stuck
        # The kernel tells the workers (PR_SET_PDEATHSIG); the last to leave stops the database.
        gui.children_gone(ENDS_WITHIN_S)
    finally:
        gui.kill()


def test_a_sigkilled_app_leaves_no_worker_and_no_database_running(tmp_path: Path) -> None:
    gui = Gui(tmp_path)
    try:
        gui.wait_ready()
        gui.process.kill()
        gui.process.wait()
        gui.children_gone(ENDS_WITHIN_S)
    finally:
        gui.kill()


def test_a_dead_display_ends_the_app_its_workers_and_its_database(tmp_path: Path) -> None:
    if shutil.which("Xvfb") is None:
        pytest.fail("Xvfb is required: run `bash scripts/setup.sh`")
    display = f":{os.getpid() % 1000 + 1000}"
    xvfb = subprocess.Popen(["Xvfb", display, "-nolisten", "tcp"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    wait_for(lambda: Path(f"/tmp/.X11-unix/X{display[1:]}").exists(), 10, "Xvfb to start")
    gui = Gui(tmp_path, display=display)
    try:
        gui.wait_ready()
        xvfb.kill()
        xvfb.wait()
        gui.ended_within(ENDS_WITHIN_S)
        gui.children_gone(ENDS_WITHIN_S)
    finally:
        gui.kill()
        if xvfb.poll() is None:
            xvfb.kill()
