"""`vip --self-test`: prove that this installation (source tree or frozen bundle) works end to end.

Runs in the `vip` process itself, in a temporary data dir that nothing else uses: starts the
embedded database, spawns one worker process the way the app does (WorkerPool), generates a
short clip with PyAV (cuts, a burned-in caption, a tone; no ffmpeg CLI), analyses it through
every stage, checks what the operator would look for (shots, on-screen text, summary, search),
opens the main window offscreen until the library shows the video, and cleans up. A stage whose
model is not installed is reported as skipped, not failed. Prints one line per step; exit 0
only when every step passed.
"""

from __future__ import annotations

import asyncio
import faulthandler
import json
import logging
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from app.logs import configure_logging
from app.processes import is_frozen, process_running
from app.settings import Settings
from app.embedded_db import DatabaseLease
from app.wiring import Services, build_services
from app.worker_pool import WorkerPool
from core.media.samples import SampleSpec, write_sample
from core.models import JobStatus, StageStatus
from core.repositories import DatabaseAddress, connect, ensure_indexes
from core.modelstore import ModelStore

# Settings that would point the self-test at the operator's own data, database or queue.
_CLEARED_ENV = ("VIP_MONGO_URI", "VIP_REDIS_URL", "VIP_DB_NAME", "VIP_DATA_DIR", "VIP_LOG_DIR", "VIP_WORKERS")
# The model each offline stage needs: without it the stage is skipped, not failed.
STAGE_MODELS = {"speech": ("whisper-base",), "ocr": ("pp-ocr",), "embed": ("minilm-l6",),
                "speakers": ("pyannote-segmentation-3", "resemblyzer-ge2e"),
                "people": ("dlib-faces",)}  # faces: dlib's HOG, no file
CLIP = SampleSpec("vip-self-test.mp4", 4.5, 640, 360, 25, ((30, 60, 140), (170, 80, 40), (40, 130, 70)),
                  tone_hz=440.0)
CAPTION_WORD = "sample"  # the burned-in caption reads "VIP sample - scene N of 3"
SEARCH_QUERY = "sample scene"
WORKER_TIMEOUT_S = 90.0
ANALYSIS_TIMEOUT_S = 420.0
WINDOW_TIMEOUT_S = 60.0
STRESS_WATCHDOG_S = 240  # the player stress: a hang past this ends the process (faulthandler)


class StepFailed(Exception):
    """A check did not hold; the message says what was seen."""


@dataclass
class Outcome:
    detail: str
    status: str = "ok"  # "ok" | "skipped" | "failed"
    lines: list[str] = field(default_factory=list)  # sub-lines under the step (per stage)


@dataclass
class StepResult:
    name: str
    status: str
    seconds: float
    detail: str

    def to_doc(self) -> dict[str, Any]:
        return {"name": self.name, "status": self.status, "seconds": round(self.seconds, 2), "detail": self.detail}


class Report:
    """The operator's view: one line per step as it finishes, then the verdict."""

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self.steps: list[StepResult] = []
        try:
            "✓✗–".encode(getattr(out, "encoding", None) or "utf-8")
            self._marks = {"ok": "✓", "failed": "✗", "skipped": "–"}
        except (UnicodeEncodeError, LookupError):
            self._marks = {"ok": "+", "failed": "x", "skipped": "-"}

    @property
    def failed(self) -> list[StepResult]:
        return [s for s in self.steps if s.status == "failed"]

    def add(self, name: str, outcome: Outcome, seconds: float) -> None:
        self.steps.append(StepResult(name, outcome.status, seconds, outcome.detail))
        self._out.write(f"{self._marks[outcome.status]} {name:<15} {seconds:6.1f} s  {outcome.detail}\n")
        for line in outcome.lines:
            self._out.write(f"    {line}\n")
        self._out.flush()

    def mark(self, status: str) -> str:
        return self._marks[status]


def _outcome(value: Outcome | str) -> Outcome:
    return value if isinstance(value, Outcome) else Outcome(value)


def _failure(exc: BaseException) -> Outcome:
    text = str(exc) if isinstance(exc, StepFailed) else f"{type(exc).__name__}: {exc}"
    return Outcome(text.strip().splitlines()[0] if text.strip() else type(exc).__name__, "failed")


