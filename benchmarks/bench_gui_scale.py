"""The GUI at library scale: fill time, scroll frame times and event-loop stalls, measured.

Opens a data dir filled by `benchmarks/bench_scale.py` (the app's own layout) the way `vip`
does (app.gui / app.gui_session: the main window first, then the database lease, the services
and the controller on a qasync loop; no analysis workers), in this process, offscreen unless a
display is given (`xvfb-run`). It measures:

- from "database up" (the lease acquired) to the library list filled (every row of the opened
  project in the view's model: from the listing copy this host keeps when it has one, which the
  database then corrects; a first run has none and reads the database page by page; run twice)
  and the jobs panel filled (its newest jobs, then its history); the project opened is the largest
  one (the app opens "Default"; the benchmark's library lives in "Archive" and "Clients");
- scrolling the library list and the poster grid from top to bottom one viewport per step (as
  PageDown or a wheel flick does), each step timed from the scroll to the end of a forced
  synchronous repaint: per-frame p50/p95/max, first while the posters arrive lazily (decoded
  from a real JPEG off the loop), then with them loaded; baseline: a bare QListView and
  QTableView over a plain model with the same row count, in the same run;
- the longest event-loop stall (a 10 ms Qt timer) while the project is selected, a query is
  typed into the search box and runs, the Costs view opens, the job poll runs over the
  history, and idle (this machine's floor under its current load).

    xvfb-run -a .venv/bin/python benchmarks/bench_gui_scale.py --data-dir DIR [--shots DIR]

Targets (issue 11 item 5): filled ≤ 1 s after the database is up; scroll < 16 ms per frame;
no loop stall > 50 ms. Prints a table, then one JSON line. Opens the database read-mostly:
the benchmark imports nothing and runs no job.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

if not os.environ.get("DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGETS = {"filled_s": 1.0, "frame_ms": 16.0, "stall_ms": 50.0}
WINDOW = (1280, 800)
TYPE_DELAY_S = 0.12  # an operator typing ~8 keys a second


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 1)


class StallProbe:
    """A 10 ms Qt timer on the GUI thread: a tick that comes late is the loop stalling.

    The worst lateness is kept per phase (`enter`), for every phase active during the gap; and
    beside it the GUI thread's own CPU time in that gap (`busy`): on a loaded machine a tick
    can come late because the thread was not scheduled, not because the app was working."""

    INTERVAL_MS = 10

    def __init__(self) -> None:
        from PySide6.QtCore import QTimer

        self.worst: dict[str, float] = {}
        self.busy: dict[str, float] = {}
        self._phases = ["setup"]
        self._last = time.perf_counter()
        self._cpu = time.thread_time()
        self._timer = QTimer()
        self._timer.setInterval(self.INTERVAL_MS)
        self._timer.timeout.connect(self._tick)
        self._timer.start()
        self.debug = bool(os.environ.get("VIP_BENCH_DEBUG"))

    def _tick(self) -> None:
        now, cpu = time.perf_counter(), time.thread_time()
        late = (now - self._last) * 1000 - self.INTERVAL_MS
        busy = min(late, (cpu - self._cpu) * 1000)
        self._last, self._cpu = now, cpu
        for phase in self._phases:
            self.worst[phase] = max(self.worst.get(phase, 0.0), late)
            self.busy[phase] = max(self.busy.get(phase, 0.0), busy)
        if self.debug and late > 30:
            print(f"  stall {late:.0f} ms ({busy:.0f} ms busy) in {self._phases}", file=sys.stderr)
        self._phases = self._phases[-1:]

    def enter(self, phase: str) -> None:
        self._phases.append(phase)
        self.worst.setdefault(phase, 0.0)
        self.busy.setdefault(phase, 0.0)

    def stop(self) -> None:
        self._timer.stop()


class FillWatch:
    """When a model's row count reached what the project holds (model signals, this loop)."""

    def __init__(self, model: Any, since: Callable[[], float]) -> None:
        self.model = model
        self.since = since
        self.events: list[tuple[float, int]] = []
        for signal in (model.modelReset, model.rowsInserted):
            signal.connect(self._changed)

    def _changed(self, *_: Any) -> None:
        self.events.append((self.since(), self.model.rowCount()))

    def first_rows(self) -> float | None:
        return next((t for t, n in self.events if n > 0), None)

    def reached(self, rows: int) -> float | None:
        return next((t for t, n in self.events if n >= rows), None)


