"""Start-up time of the frozen app: process start → main window first shown, against a bare PySide6 window.

    .venv/bin/python benchmarks/bench_startup.py [--app dist/vip/vip] [--repeats 5] [--json]

Each repeat starts, alternating, (a) the app (`dist/vip/vip`, offscreen, a fresh temporary data dir,
VIP_WORKERS=1, VIP_STARTUP_PROBE=1), (b) a bare QMainWindow in this Python and (c) the same bare
window frozen by the same PyInstaller (built once, cached in ~/.cache/vip-desktop-bench), rotating
the order each round, and times from spawning the process to the `window_shown` line each prints
on stderr when its window is first exposed. The target (ratio ≤ 2) is checked against (b), the
stricter baseline: (c) also pays the bootloader and the frozen archive, as the app does. The app is then stopped with SIGTERM (which stops its workers and its database) and the
next run waits for that. Reported: the medians, their ratio (target ≤ 2), and from the app's log
when its embedded FerretDB was up and its first worker spawned (the first start of the app also
starts FerretDB, in the background of the shown window), plus `vip --help` (bootloader + Python +
CLI import) and a cold FerretDB start on its own. `--json` prints one JSON object as the last line.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

BARE_WINDOW = r"""
import os, sys, time
def age():
    try:
        with open("/proc/self/stat") as fh:
            ticks = int(fh.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime") as fh:
            return float(fh.read().split()[0]) - ticks / os.sysconf("SC_CLK_TCK")
    except Exception:
        return time.perf_counter()
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication(sys.argv)
window = QMainWindow()
window.resize(1280, 800)
class Probe(QObject):
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Expose and watched.isExposed():
            print(f"window_shown {age():.3f}", file=sys.stderr, flush=True)
            QTimer.singleShot(0, app.quit)
        return False
window.winId()
probe = Probe()
window.windowHandle().installEventFilter(probe)
window.show()
app.exec()
"""


def _wait_for_line(process: subprocess.Popen[str], prefix: str, timeout_s: float) -> tuple[float | None, str | None]:
    """(seconds since spawn when a stderr line starting with `prefix` came, that line)."""
    found: list[tuple[float, str]] = []
    started = getattr(process, "started_at")
    done = threading.Event()

    def read() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            if not found and line.startswith(prefix):
                found.append((time.perf_counter() - started, line.strip()))
                done.set()
        done.set()

    threading.Thread(target=read, daemon=True).start()
    done.wait(timeout_s)
    return found[0] if found else (None, None)


def _spawn(cmd: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    started = time.perf_counter()
    process = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True, errors="replace")
    process.started_at = started  # type: ignore[attr-defined]
    process.started_wall = time.time()  # type: ignore[attr-defined]
    return process


def _stop(process: subprocess.Popen[str], timeout_s: float = 30) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _log_times(data_dir: Path, started_wall: float) -> dict[str, float]:
    """Seconds since spawn of the app's own log events (its gui-<pid>.log, structlog JSON)."""
    wanted = {"embedded_db_started": "db_ready_s", "worker_spawned": "first_worker_spawned_s"}
    out: dict[str, float] = {}
    for log in sorted((data_dir / "logs").glob("gui-*.log")):
        for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                event = json.loads(line)
            except ValueError:
                continue
            key = wanted.get(event.get("event", ""))
            if key and key not in out and event.get("timestamp"):
                at = datetime.fromisoformat(event["timestamp"].replace("Z", "+00:00")).timestamp()
                out[key] = round(at - started_wall, 3)
    return out


def run_app(app: Path, timeout_s: float) -> dict[str, Any]:
    data_dir = Path(tempfile.mkdtemp(prefix="vip-bench-startup-"))
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "VIP_DATA_DIR": str(data_dir), "VIP_WORKERS": "1",
           "VIP_STARTUP_PROBE": "1"}
    env.pop("VIP_MONGO_URI", None)
    process = _spawn([str(app)], env)
    try:
        shown, line = _wait_for_line(process, "window_shown", timeout_s)
        time.sleep(3 if shown is not None else 0)  # let the database and the first worker come up (logged)
    finally:
        _stop(process)
    result: dict[str, Any] = {"shown_s": None if shown is None else round(shown, 3),
                              "own_clock_s": float(line.split()[1]) if line else None}
    result.update(_log_times(data_dir, process.started_wall))  # type: ignore[attr-defined]
    shutil.rmtree(data_dir, ignore_errors=True)
    return result


def frozen_bare_window() -> Path | None:
    """The bare window frozen by the same PyInstaller (one-folder, defaults), built once and cached:
    the like-for-like baseline for a frozen app (bootloader + archive imports included)."""
    import hashlib

    import PySide6

    key = hashlib.sha256((BARE_WINDOW + PySide6.__version__ + sys.version).encode()).hexdigest()[:12]
    root = Path.home() / ".cache" / "vip-desktop-bench" / f"bare-window-{key}"
    exe = root / "dist" / "bare" / "bare"
    if exe.is_file():
        return exe
    root.mkdir(parents=True, exist_ok=True)
    (root / "bare.py").write_text(BARE_WINDOW, encoding="utf-8")
    pyinstaller = Path(sys.executable).with_name("pyinstaller")
    built = subprocess.run([str(pyinstaller), "--noconfirm", "--onedir", "--log-level", "ERROR", "--name", "bare",
                            "--distpath", str(root / "dist"), "--workpath", str(root / "build"),
                            "--specpath", str(root), str(root / "bare.py")], capture_output=True, text=True)
    if built.returncode != 0 or not exe.is_file():
        print(f"bench_startup: could not freeze the bare window: {built.stderr[-500:]}", file=sys.stderr)
        return None
    return exe