def run_step(report: Report, name: str, body: Callable[[], Outcome | str]) -> bool:
    started = time.monotonic()
    try:
        outcome = _outcome(body())
    except Exception as exc:  # noqa: BLE001 - every failure becomes the step's ✗ line
        logging.getLogger("vip.self_test").exception("self_test_step_failed")
        outcome = _failure(exc)
    report.add(name, outcome, time.monotonic() - started)
    return outcome.status != "failed"


async def run_async_step(report: Report, name: str, body: Callable[[], Awaitable[Outcome | str]]) -> bool:
    started = time.monotonic()
    try:
        outcome = _outcome(await body())
    except Exception as exc:  # noqa: BLE001 - every failure becomes the step's ✗ line
        logging.getLogger("vip.self_test").exception("self_test_step_failed")
        outcome = _failure(exc)
    report.add(name, outcome, time.monotonic() - started)
    return outcome.status != "failed"


def isolated_environment(data_dir: Path) -> dict[str, str]:
    """This process's environment with the operator's database, queue and data dir taken out."""
    env = {k: v for k, v in os.environ.items() if k not in _CLEARED_ENV}
    env.update(VIP_DATA_DIR=str(data_dir), VIP_WORKERS="1")
    return env


@dataclass
class _State:
    """What the steps share; filled in as they run."""

    root: Path
    settings: Settings
    env: dict[str, str]
    missing_models: dict[str, str] = field(default_factory=dict)  # model name -> status
    lease: DatabaseLease | None = None
    database: DatabaseAddress | None = None
    pool: WorkerPool | None = None
    clip: Path | None = None
    video_id: str | None = None
    stage_status: dict[str, str] = field(default_factory=dict)  # stage -> "ok" | "skipped"
    library_status: str = "Ready"  # how the library row's status must start: "Failed" when a stage was skipped
    child_pids: list[int] = field(default_factory=list)


def run_self_test(keep: bool = False, as_json: bool = False, out: TextIO = sys.stdout, stress: bool = False) -> int:
    """Run every step, clean up, print the report; 0 when all passed, 1 otherwise."""
    started = time.monotonic()
    root = Path(tempfile.mkdtemp(prefix="vip-self-test-"))
    env = isolated_environment(root / "data")
    for key in _CLEARED_ENV:  # this process too: nothing here may reach the operator's data
        os.environ.pop(key, None)
    os.environ.update(VIP_DATA_DIR=env["VIP_DATA_DIR"], VIP_WORKERS="1")
    settings = Settings.load(env)
    configure_logging("self-test", settings.log_dir, console_level=logging.CRITICAL)
    state = _State(root=root, settings=settings, env=env)
    report = Report(out)
    kind = "frozen app" if is_frozen() else "source install"
    out.write(f"VIP Desktop self-test ({kind}, {sys.executable})\n")
    out.flush()
    try:
        _run_steps(report, state, stress)
    finally:
        run_step(report, "clean-up", lambda: _clean_up(state, keep))
    took = time.monotonic() - started
    failed = report.failed
    if failed:
        out.write(f"self-test FAILED in {took:.1f} s: {', '.join(s.name for s in failed)}\n")
    else:
        out.write(f"self-test passed in {took:.1f} s\n")
    if keep:
        out.write(f"kept the temporary data dir (logs in {settings.log_dir}): {root}\n")
    if as_json:
        out.write(json.dumps({"self_test": "failed" if failed else "passed", "seconds": round(took, 2),
                              "frozen": is_frozen(), "kept": str(root) if keep else None,
                              "steps": [s.to_doc() for s in report.steps]}) + "\n")
    out.flush()
    return 1 if failed else 0


def _run_steps(report: Report, state: _State, stress: bool = False) -> None:
    if not run_step(report, "data dir", lambda: f"temporary, {state.root}"):
        return
    run_step(report, "models", lambda: _check_models(state))
    if not run_step(report, "database", lambda: _start_database(state)):
        return
    if not run_step(report, "sample clip", lambda: _make_clip(state)):
        return
    if not asyncio.run(_analyse(report, state)):
        return
    if run_step(report, "main window", lambda: _open_window(state)) and stress:
        run_step(report, "player stress", lambda: _stress_player(state))