async def wait_for(condition: Callable[[], Any], timeout_s: float) -> bool:
    deadline = time.perf_counter() + timeout_s
    while time.perf_counter() < deadline:
        if condition():
            return True
        await asyncio.sleep(0.01)
    return False


async def scroll(view: Any, settle_s: float) -> tuple[list[float], list[float]]:
    """Scroll `view` top to bottom one viewport per step; each frame is the scroll + a forced
    repaint: (wall ms, the GUI thread's CPU ms) per frame."""
    bar = view.verticalScrollBar()
    bar.setValue(0)
    await asyncio.sleep(0.05)  # never processEvents() inside a task: qasync would re-enter the loop
    walls: list[float] = []
    cpus: list[float] = []
    value = 0
    while True:
        t, cpu = time.perf_counter(), time.thread_time()
        bar.setValue(value)
        view.viewport().repaint()
        walls.append((time.perf_counter() - t) * 1000)
        cpus.append((time.thread_time() - cpu) * 1000)
        if value >= bar.maximum():
            break
        value = min(bar.maximum(), value + bar.pageStep())
        await asyncio.sleep(settle_s)  # the loop runs between frames: posters are asked for and arrive
    return walls, cpus


def frame_figures(prefix: str, frames: tuple[list[float], list[float]]) -> dict[str, Any]:
    walls, cpus = frames
    return {f"{prefix}_frames": len(walls), f"{prefix}_p50_ms": pct(walls, 0.5),
            f"{prefix}_p95_ms": pct(walls, 0.95), f"{prefix}_max_ms": round(max(walls), 1) if walls else None,
            f"{prefix}_cpu_p95_ms": pct(cpus, 0.95)}