def run_bare(timeout_s: float, frozen: Path | None = None) -> dict[str, Any]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    process = _spawn([str(frozen)] if frozen else [sys.executable, "-c", BARE_WINDOW], env)
    try:
        shown, line = _wait_for_line(process, "window_shown", timeout_s)
    finally:
        _stop(process)
    return {"shown_s": None if shown is None else round(shown, 3),
            "own_clock_s": float(line.split()[1]) if line else None}


def time_help(app: Path) -> float:
    started = time.perf_counter()
    subprocess.run([str(app), "--help"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return round(time.perf_counter() - started, 3)


def time_ferretdb(ferretdb: Path, timeout_s: float = 30) -> float | None:
    """A cold start of FerretDB in an empty folder: spawn → accepting connections."""
    if not ferretdb.is_file():
        return None
    root = Path(tempfile.mkdtemp(prefix="vip-bench-ferretdb-"))
    (root / "db").mkdir()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started = time.perf_counter()
    process = subprocess.Popen([str(ferretdb), "--handler=sqlite", f"--sqlite-url=file:{root / 'db'}/",
                                f"--listen-addr=127.0.0.1:{port}", f"--state-dir={root}", "--telemetry=disable",
                                "--debug-addr=-", "--log-level=warn"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while time.perf_counter() - started < timeout_s:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    return round(time.perf_counter() - started, 3)
            except OSError:
                time.sleep(0.01)
        return None
    finally:
        process.terminate()
        process.wait(10)
        shutil.rmtree(root, ignore_errors=True)


def _median(values: list[float | None]) -> float | None:
    got = [v for v in values if v is not None]
    return round(statistics.median(got), 3) if got else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--app", type=Path, default=ROOT / "dist" / "vip" / "vip", help="the frozen executable")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=60, help="seconds to wait for a window")
    parser.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    args = parser.parse_args()
    if not args.app.is_file():
        print(f"bench_startup: {args.app} not found: build it with `bash scripts/build.sh`", file=sys.stderr)
        return 2

    frozen_bare = frozen_bare_window()
    run_bare(args.timeout)  # warm the page cache for all of them before timing
    run_app(args.app, args.timeout)
    if frozen_bare:
        run_bare(args.timeout, frozen_bare)
    runs: dict[str, list[dict[str, Any]]] = {"app": [], "bare": [], "bare-frozen": []}
    kinds = ["app", "bare"] + (["bare-frozen"] if frozen_bare else [])
    for i in range(args.repeats):
        for kind in kinds[i % len(kinds):] + kinds[:i % len(kinds)]:  # rotate the order each round
            if kind == "app":
                result = run_app(args.app, args.timeout)
            else:
                result = run_bare(args.timeout, frozen_bare if kind == "bare-frozen" else None)
            runs[kind].append(result)
            print(f"  {kind:11} #{i + 1}: {result}", file=sys.stderr)
    apps = runs["app"]

    app_s = _median([r["shown_s"] for r in apps])
    bare_s = _median([r["shown_s"] for r in runs["bare"]])
    frozen_bare_s = _median([r["shown_s"] for r in runs["bare-frozen"]])
    summary = {
        "benchmark": "startup",
        "app": str(args.app),
        "repeats": args.repeats,
        "app_window_shown_s": app_s,
        "bare_window_shown_s": bare_s,
        "ratio": round(app_s / bare_s, 2) if app_s and bare_s else None,
        "target_ratio": 2.0,
        "frozen_bare_window_shown_s": frozen_bare_s,
        "ratio_to_frozen_bare": round(app_s / frozen_bare_s, 2) if app_s and frozen_bare_s else None,
        "app_own_clock_s": _median([r["own_clock_s"] for r in apps]),
        "bare_own_clock_s": _median([r["own_clock_s"] for r in runs["bare"]]),
        "app_db_ready_s": _median([r.get("db_ready_s") for r in apps]),
        "app_first_worker_spawned_s": _median([r.get("first_worker_spawned_s") for r in apps]),
        "app_help_s": _median([time_help(args.app) for _ in range(3)]),
        "ferretdb_cold_start_s": _median([time_ferretdb(args.app.parent / "ferretdb") for _ in range(3)]),
    }
    summary["passed"] = summary["ratio"] is not None and summary["ratio"] <= summary["target_ratio"]
    print(f"window shown: app {app_s} s, bare PySide6 {bare_s} s, ratio {summary['ratio']} (target ≤ 2); "
          f"frozen bare PySide6 {frozen_bare_s} s, ratio {summary['ratio_to_frozen_bare']}; "
          f"database ready {summary['app_db_ready_s']} s, first worker {summary['app_first_worker_spawned_s']} s; "
          f"`vip --help` {summary['app_help_s']} s; FerretDB alone {summary['ferretdb_cold_start_s']} s",
          file=sys.stderr if args.json else sys.stdout)
    if args.json:
        print(json.dumps(summary))
    return 0 if summary["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