def _check_models(state: _State) -> Outcome:
    statuses = ModelStore(state.settings.data_dir).statuses()
    state.missing_models = {s.name: s.status for s in statuses if s.status != "ok"}
    ok = [s.name for s in statuses if s.status == "ok"]
    if not state.missing_models:
        return Outcome(f"{len(ok)} of {len(statuses)} ok ({', '.join(ok)})")
    missing = ", ".join(f"{name} {status}" for name, status in state.missing_models.items())
    return Outcome(f"{len(ok)} of {len(statuses)} ok; {missing}: their stages are skipped", "skipped")


def _start_database(state: _State) -> str:
    state.lease = DatabaseLease(state.settings)
    state.database = database = state.lease.acquire()
    server = json.loads((state.settings.data_dir / "db" / "server.json").read_text())
    state.child_pids.append(int(server["pid"]))
    version = _check_index_use(database)
    return (f"embedded FerretDB on {server['socket']} (pid {server['pid']}) — Unix socket only, "
            f"no TCP port; {version}, answers from its indexes")


def _check_index_use(database: DatabaseAddress) -> str:
    """The bundled server is the patched build (packaging/ferretdb-sqlite-pushdown.patch): a
    lookup by `_id` is answered from an index, not by reading the whole collection."""
    client, db = connect(database)
    try:
        ensure_indexes(db)
        version = str(db.command("buildInfo").get("ferretdbVersion", "?"))
        plan = " ".join(db.command("explain", {"find": "videos", "filter": {"_id": "self-test"}})
                        .get("queryPlanner", {}).get("Plan", []))
    finally:
        client.close()
    if "USING INDEX" not in plan:
        raise RuntimeError(f"the bundled FerretDB {version} reads whole collections instead of its indexes "
                           f"(plan: {plan or 'none'}); a library of thousands of videos would be unusable. "
                           "Rebuild the bundle after scripts/setup.sh has built the patched FerretDB.")
    return version


def _make_clip(state: _State) -> str:
    state.clip = state.root / "clips" / CLIP.name
    state.clip.parent.mkdir(parents=True, exist_ok=True)
    write_sample(state.clip, CLIP)
    return (f"{CLIP.name}: {CLIP.seconds:g} s, {len(CLIP.scenes)} shots, burned-in caption, "
            f"{CLIP.tone_hz:g} Hz tone (no speech), {state.clip.stat().st_size // 1024} kB")


async def _analyse(report: Report, state: _State) -> bool:
    """The steps that need the services (on this asyncio loop): worker, analysis, checks."""
    assert state.database is not None
    services = await build_services(state.settings, state.database)
    try:
        if not await run_async_step(report, "worker", lambda: _start_worker(state, services)):
            return False
        if not await run_async_step(report, "analysis", lambda: _run_analysis(state, services, report.mark)):
            return False
        await run_async_step(report, "shots", lambda: _check_shots(state, services))
        await run_async_step(report, "on-screen text", lambda: _check_text(state, services))
        await run_async_step(report, "summary", lambda: _check_summary(state, services))
        await run_async_step(report, "search", lambda: _check_search(state, services))
        await run_async_step(report, "editing software", lambda: _check_hand_off(state, services))
        await run_async_step(report, "REST API", lambda: _check_api(state, services))
        return True
    finally:
        await services.close()


async def _start_worker(state: _State, services: Services) -> str:
    state.pool = WorkerPool(state.settings, 1, env=state.env)
    await asyncio.to_thread(state.pool.start)
    pids = state.pool.pids
    state.child_pids += pids
    deadline = time.monotonic() + WORKER_TIMEOUT_S
    while time.monotonic() < deadline:
        alive = await services.library.workers_alive(within_s=state.settings.heartbeat_s * 3)
        if any(w.pid in pids for w in alive):
            return f"1 worker process online (pid {pids[0]}): {' '.join(_worker_argv())}"
        if not state.pool.pids:
            raise StepFailed(f"the worker process exited at start; its log is in {state.settings.log_dir}")
        await asyncio.sleep(0.2)
    raise StepFailed(f"no worker came online in {WORKER_TIMEOUT_S:.0f} s; logs in {state.settings.log_dir}")


