"""Start, watch and stop local worker processes (`vip worker --workers 1` each)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import structlog

from app.processes import vip_command
from app.settings import Settings

log = structlog.get_logger(__name__)

STOP_TIMEOUT_S = 6.0  # then SIGKILL: a job not handed back by then is re-queued by the reaper


WORKER_NICENESS = 10  # analysis yields the CPU to the GUI and the operator's other work


def _prepare_child() -> None:
    """In the new worker process: lower its priority; on Linux, SIGTERM it if its parent dies."""
    try:
        os.nice(WORKER_NICENESS)
    except OSError:
        pass
    if not sys.platform.startswith("linux"):
        return
    try:  # Linux: run only on CPU time nothing else wants; the GUI always preempts analysis
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    except (OSError, AttributeError):
        pass
    try:
        # With autogroup scheduling, nice only counts inside a session; a worker is its own
        # session (start_new_session), so lower the priority of that session's group too.
        with open("/proc/self/autogroup", "w") as autogroup:
            autogroup.write(str(WORKER_NICENESS))
    except OSError:
        pass
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class WorkerPool:
    """N worker processes owned by this process; restarted if they die, stopped gracefully."""

    def __init__(self, settings: Settings, count: int, env: dict[str, str] | None = None) -> None:
        self._settings = settings
        self.count = count
        self._env = env
        self._procs: list[subprocess.Popen[bytes]] = []
        self._stopping = False

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self._procs if p.poll() is None]

    def start(self) -> None:
        while len(self._procs) < self.count:
            self._procs.append(self._spawn())

    def _spawn(self) -> subprocess.Popen[bytes]:
        command = vip_command("worker", "--workers", "1")
        env = dict(os.environ if self._env is None else self._env)
        env.setdefault("VIP_DATA_DIR", str(self._settings.data_dir))
        process = subprocess.Popen(
            # Workers log to their own files; their console output would garble ours.
            command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True,
            preexec_fn=_prepare_child if os.name == "posix" else None,
        )
        log.info("worker_spawned", pid=process.pid)
        return process

    def check(self) -> int:
        """Restart workers that exited unexpectedly; return how many are running."""
        if self._stopping:
            return 0
        for i, process in enumerate(self._procs):
            if process.poll() is not None:
                log.warning("worker_died", pid=process.pid, returncode=process.returncode)
                self._procs[i] = self._spawn()
        return len(self.pids)

    def stop(self) -> None:
        """SIGTERM every worker (they hand running jobs back), wait, then SIGKILL leftovers."""
        self._stopping = True
        for process in self._procs:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for process in self._procs:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("worker_killed", pid=process.pid)
                process.kill()
                process.wait()
        self._procs.clear()
        log.info("worker_pool_stopped")