def sample_poster(folder: Path) -> str:
    """A real 1280×720 JPEG (gradient and text), decoded for every poster the library asks for."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QColor, QImage, QLinearGradient, QPainter

    image = QImage(1280, 720, QImage.Format.Format_RGB32)
    painter = QPainter(image)
    gradient = QLinearGradient(0, 0, 1280, 720)
    gradient.setColorAt(0, QColor("#1d3557"))
    gradient.setColorAt(1, QColor("#e9c46a"))
    painter.fillRect(image.rect(), gradient)
    painter.setPen(QColor("white"))
    font = painter.font()
    font.setPointSize(60)
    painter.setFont(font)
    painter.drawText(image.rect(), Qt.AlignmentFlag.AlignCenter, "poster")
    painter.end()
    path = folder / "poster.jpg"
    image.save(str(path), "JPEG", 85)
    return str(path)


async def biggest_project(services: Any, database: Any) -> tuple[Any, dict[str, int]]:
    """The project with the most videos (what an operator with one big library opens), and the counts."""
    from core.repositories import connect_async

    client, db = connect_async(database)
    try:
        projects = await services.projects.all()
        counts = {p.id: await db["videos"].count_documents({"project_id": p.id}) for p in projects}
    finally:
        await client.close()
    best = max(projects, key=lambda p: counts[p.id])
    return best, counts


def bare_views(rows: int) -> dict[str, Any]:
    """A QListView and a QTableView over plain models with `rows` rows (the scroll baselines)."""
    from PySide6.QtCore import QStringListModel
    from PySide6.QtGui import QStandardItem, QStandardItemModel
    from PySide6.QtWidgets import QListView, QTableView

    names = [f"clip_{i:06d}.mp4" for i in range(rows)]
    lst = QListView()
    lst.setModel(QStringListModel(names, lst))
    table = QTableView()
    model = QStandardItemModel(rows, 7, table)
    for r, name in enumerate(names):
        model.setItem(r, 0, QStandardItem(name))
        for c in range(1, 7):
            model.setItem(r, c, QStandardItem(f"{r % 97}:{c:02d}"))
    table.setModel(model)
    for view in (lst, table):
        view.resize(*WINDOW)
        view.show()
    return {"bare_list": lst, "bare_table": table}


async def timed_phase(probe: StallProbe, phase: str, body: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    probe.enter(phase)
    t = time.perf_counter()
    result = await body()
    return (time.perf_counter() - t) * 1000, result


async def measure(data_dir: Path, query: str, shots: Path | None, settle_s: float,
                  dwell_s: float) -> dict[str, Any]:
    """Open the data dir as `vip` does and measure; the module patches below last only as long
    (the test suite runs this in-process: a patch left behind disabled the migrations of the
    tests after it)."""
    import app.wiring
    import ui.main_controller as main_controller

    saved = getattr(app.wiring, "prepare_database", None), main_controller.read_thumbnail
    try:
        return await _measure(data_dir, query, shots, settle_s, dwell_s)
    finally:
        if saved[0] is not None:
            app.wiring.prepare_database = saved[0]  # type: ignore[attr-defined]
        main_controller.read_thumbnail = saved[1]  # type: ignore[attr-defined]


async def _measure(data_dir: Path, query: str, shots: Path | None, settle_s: float,
                   dwell_s: float) -> dict[str, Any]:
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    import ui.main_controller as main_controller
    from app.embedded_db import DatabaseLease
    from app.gui_session import database_text, settle_garbage_collector
    from app.settings import Settings
    from app.wiring import build_services
    from core.services import ClientServices
    from ui.main_controller import ControllerConfig, MainController
    from ui.main_view import MainView
    from ui.thumbnails import read_thumbnail

    import app.wiring

    # Read-mostly: measure the library as bench_scale.py left it; never create indexes or run
    # a storage migration over someone's data dir (the app does that on its first start).
    if hasattr(app.wiring, "prepare_database"):
        app.wiring.prepare_database = lambda *args, **kwargs: None  # type: ignore[attr-defined]
    fig: dict[str, Any] = {"notes": []}
    view = MainView()  # as app.gui: the window first
    view.resize(*WINDOW)
    view.show()
    QApplication.processEvents()
    env = {"VIP_DATA_DIR": str(data_dir)}
    env.update({k: v for k, v in os.environ.items() if k in ("VIP_FERRETDB", "VIP_MONGO_URI", "VIP_DB_NAME")})
    settings = Settings.load(env)
    lease = DatabaseLease(settings)
    probe = StallProbe()
    tmp = Path(tempfile.mkdtemp(prefix="bench-gui-scale-"))
    poster = sample_poster(tmp)
    main_controller.read_thumbnail = lambda _path, size: read_thumbnail(poster, size)  # type: ignore[attr-defined]
    if probe.debug:  # name the callbacks behind the stalls
        import logging

        logging.basicConfig()
        logging.getLogger("asyncio").setLevel(logging.WARNING)
        asyncio.get_running_loop().set_debug(True)
        asyncio.get_running_loop().slow_callback_duration = 0.03
    probe.enter("database")
    database = await asyncio.to_thread(lease.acquire)
    controller = None
    try:
        # Which project to open, and how much it holds (not timed: the app opens "Default").
        scout = await build_services(settings, database)
        project, counts = await biggest_project(scout, database)
        jobs_expected = len(await scout.jobs.recent(project.id, limit=200))
        await scout.close()
        fig.update(videos_total=sum(counts.values()), project_videos=counts[project.id], project=project.name,
                   # a listing copy from an earlier run (core/services/listing_cache.py): all rows at once
                   listing_copy=(settings.data_dir / "cache" / f"listing-{project.id}.pickle").exists())

        # As app.gui_session.gui_main does once the lease is acquired.
        probe.enter("services")  # app.wiring.build_services
        t_db = time.perf_counter()
        since = lambda: time.perf_counter() - t_db  # noqa: E731
        library_fill = FillWatch(view.library.library_model, since)
        jobs_fill = FillWatch(view.jobs.model_, since)
        services = await build_services(settings, database)
        probe.enter("start")  # MainController.start: projects, the library's first page and the jobs
        opened = project
        services.projects.ensure = lambda name=None: _project(opened)  # type: ignore[method-assign]
        controller = MainController(
            view, ClientServices(services.projects, services.imports, services.library, services.jobs,
                                 services.search, providers=services.providers, analysis=services.analysis),
            ControllerConfig(samples_dir=tmp / "samples", database_text=database_text(settings, database.uri),
                             offer_samples=False))
        await controller.start()
        fig["start_ms"] = round(since() * 1000, 1)
        probe.enter("gc_settle")  # app.gui_session's one full collection after start-up
        settle_garbage_collector()
        await asyncio.sleep(0.05)  # the collection's gap counts for gc_settle alone
        probe.enter("start")
        await wait_for(lambda: library_fill.reached(counts[project.id]) is not None
                       and jobs_fill.reached(jobs_expected) is not None, 60)
        first, full = library_fill.first_rows(), library_fill.reached(counts[project.id])
        fig.update(library_first_rows_s=None if first is None else round(first, 3),
                   library_filled_s=None if full is None else round(full, 3),
                   jobs_expected=jobs_expected, jobs_filled_s=_round(jobs_fill.reached(jobs_expected)),
                   jobs_first_rows_s=_round(jobs_fill.first_rows()),
                   library_rows=view.library.library_model.rowCount(), jobs_rows=view.jobs.model_.rowCount())
        await asyncio.sleep(1.0)  # the search index check and the first posters settle

        ms, _ = await timed_phase(probe, "idle", lambda: asyncio.sleep(dwell_s))
        ms, _ = await timed_phase(probe, "select_project", lambda: controller.select_project(project.id))
        fig["select_project_ms"] = round(ms, 1)
        await asyncio.sleep(0.5)

        # Scrolling: the list, then the grid; posters arrive while scrolling, then are loaded.
        library = view.library
        for name, target, grid in (("list", library, False), ("grid", library.grid, True)):
            library.show_grid(grid)
            await asyncio.sleep(0.3)
            probe.enter(f"scroll_{name}")
            fig.update(frame_figures(f"scroll_{name}_cold", await scroll(target, settle_s)))
            fig.update(frame_figures(f"scroll_{name}_warm", await scroll(target, settle_s)))
        await asyncio.sleep(0.05)  # a tick: what follows is not counted for scroll_grid
        if shots is not None:
            probe.enter("screenshots")  # not an operator's path: grabbing the window is slow
            shots.mkdir(parents=True, exist_ok=True)
            for grid in (False, True):
                library.show_grid(grid)
                target = library.grid if grid else library
                bar = target.verticalScrollBar()
                bar.setValue(bar.maximum() // 2)
                await asyncio.sleep(0.5)  # the posters of the middle arrive
                view.grab().save(str(shots / f"gui_scale_{'grid' if grid else 'list'}_middle.png"))
            view.jobs.grab().save(str(shots / "gui_scale_jobs.png"))
        library.show_grid(False)
        await asyncio.sleep(0.05)
        probe.enter("baseline")  # includes building the bare views (4,500 × 7 QStandardItems)
        for name, bare in bare_views(counts[project.id]).items():
            await asyncio.sleep(0.2)
            fig.update(frame_figures(name, await scroll(bare, settle_s)))
            bare.close()

        # Search: typed into the box, then the results.
        box = view.search.box
        probe.enter("search")
        t = time.perf_counter()
        box.setFocus()
        for char in query:
            QTest.keyClicks(box, char)
            await asyncio.sleep(TYPE_DELAY_S)
        typed = time.perf_counter()
        shown = await wait_for(lambda: view.search.status.text().startswith(tuple("0123456789"))
                               or view.search.message.isVisible(), 60)
        fig.update(search_results_ms=round((time.perf_counter() - typed) * 1000, 1) if shown else None,
                   search_videos=len(view.search.results()), search_typing_ms=round((typed - t) * 1000))
        await asyncio.sleep(1.0)  # the keyframes arrive
        box.clear()
        await asyncio.sleep(0.3)

        # Costs view.
        probe.enter("costs")
        t = time.perf_counter()
        dialog = controller.open_costs()
        loaded = dialog is not None and await wait_for(lambda: dialog.summary.text() != "Loading…", 60)
        fig["costs_ms"] = round((time.perf_counter() - t) * 1000, 1) if loaded else None
        await asyncio.sleep(0.5)
        if dialog is not None:
            dialog.close()

        # The job poll over the whole history, nothing else happening.
        ticks: list[float] = []
        changed_since = services.jobs.changed_since

        async def timed_poll(since_at: Any) -> Any:
            t = time.perf_counter()
            try:
                return await changed_since(since_at)
            finally:
                ticks.append((time.perf_counter() - t) * 1000)

        services.jobs.changed_since = timed_poll  # type: ignore[method-assign]
        probe.enter("job_poll")
        await asyncio.sleep(1.5 * dwell_s)
        fig.update(poll_ticks=len(ticks), poll_tick_p50_ms=pct(ticks, 0.5), poll_tick_max_ms=pct(ticks, 1.0))
        probe.stop()
        fig["stalls_ms"] = {k: round(v, 1) for k, v in probe.worst.items() if k not in ("setup", "database")}
        fig["stalls_busy_ms"] = {k: round(v, 1) for k, v in probe.busy.items() if k not in ("setup", "database")}
        await controller.stop()
        controller = None
        await services.close()
    finally:
        if controller is not None:
            await controller.stop()
        await asyncio.to_thread(lease.release)
    return fig


async def _project(project: Any) -> Any:
    return project


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


ROWS = [  # (label, key, unit, target)
    ("videos in the library (all projects)", "videos_total", "", None),
    ("videos in the opened project", "project_videos", "", None),
    ("this host had listed it before (a listing copy)", "listing_copy", "", None),
    ("database up → first library page shown", "library_first_rows_s", "s", "filled_s"),
    ("database up → every library row shown", "library_filled_s", "s", "filled_s"),
    ("database up → newest jobs shown", "jobs_first_rows_s", "s", "filled_s"),
    ("database up → jobs panel's whole history", "jobs_filled_s", "s", None),
    ("select project again: first page + jobs", "select_project_ms", "ms", None),
]
SCROLLS = [("list, posters arriving", "scroll_list_cold"), ("list, posters loaded", "scroll_list_warm"),
           ("grid, posters arriving", "scroll_grid_cold"), ("grid, posters loaded", "scroll_grid_warm"),
           ("baseline: bare QListView", "bare_list"), ("baseline: bare QTableView", "bare_table")]
AFTER = [
    ("search: last key typed → results", "search_results_ms", "ms", None),
    ("Costs view: open → filled", "costs_ms", "ms", None),
    ("job poll tick (median)", "poll_tick_p50_ms", "ms", None),
]
GATED = ("start", "select_project", "search", "costs", "job_poll")  # the phases item 5 holds to 50 ms


def _cell(value: Any) -> str:
    return "—" if value is None else f"{value:,}"


def table(fig: dict[str, Any]) -> str:
    lines = [f"{'figure':<44} {'value':>10}  {'unit':<4} target"]
    for label, key, unit, target in ROWS:
        goal = "" if target is None else f"≤ {TARGETS[target]:g}"
        lines.append(f"{label:<44} {_cell(fig.get(key)):>10}  {unit:<4} {goal}")
    lines.append(f"scrolling, ms per frame (one viewport a step) {'p50':>8} {'p95':>8} {'max':>8} {'CPU p95':>8}"
                 f"  target < {TARGETS['frame_ms']:g}")
    for label, key in SCROLLS:
        cells = [_cell(fig.get(f"{key}_{k}_ms")) for k in ("p50", "p95", "max", "cpu_p95")]
        lines.append(f"  {label:<43}" + "".join(f"{c:>9}" for c in cells))
    for label, key, unit, _target in AFTER:
        lines.append(f"{label:<44} {_cell(fig.get(key)):>10}  {unit:<4}")
    lines.append(f"longest event-loop stall (10 ms timer), ms {'wall':>10} {'busy':>8}  target ≤ "
                 f"{TARGETS['stall_ms']:g} (busy: the GUI thread's own CPU time in that gap)")
    for phase, worst in fig.get("stalls_ms", {}).items():
        busy = fig.get("stalls_busy_ms", {}).get(phase)
        lines.append(f"  {phase:<40} {_cell(worst):>10} {_cell(busy):>8}  {'gated' if phase in GATED else ''}")
    lines += [f"note: {n}" for n in fig["notes"]]
    return "\n".join(lines)


def verdict(fig: dict[str, Any]) -> dict[str, bool]:
    """Targets judged on the app's own work: frame CPU time and busy stalls (wall figures beside)."""
    frames = [fig.get(f"scroll_{v}_{s}_cpu_p95_ms") or 0.0 for v in ("list", "grid") for s in ("cold", "warm")]
    stalls = [v for k, v in fig.get("stalls_busy_ms", {}).items() if k in GATED]
    filled = [fig.get("library_first_rows_s"), fig.get("library_filled_s"), fig.get("jobs_first_rows_s")]
    return {"filled_ok": all(v is not None and v <= TARGETS["filled_s"] for v in filled),
            "scroll_ok": max(frames) < TARGETS["frame_ms"],
            "stall_ok": max(stalls, default=0.0) <= TARGETS["stall_ms"]}