def _worker_argv() -> list[str]:
    from app.processes import vip_command

    return [Path(a).name if i == 0 else a for i, a in enumerate(vip_command("worker", "--workers", "1"))]


async def _run_analysis(state: _State, services: Services, mark: Callable[[str], str]) -> Outcome:
    assert state.clip is not None and state.pool is not None
    project = await services.projects.ensure()  # the project the main window opens with
    imported = await services.imports.import_paths(project.id, [state.clip])
    if len(imported.items) != 1:
        raise StepFailed(f"importing {state.clip.name} gave {len(imported.items)} videos")
    video = imported.items[0].video
    state.video_id = video.id
    job = (await services.jobs.analyze([video]))[0]
    deadline = time.monotonic() + ANALYSIS_TIMEOUT_S
    while True:
        job = (await services.jobs.get_many([job.id]))[0]
        if job.status.finished:
            break
        if time.monotonic() > deadline:
            raise StepFailed(f"not finished after {ANALYSIS_TIMEOUT_S:.0f} s: {job.message}")
        if not state.pool.pids:
            raise StepFailed(f"the worker process died during {job.message}; logs in {state.settings.log_dir}")
        await asyncio.sleep(0.25)
    lines, failed = [], []
    for stage in job.stages:
        models = STAGE_MODELS.get(stage.name, ())
        model_missing = (any(m in state.missing_models for m in models)
                         or (stage.error is not None and stage.error.type == "ModelError"))
        # a stage that needs one skipped for its model (speakers after speech) is skipped with it
        after = [name for name, seen in state.stage_status.items() if seen == "skipped"
                 and stage.error is not None and stage.error.type == "StageSkipped" and name in stage.error.message]
        if stage.status.done:
            status, text = "ok", stage.message or str(stage.status)
        elif stage.status == StageStatus.FAILED and model_missing:
            status, text = "skipped", f"skipped: model missing ({', '.join(models)})"
        elif stage.status == StageStatus.FAILED and after:
            status, text = "skipped", f"skipped: needs {', '.join(after)}"
        else:
            status, text = "failed", stage.error.message if stage.error else f"{stage.status}: {stage.message}"
            failed.append(stage.name)
        state.stage_status[stage.name] = status
        lines.append(f"{mark(status)} {stage.name:<9} {_stage_seconds(stage)}  {text}")
    if failed:
        return Outcome(f"stages failed: {', '.join(failed)}", "failed", lines)
    done = sum(1 for s in state.stage_status.values() if s == "ok")
    if job.status != JobStatus.SUCCEEDED:  # a stage without its model fails the job, as in the app
        state.library_status = "Failed"
    verdict = "succeeded" if job.status == JobStatus.SUCCEEDED else "done with skipped stages"
    return Outcome(f"{verdict}: {done} of {len(job.stages)} stages ran in the worker", "ok", lines)


def _stage_seconds(stage: Any) -> str:
    if stage.started_at and stage.finished_at:
        return f"{(stage.finished_at - stage.started_at).total_seconds():5.1f} s"
    return "      "


def _needs(state: _State, *stages: str) -> str | None:
    """Why a check cannot run (a stage it reads was skipped for a missing model), else None."""
    skipped = [s for s in stages if state.stage_status.get(s) == "skipped"]
    return f"skipped: model missing ({', '.join(m for s in skipped for m in STAGE_MODELS[s])})" if skipped else None


async def _check_shots(state: _State, services: Services) -> str:
    assert state.video_id is not None
    shots = await services.library.shots(state.video_id)
    starts = ", ".join(f"{s.start_s:.1f}" for s in shots)
    if len(shots) != len(CLIP.scenes):
        raise StepFailed(f"{len(shots)} shots found, expected {len(CLIP.scenes)} (starts at {starts} s)")
    return f"{len(shots)} shots found, as cut (starts at {starts} s)"


