"""Progress latency: from a worker's job-record write to the GUI's progress bar showing it.

While 2 real worker processes analyse generated videos, the real main window (offscreen,
qasync loop, the same controller as the app) polls the job records. For every job state
the jobs panel shows, the delay is `shown_at - job.updated_at` (both from this machine's
clock). A 10 ms Qt timer measures the loop's longest stall; a bare PySide6 window with the
same timer, run at the same time in its own process, gives the machine's floor.

    .venv/bin/python benchmarks/bench_progress.py [--videos 6] [--json]

Targets (issue #2): p95 ≤ 500 ms, longest stall ≤ 50 ms. With --json the last line is one
JSON object with the figures and the targets.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGET_P95_MS = 500.0
TARGET_STALL_MS = 50.0

# Baseline, run at the same time: a bare PySide6 window with the same 10 ms timer and no
# app code. Its longest stall is this machine's scheduling floor under the same load.
BARE_QT = r"""
import os, sys, time
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication(sys.argv)
window = QMainWindow(); window.resize(1280, 800); window.show()
stalls, last = [0.0], [time.perf_counter()]
def tick():
    now = time.perf_counter(); stalls.append((now - last[0]) * 1000 - 10); last[0] = now
    if sys.stdin in __import__("select").select([sys.stdin], [], [], 0)[0]:
        print(round(max(stalls), 1), flush=True); app.quit()
print("ready", flush=True)
timer = QTimer(); timer.setInterval(10); timer.timeout.connect(tick); timer.start()
app.exec()
"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


async def measure(work: Path, videos: list[Path]) -> dict[str, float]:
    from PySide6.QtCore import QTimer

    from app.embedded_db import EmbeddedDatabase
    from app.gui_session import settle_garbage_collector
    from app.settings import Settings
    from app.wiring import build_services
    from app.worker_pool import WorkerPool
    from core.models import JobStatus
    from core.repositories import DatabaseAddress
    from core.timeutil import utc_now
    from core.services import ClientServices
    from ui.main_controller import ControllerConfig, MainController
    from ui.main_view import MainView

    env = dict(os.environ, VIP_DATA_DIR=str(work / "data"), VIP_WORKERS="2")
    server = None
    if not env.get("VIP_MONGO_URI"):
        server = EmbeddedDatabase(work / "data", work / "data" / "logs")
        env["VIP_MONGO_URI"] = await asyncio.to_thread(server.acquire)
    env["VIP_DB_NAME"] = f"bench_progress_{int(time.time())}"
    settings = Settings.load(env)
    services = await build_services(settings, DatabaseAddress(env["VIP_MONGO_URI"], env["VIP_DB_NAME"]))
    pool = WorkerPool(settings, 2, env=env)
    await asyncio.to_thread(pool.start)
    view = MainView()
    view.show()
    controller = MainController(  # no search (None), as before: no index sync between the polls measured
        view, ClientServices(services.projects, services.imports, services.library, services.jobs,
                             None, analysis=services.analysis),  # type: ignore[arg-type]
        ControllerConfig(samples_dir=work / "samples", database_text="bench", offer_samples=False,
                         local_workers=pool.check))
    delays_ms: list[float] = []

    def on_shown(job: object) -> None:
        if job.status == JobStatus.RUNNING and job.worker_id:  # type: ignore[attr-defined]
            delays_ms.append((utc_now() - job.updated_at).total_seconds() * 1000)  # type: ignore[attr-defined]

    controller.on_job_shown = on_shown
    stalls: list[float] = []
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        stalls.append((now - last[0]) * 1000 - 10)
        if stalls[-1] > 30 and os.environ.get("VIP_BENCH_DEBUG"):
            print(f"stall {stalls[-1]:.0f} ms at {now:.3f}", file=sys.stderr)
        last[0] = now

    if os.environ.get("VIP_BENCH_DEBUG"):
        import logging
        logging.getLogger("asyncio").setLevel(logging.WARNING)
        loop = asyncio.get_running_loop()
        loop.set_debug(True)
        loop.slow_callback_duration = 0.02
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(tick)
    try:
        await controller.start()
        settle_garbage_collector()  # as the app does after start-up
        # Wait until both workers are up, so start-up is not counted as progress delay.
        while len(await services.library.workers_alive()) < 2:
            await asyncio.sleep(0.1)
        bare = subprocess.Popen([sys.executable, "-c", BARE_QT], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, text=True)
        assert bare.stdout and bare.stdout.readline().strip() == "ready"
        last[0] = time.perf_counter()
        timer.start()
        started = time.perf_counter()
        jobs = await controller.import_paths(videos)
        while True:
            current = await services.jobs.get_many([j.id for j in jobs])
            if all(j.status.finished for j in current):
                break
            await asyncio.sleep(0.2)
        await asyncio.sleep(0.6)  # let the last poll land on screen
        elapsed = time.perf_counter() - started
        timer.stop()
        bare_stall, _ = bare.communicate("stop\n", timeout=30)
        failed = [j for j in current if j.status != JobStatus.SUCCEEDED]
        if failed:
            raise SystemExit(f"{len(failed)} benchmark jobs failed: {failed[0].error}")
    finally:
        await controller.stop()
        await asyncio.to_thread(pool.stop)
        await services.close()
        if server:
            await asyncio.to_thread(server.release)
    return {
        "samples": len(delays_ms),
        "p50_ms": round(statistics.median(delays_ms), 1),
        "p95_ms": round(percentile(delays_ms, 95), 1),
        "max_ms": round(max(delays_ms), 1),
        "longest_stall_ms": round(max(stalls), 1),
        "baseline_bare_qt_longest_stall_ms": float(bare_stall.strip()),
        "seconds": round(elapsed, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--videos", type=int, default=6)
    parser.add_argument("--seconds", type=int, default=30, help="length of each generated 1080p video")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    from PySide6.QtWidgets import QApplication
    import qasync

    from tests.media import make_slow_video

    with tempfile.TemporaryDirectory(prefix="vip-bench-") as tmp:
        work = Path(tmp)
        print(f"generating {args.videos} videos…", file=sys.stderr)
        videos = []
        first = make_slow_video(work / "v0.mp4", args.seconds)
        for i in range(args.videos):  # distinct content per file (de-duplication is by content)
            copy = work / f"v{i}.mp4"
            if i:
                copy.write_bytes(first.read_bytes() + i.to_bytes(4, "big"))
            videos.append(copy)
        app = QApplication.instance() or QApplication(sys.argv)
        app.setQuitOnLastWindowClosed(False)
        result = qasync.run(measure(work, videos))
    result.update(target_p95_ms=TARGET_P95_MS, target_longest_stall_ms=TARGET_STALL_MS,
                  p95_ok=result["p95_ms"] <= TARGET_P95_MS,
                  stall_ok=result["longest_stall_ms"] <= TARGET_STALL_MS)
    print(f"progress write → progress bar: p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms "
          f"(target ≤ {TARGET_P95_MS:.0f}), max {result['max_ms']} ms over {result['samples']} updates")
    print(f"GUI loop longest stall: {result['longest_stall_ms']} ms (target ≤ {TARGET_STALL_MS:.0f}); "
          f"a bare PySide6 window in the same run: {result['baseline_bare_qt_longest_stall_ms']} ms")
    if args.json:
        print(json.dumps(result))
    return 0 if result["p95_ok"] and result["stall_ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