def run(data_dir: Path, query: str = "harbour", shots: Path | None = None, settle_s: float = 0.016,
        dwell_s: float = 2.0) -> dict[str, Any]:
    """Measure on `data_dir` inside a running QApplication (made here when there is none);
    `settle_s`: the loop's time between scroll frames; `dwell_s`: how long idle is watched
    (the job poll: 1.5×)."""
    import qasync
    from PySide6.QtWidgets import QApplication

    from PySide6.QtCore import QCoreApplication, QEvent

    app = QApplication.instance() or QApplication(sys.argv)
    quit_on_close = app.quitOnLastWindowClosed()  # type: ignore[attr-defined]
    app.setQuitOnLastWindowClosed(False)  # type: ignore[attr-defined]
    before = set(QApplication.topLevelWidgets())
    try:
        fig = qasync.run(measure(data_dir, query, shots, settle_s, dwell_s))
    finally:
        # Leave the application as it was (the tests run this in-process): the windows made
        # here are deleted now, not by a garbage collection during whatever runs next.
        for widget in set(QApplication.topLevelWidgets()) - before:
            widget.close()
            widget.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        app.setQuitOnLastWindowClosed(quit_on_close)  # type: ignore[attr-defined]
    fig.update(verdict(fig))
    fig.update(bench="gui_scale", data_dir=str(data_dir), cpus=os.cpu_count(), load_avg=list(os.getloadavg()),
               platform=QApplication.platformName(), targets=TARGETS)
    return fig


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True, help="a data dir filled by bench_scale.py")
    parser.add_argument("--query", default="harbour", help="typed into the search box")
    parser.add_argument("--shots", type=Path, default=None, help="save screenshots here")
    args = parser.parse_args(argv)
    from app.logs import configure_logging

    configure_logging("bench-gui-scale", Path(tempfile.gettempdir()) / "bench-gui-scale-logs")
    fig = run(args.data_dir.absolute(), args.query, args.shots)
    print(table(fig))
    print(json.dumps(fig))
    return 0 if fig["filled_ok"] and fig["scroll_ok"] and fig["stall_ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