async def _check_text(state: _State, services: Services) -> Outcome | str:
    assert state.video_id is not None
    if why := _needs(state, "ocr"):
        return Outcome(why, "skipped")
    texts = [s.text for s in await services.library.segments(state.video_id, "ocr")]
    found = next((t for t in texts if CAPTION_WORD in t.lower()), None)
    if found is None:
        raise StepFailed(f"the caption was not read; OCR found {texts[:3]!r}")
    return f"caption read: “{found}” ({len(texts)} text segments)"


async def _check_summary(state: _State, services: Services) -> str:
    assert state.video_id is not None
    summary = await services.library.summary(state.video_id)
    if summary is None or not (summary.overview or summary.chapters):
        raise StepFailed("no summary was written")
    chapters = len(summary.chapters)
    return f"written: {chapters} chapter{'s' if chapters != 1 else ''} ({summary.source})"


async def _check_search(state: _State, services: Services) -> Outcome | str:
    if why := _needs(state, "ocr", "embed"):
        return Outcome(why, "skipped")
    await services.search.sync()
    results = await services.search.search(SEARCH_QUERY, limit=5)
    hit = next((r for r in results if r.video_id == state.video_id), None)
    if hit is None or not hit.hits:
        raise StepFailed(f"“{SEARCH_QUERY}” did not find the clip ({len(results)} other results)")
    best = hit.best
    return f"“{SEARCH_QUERY}” finds the clip at {best.start_s:.1f} s ({best.modality}, by {'+'.join(best.matched_by)})"


async def _check_hand_off(state: _State, services: Services) -> str:
    """The clip with its markers as OTIO (read back with OpenTimelineIO) and as xmeml (its adapter
    plugin): both load in the bundle."""
    import opentimelineio as otio

    assert state.video_id is not None
    video = await services.exports.find_one(state.video_id)
    exported = {fmt: (await services.exports.export(video, fmt)).content.decode("utf-8") for fmt in ("otio", "xmeml")}
    timeline = otio.adapters.read_from_string(exported["otio"], "otio_json")
    markers = [m for clip in timeline.find_clips() for m in clip.markers]
    shots = sum(1 for m in markers if m.color == otio.schema.MarkerColor.BLUE)
    if not shots or "<xmeml" not in exported["xmeml"]:
        raise StepFailed(f"the hand-off lost the markers ({len(markers)} markers, xmeml {len(exported['xmeml'])} chars)")
    return f"OTIO with {len(markers)} markers ({shots} cuts), xmeml {len(exported['xmeml'])} chars"


async def _check_api(state: _State, services: Services) -> str:
    """The REST API under uvicorn on a free local port (as the app's Settings start it): the
    analysed video over HTTP with the token, 401 without it."""
    import socket
    import urllib.error
    import urllib.request

    from app.api_server import InProcessApiServer

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = InProcessApiServer(state.settings, services)
    base = await server.start("127.0.0.1", port)
    try:
        url = f"{base}/videos/{state.video_id}"

        def get(headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
            try:
                with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as answer:
                    return answer.status, json.loads(answer.read())
            except urllib.error.HTTPError as exc:
                return exc.code, json.loads(exc.read())

        status, video = await asyncio.to_thread(get, {"Authorization": f"Bearer {server.token}"})
        if status != 200 or video.get("id") != state.video_id:
            raise StepFailed(f"GET /api/v1/videos/ID answered {status}: {video}")
        refused, _ = await asyncio.to_thread(get, {})
        if refused != 401:
            raise StepFailed(f"without the token the API answered {refused}, not 401")
        return f"127.0.0.1:{port}: the clip as {video['name']} ({video['status']}); 401 without the token"
    finally:
        await server.stop()


def _open_window(state: _State) -> str:
    """Run the real GUI start-up (gui_main) offscreen until the library shows the analysed clip, then
    open it on the review page until its player (QtMultimedia, FFmpeg plugin) has loaded it."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication
    import qasync

    from app.gui_session import gui_main
    from app.watchdog import MainThreadWatchdog

    pool, video_id = state.pool, state.video_id
    assert pool is not None and video_id is not None
    app = QApplication.instance() or QApplication([sys.argv[0]])
    assert isinstance(app, QApplication)
    app.setApplicationName("VIP Desktop")
    app.setQuitOnLastWindowClosed(False)
    seen: dict[str, str] = {}

    async def scenario() -> int:
        from ui.main_view import MainView

        # The GUI shares the server and the worker; it stops the worker when it closes.
        gui = asyncio.ensure_future(gui_main(state.settings, DatabaseLease(state.settings), pool,
                                             offer_samples=False, watchdog=watchdog))
        deadline = time.monotonic() + WINDOW_TIMEOUT_S
        view: MainView | None = None
        try:
            while time.monotonic() < deadline and not gui.done():
                view = view or next((w for w in QApplication.topLevelWidgets() if isinstance(w, MainView)), None)
                if view is not None and video_id in view.library.video_ids() and "Status" not in seen:
                    seen.update(view.library.row_text(video_id))
                    if seen.get("Status", "").startswith(state.library_status) and view.isVisible():
                        view.video_activated.emit(video_id)  # open the review page: QtMultimedia's player
                    else:
                        seen.clear()
                if view is not None and view.showing_detail() and view.detail.player.is_ready():
                    seen["player"] = f"plays it ({view.detail.player.player.duration() / 1000:.1f} s)"
                    break
                await asyncio.sleep(0.05)
        finally:
            if view is not None:
                view.close()
            elif not gui.done():
                gui.cancel()
        return int(await asyncio.wait_for(gui, 60))

    watchdog = MainThreadWatchdog(state.settings.log_dir)  # as in the app: a hang ends the process
    try:
        code = qasync.run(scenario())
    finally:
        watchdog.cancel()  # the self-test goes on after the window
    if code:
        raise StepFailed(f"the app exited with code {code}")
    if not seen.get("Status", "").startswith(state.library_status):
        raise StepFailed(f"the library did not show the analysed clip in {WINDOW_TIMEOUT_S:.0f} s (row: {seen})")
    if "player" not in seen:
        raise StepFailed(f"the review page's player did not load the clip in {WINDOW_TIMEOUT_S:.0f} s "
                         "(QtMultimedia's FFmpeg plugin: see the log)")
    return (f"library shows {seen.get('Name')} · {seen.get('Duration')} · {seen.get('Resolution')} · "
            f"{seen.get('Status')}; the player {seen['player']} ({os.environ['QT_QPA_PLATFORM']})")


def _stress_player(state: _State) -> str:
    """Open, play, seek and close the review page and the window 200 times (ui.player_stress)
    under a native watchdog: a hang ends the process with every thread's stack on stderr."""
    from PySide6.QtWidgets import QApplication
    import qasync

    from core.media.probe import probe
    from ui.player_stress import StressReport, stress_player

    assert state.clip is not None
    QApplication.instance() or QApplication([sys.argv[0]])
    faulthandler.dump_traceback_later(STRESS_WATCHDOG_S, exit=True)
    try:
        report: StressReport = qasync.run(stress_player(state.clip, probe(state.clip), rounds=200, budget_s=120))
    finally:
        faulthandler.cancel_dump_traceback_later()
    if report.problems:
        raise StepFailed(f"{report.summary()}: {'; '.join(report.problems)}")
    return report.summary()


def _clean_up(state: _State, keep: bool) -> str:
    done = []
    if state.pool is not None:
        state.pool.stop()
        done.append("worker stopped")
    if state.lease is not None:
        state.lease.release()
        done.append("database stopped")
    left = [pid for pid in state.child_pids if process_running(pid)] + _processes_using(state.root)
    if left:
        raise StepFailed(f"processes left running: {sorted(set(left))}")
    if keep:
        done.append(f"kept {state.root}")
    else:
        shutil.rmtree(state.root)
        done.append("temporary data dir removed")
    return ", ".join(done)


def _processes_using(folder: Path) -> list[int]:
    """Pids whose command line names `folder` (Linux: /proc; elsewhere nothing is found)."""
    needle = str(folder).encode()
    found = []
    for entry in Path("/proc").glob("[0-9]*") if Path("/proc").is_dir() else []:
        try:
            if needle in (entry / "cmdline").read_bytes() and int(entry.name) != os.getpid() \
                    and process_running(int(entry.name)):
                found.append(int(entry.name))
        except (OSError, ValueError):
            continue
    return found
