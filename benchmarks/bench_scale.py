"""Library scale: how the database behaves under an operator's library of 100, 1,000, 5,000 videos.

Fills a data dir through the real repositories (benchmarks/scaleset.py: per video 500 segments,
50 shots, 100 passages with 384-float vectors, a summary, 10 finished jobs, ledger rows; a
project budget), growing the same data dir from one size to the next, and after each size
measures with the real services (app.wiring.build_services, as `vip` builds them):

- open a video: everything the review screen loads (MainController.open_video/_show_detail:
  video, shots, speech/ocr/face segments, summary, "Not a face" marks), p50/p95;
- select a project as MainController.select_project does: this host's copy of the listing (or
  the first page from the database) and the 200 newest jobs; and reading the whole project from
  the database, page by page, which the window then does in the background;
- one GUI job-poll tick (JobService.changed_since over the last 2.25 s, as JobService.watch asks) with
  `--poll-jobs` jobs in history: wall and CPU ms (this process + the database server);
- `vip jobs` (its service calls, and the command itself in-process), the Costs view's load
  (totals by project, provider and day, recent calls), and `vip search`'s first query in a new
  process: the index sync check, then the query (the first one loads the query embedder);
- the database overhead of analysing one new video: import, queue and the job runner with
  stand-in stages making the real stages' repository calls and ~100 progress writes
  (benchmarks/scale_probes.py), in this library and in an empty database on the same server;
- `vip index rebuild` rate (on a sample of videos when the whole would take over
  `--rebuild-cap`), the server's RSS and its on-disk size.

Every measurement stops sampling when it passes `--cap` seconds or one call passes
`--call-cap` seconds, and says so, so a run on a slow storage still ends. One table per size,
then one JSON line with every figure (stable keys).

    .venv/bin/python benchmarks/bench_scale.py [--sizes 100,1000] [--data-dir DIR] [--segments 500]
        [--shots 50] [--passages 100] [--jobs 10] [--poll-jobs 50000] [--mongo-uri URI]

With `--data-dir` of an earlier run the library grows from what it holds (bench_scale.json there).
Without `--mongo-uri` the data dir's embedded database is started as the app starts it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.embedded_db import DatabaseLease  # noqa: E402  (benchmarks run from a checkout)
from app.settings import Settings  # noqa: E402
from app.wiring import Services, build_services  # noqa: E402
from benchmarks import scale_probes as probes  # noqa: E402
from benchmarks.scaleset import FillStats, LibraryFiller, Shape  # noqa: E402
from core.pipeline import default_stages  # noqa: E402
from core.repositories import AsyncPassageRepository, AsyncVideoRepository, DatabaseAddress, connect, connect_async  # noqa: E402
from core.search.filters import SearchFilters  # noqa: E402
from core.search.index import SearchIndex  # noqa: E402
from core.search.sync import IndexSync  # noqa: E402
from core.timeutil import utc_now  # noqa: E402

POLL_WINDOW = timedelta(seconds=2.25)  # core.services.jobs: WATCH_OVERLAP (2 s) + the GUI's POLL_INTERVAL_S (0.25 s)
COSTS_DAYS, COSTS_CALLS = 30, 200  # ui.costs_view: CHART_DAYS, RECENT_CALLS
TARGETS = {"open_p95_ms": 150.0, "poll_cpu_ms": 5.0, "vip_jobs_ms": 300.0, "costs_ms": 300.0,
           "new_video_ratio": 1.2, "server_rss_mb": 500.0}
STATE_FILE = "bench_scale.json"


@dataclass
class Config:
    sizes: list[int]
    data_dir: Path
    shape: Shape = field(default_factory=Shape)
    poll_jobs: int = 50_000
    open_samples: int = 30
    cap_s: float = 120.0
    call_cap_s: float = 30.0
    new_video_cap_s: float = 300.0
    rebuild_cap_s: float = 120.0
    rebuild_sample: int = 50
    mongo_uri: str | None = None
    server_pids: tuple[int, ...] = ()  # with --mongo-uri: the server's processes, for its RSS
    db_folder: Path | None = None  # with --mongo-uri: where the server keeps its files, for their size
    db_name: str = "vip"
    queries: tuple[str, str] = ("harbour", "storm over the lighthouse")
    progress_writes: int = 100  # job progress writes of the new video's analysis
    quiet: bool = False


@dataclass
class Timed:
    ms: list[float] = field(default_factory=list)
    note: str = ""

    def pct(self, q: float) -> float | None:
        if not self.ms:
            return None
        ordered = sorted(self.ms)
        return round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 1)


async def timed(call: Callable[[], Awaitable[Any]], n: int, cfg: Config, what: str) -> Timed:
    """Up to `n` calls, stopping at the caps (and saying so in the note)."""
    out = Timed()
    started = time.perf_counter()
    for _ in range(n):
        t = time.perf_counter()
        await call()
        out.ms.append((time.perf_counter() - t) * 1000)
        if out.ms[-1] > cfg.call_cap_s * 1000:
            out.note = f"{what}: stopped after {len(out.ms)} of {n}, one took {out.ms[-1] / 1000:.1f} s"
            break
        if time.perf_counter() - started > cfg.cap_s and len(out.ms) < n:
            out.note = f"{what}: stopped after {len(out.ms)} of {n} at the {cfg.cap_s:.0f} s cap"
            break
    return out


class Bench:
    """One run: the data dir's database (leased as the app does), its services, the filler."""

    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        env = {"VIP_DATA_DIR": str(cfg.data_dir), "VIP_DB_NAME": cfg.db_name}
        env.update({k: v for k, v in os.environ.items() if k == "VIP_FERRETDB"})
        if cfg.mongo_uri:
            env["VIP_MONGO_URI"] = cfg.mongo_uri
        self.settings = Settings.load(env)
        self.lease = DatabaseLease(self.settings)
        self.state_path = cfg.data_dir / STATE_FILE
        self.state: dict[str, Any] = {"videos": 0, "extra_jobs": 0, "shape": asdict(cfg.shape)}
        if self.state_path.exists():
            self.state = json.loads(self.state_path.read_text())
            if self.state.get("shape") != asdict(cfg.shape):
                raise SystemExit(f"{cfg.data_dir} holds a library of another shape ({self.state.get('shape')}); "
                                 "use a fresh --data-dir")
        self.stage_versions = {s.name: s.version for s in default_stages()}
        self.figures: dict[str, dict[str, Any]] = {}

    async def __aenter__(self) -> Bench:
        self.database: DatabaseAddress = await asyncio.to_thread(self.lease.acquire)
        self.services: Services = await build_services(self.settings, self.database)
        self.sync_client, self.sync_db = connect(self.database)
        self.async_client, self.async_db = connect_async(self.database)
        self.filler = LibraryFiller(self.sync_db, self.async_db, self.cfg.shape, self.stage_versions)
        archive = await self.services.projects.ensure("Archive")
        clients = await self.services.projects.ensure("Clients")
        await self.services.projects.set_budget(clients.id, 250.0)
        self.projects = [archive.id, clients.id]
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.sync_client.close()
        await self.async_client.close()
        await self.services.close()
        await asyncio.to_thread(self.lease.release)

    def say(self, text: str) -> None:
        if not self.cfg.quiet:
            print(text, file=sys.stderr, flush=True)

    def pids(self) -> list[int]:
        return probes.server_pids(self.cfg.data_dir, self.database.uri, self.cfg.server_pids)

    # -- fill ------------------------------------------------------------------------------
    async def grow(self, size: int, fig: dict[str, Any]) -> None:
        first = int(self.state["videos"])
        last_note = [time.monotonic()]

        def progress(done: int, stats: FillStats) -> None:
            if time.monotonic() - last_note[0] >= 10 or done == size:
                last_note[0] = time.monotonic()
                self.say(f"  fill {done}/{size} videos  {stats.videos / max(stats.seconds, 1e-9):.1f} videos/s  "
                         f"{stats.docs / max(stats.seconds, 1e-9):,.0f} docs/s")

        stats = await self.filler.fill(first, size, self.projects, progress) if size > first else FillStats()
        self.state["videos"] = max(first, size)
        self.state_path.write_text(json.dumps(self.state))
        fig.update(fill_videos=stats.videos, fill_s=round(stats.seconds, 1),
                   fill_videos_per_s=round(stats.videos / stats.seconds, 2) if stats.seconds else None,
                   fill_docs_per_s=round(stats.docs / stats.seconds) if stats.seconds else None)
        t = time.perf_counter()
        report = await self.services.search.sync()  # what the app does as jobs finish
        fig.update(index_sync_s=round(time.perf_counter() - t, 2), index_sync_videos=report.updated)
        videos = await self.services.library.videos(None)
        self.video_ids = [v.id for v in videos if v.project_id in self.projects]
        jobs_now = size * self.cfg.shape.jobs + int(self.state["extra_jobs"])
        if jobs_now < self.cfg.poll_jobs:
            t = time.perf_counter()
            self.say(f"  adding {self.cfg.poll_jobs - jobs_now:,} finished jobs (history of {self.cfg.poll_jobs:,})")
            await self.filler.add_jobs(videos, self.cfg.poll_jobs - jobs_now, int(self.state["extra_jobs"]))
            self.state["extra_jobs"] = int(self.state["extra_jobs"]) + self.cfg.poll_jobs - jobs_now
            self.state_path.write_text(json.dumps(self.state))
            fig["jobs_fill_s"] = round(time.perf_counter() - t, 1)
        fig["jobs_total"] = max(jobs_now, self.cfg.poll_jobs)

    # -- measurements ------------------------------------------------------------------------
    async def open_video(self, video_id: str) -> int:
        """What the review screen loads; returns how many segments it got."""
        library = self.services.library
        await library.video(video_id)
        await library.shots(video_id)
        loaded: dict[str, int] = {}
        for kind in ("speech", "ocr", "face"):
            loaded[kind] = len(await library.segments(video_id, kind))
        await library.summary(video_id)
        if loaded["face"]:
            await library.face_rejections(video_id)
        return sum(loaded.values())

    async def poll(self, fig: dict[str, Any], ticks: int = 20) -> None:
        pids = self.pids()
        walls, rows = [], 0
        cpu0, srv0 = time.process_time(), probes.server_cpu_s(pids)
        for _ in range(ticks):
            t = time.perf_counter()
            rows += len(await self.services.jobs.changed_since(utc_now() - POLL_WINDOW))
            walls.append((time.perf_counter() - t) * 1000)
            if sum(walls) > self.cfg.cap_s * 1000:
                fig["notes"].append(f"poll: stopped after {len(walls)} ticks at the cap")
                break
        n = len(walls)
        client = (time.process_time() - cpu0) * 1000 / n
        server = (probes.server_cpu_s(pids) - srv0) * 1000 / n if pids else None
        fig.update(poll_wall_ms=round(statistics.median(walls), 2), poll_wall_p95_ms=Timed(walls).pct(0.95),
                   poll_cpu_client_ms=round(client, 2), poll_cpu_server_ms=None if server is None else round(server, 2),
                   poll_cpu_ms=round(client + (server or 0.0), 2), poll_rows=rows // n, poll_ticks=n)

    async def vip_jobs(self) -> None:
        jobs = await self.services.jobs.recent(None, 50)
        await self.services.library.get_many([j.video_id for j in jobs])

    async def costs(self) -> None:
        providers = self.services.providers
        await self.services.projects.all()
        for by in ("project", "provider"):
            await providers.costs(by)
        await providers.costs("day", since=utc_now() - timedelta(days=COSTS_DAYS))
        await providers.recent_calls(COSTS_CALLS)

    async def vip_jobs_cli(self) -> int:
        from app.analyze_cli import run_jobs

        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            await run_jobs(self.settings, None, False, 50)
        return len(out.getvalue().splitlines())

    async def search(self, fig: dict[str, Any]) -> None:
        """`vip search` in a fresh process: new services, the sync check, then two queries."""
        fresh = await build_services(self.settings, self.database)
        try:
            t0 = time.perf_counter()
            report = await fresh.search.sync()
            t1 = time.perf_counter()
            results = await fresh.search.search(self.cfg.queries[0], SearchFilters(), 10)
            t2 = time.perf_counter()
            await fresh.search.search(self.cfg.queries[1], SearchFilters(), 10)
            t3 = time.perf_counter()
        finally:
            await fresh.close()
        fig.update(search_sync_ms=round((t1 - t0) * 1000, 1), search_sync_videos=report.updated,
                   search_first_query_ms=round((t2 - t1) * 1000, 1), search_first_ms=round((t2 - t0) * 1000, 1),
                   search_next_ms=round((t3 - t2) * 1000, 1), search_results=len(results))

    async def new_video(self, fig: dict[str, Any]) -> None:
        """Analysing one new video in this library against an empty database on the same server."""
        empty_name = f"{self.cfg.db_name}_bench_empty_{uuid.uuid4().hex[:8]}"
        client, empty_sync = connect(DatabaseAddress(self.database.uri, empty_name))
        aclient, empty_async = connect_async(DatabaseAddress(self.database.uri, empty_name))
        tmp = Path(tempfile.mkdtemp(prefix="bench-scale-"))
        runs: dict[str, list[dict[str, Any]]] = {"empty": [], "library": []}
        try:
            for _ in range(2):
                for label, (adb, sdb) in (("empty", (empty_async, empty_sync)), ("library", (self.async_db, self.sync_db))):
                    run = await probes.analyse_new_video(adb, sdb, tmp, self.cfg.shape, self.cfg.new_video_cap_s,
                                                         self.cfg.progress_writes)
                    runs[label].append(run)
                    if label == "library":
                        await self.services.library.remove(run["video_id"])  # the library keeps its size
                if max(r["total_ms"] for r in runs["library"]) > 20_000:
                    break  # slow storage: one round is enough
        finally:
            client.drop_database(empty_name)
            client.close()
            await aclient.close()
            shutil.rmtree(tmp, ignore_errors=True)
        best = {label: min(r, key=lambda x: x["total_ms"]) for label, r in runs.items()}
        for label, key in (("library", "new_video"), ("empty", "new_video_empty")):
            run = best[label]
            fig.update({f"{key}_ms": round(run["total_ms"], 1), f"{key}_import_ms": round(run["import_ms"], 1),
                        f"{key}_queue_ms": round(run["queue_ms"], 1), f"{key}_run_ms": round(run["run_ms"], 1)})
            if run["capped"] or run["status"] != "succeeded":
                fig["notes"].append(f"new video ({label}): job ended {run['status']}"
                                    + (f", stopped at the {self.cfg.new_video_cap_s:.0f} s cap" if run["capped"] else ""))
        fig["new_video_progress_writes"] = best["library"]["progress_writes"]
        fig["new_video_ratio"] = round(best["library"]["total_ms"] / best["empty"]["total_ms"], 2)

    async def rebuild(self, fig: dict[str, Any]) -> None:
        states = [s for s in await AsyncVideoRepository(self.async_db).search_states() if s.rev]
        sample = random.Random(7).sample(states, min(self.cfg.rebuild_sample, len(states)))

        videos = AsyncVideoRepository(self.async_db)

        class Sampled:
            async def search_states(self) -> list[Any]:
                return sample

            async def search_rev(self) -> str:
                return await videos.search_rev()

        folder = Path(tempfile.mkdtemp(prefix="bench-scale-index-"))
        try:
            index = SearchIndex(folder)
            t = time.perf_counter()
            report = await IndexSync(Sampled(), AsyncPassageRepository(self.async_db), index).rebuild()  # type: ignore[arg-type]
            took = time.perf_counter() - t
            index.close()
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        projected = len(states) * took / max(1, len(sample))
        fig.update(rebuild_sample_videos=len(sample), rebuild_projected_s=round(projected, 1))
        if projected <= self.cfg.rebuild_cap_s or len(sample) == len(states):
            t = time.perf_counter()
            report = await self.services.search.rebuild()  # `vip index rebuild`
            took = time.perf_counter() - t
            fig["rebuild_sample_videos"] = None  # None: the whole library
        else:
            fig["notes"].append(f"index rebuild: measured on {len(sample)} of {len(states)} videos "
                                f"(the whole would take ~{projected:.0f} s)")
        fig.update(rebuild_s=round(took, 2), rebuild_videos_per_s=round(report.updated / took, 1),
                   rebuild_passages_per_s=round(report.passages / took))

    async def measure(self, size: int) -> dict[str, Any]:
        cfg, fig = self.cfg, self.figures.setdefault(str(size), {"notes": []})
        self.say(f"[{size} videos] filling")
        await self.grow(size, fig)
        fig["videos"] = len(self.video_ids)
        self.say(f"[{size} videos] measuring")
        pick = random.Random(size).sample(self.video_ids, min(cfg.open_samples, len(self.video_ids)))
        it = iter(pick)
        opened = await timed(lambda: self.open_video(next(it)), len(pick), cfg, "open a video")
        fig.update(open_p50_ms=opened.pct(0.5), open_p95_ms=opened.pct(0.95), open_n=len(opened.ms),
                   open_segments=await self.open_video(pick[0]) if pick else 0)
        await self.services.library.remember_listing(self.projects[0], [])  # no copy: the first start
        cold = await timed(lambda: self._select_project(), 3, cfg, "select project, no copy")
        whole = await timed(lambda: self._read_library(), 3, cfg, "read the library")
        selected = await timed(lambda: self._select_project(), 3, cfg, "select project")
        fig.update(select_project_cold_ms=cold.pct(0.5), library_read_ms=whole.pct(0.5),
                   select_project_ms=selected.pct(0.5))
        await self.poll(fig)
        jobs = await timed(self.vip_jobs, 5, cfg, "vip jobs")
        costs = await timed(self.costs, 3, cfg, "costs")
        t = time.perf_counter()
        fig["vip_jobs_cli_lines"] = await self.vip_jobs_cli()
        fig.update(vip_jobs_ms=jobs.pct(0.5), vip_jobs_cli_ms=round((time.perf_counter() - t) * 1000, 1),
                   costs_ms=costs.pct(0.5))
        fig["notes"] += [n for n in (opened.note, selected.note, jobs.note, costs.note) if n]
        self.say(f"[{size} videos] search, new video, rebuild")
        await self.search(fig)
        await self.new_video(fig)
        await self.rebuild(fig)
        pids = self.pids()
        fig.update(server_pids=len(pids), server_rss_mb=probes.server_rss_mb(pids),
                   db_disk_mb=probes.folder_mb(cfg.db_folder or cfg.data_dir / "db"),
                   data_dir_mb=probes.folder_mb(cfg.data_dir, skip=("index", "logs", "queue", "backups", "cache")))
        return fig

    async def _select_project(self) -> None:
        library, project = self.services.library, self.projects[0]
        listed, _ = await asyncio.gather(library.listed_pages(project), self.services.jobs.recent(project, 200))
        if not listed:
            pages = library.video_pages(project)
            await anext(pages, [])
            await pages.aclose()  # type: ignore[attr-defined]

    async def _read_library(self) -> None:
        """The whole project from the database, as the window reads it in behind the first page,
        and kept as this host's copy for the next selection."""
        videos = [v async for page in self.services.library.video_pages(self.projects[0]) for v in page]
        await self.services.library.remember_listing(self.projects[0], videos)


ROWS = [  # (label, key, unit, target key)
    ("fill: videos added", "fill_videos", "", None), ("fill time", "fill_s", "s", None),
    ("fill rate", "fill_videos_per_s", "videos/s", None), ("fill rate (documents)", "fill_docs_per_s", "docs/s", None),
    ("index sync after fill", "index_sync_s", "s", None), ("open a video p50", "open_p50_ms", "ms", None),
    ("open a video p95", "open_p95_ms", "ms", "open_p95_ms"), ("open a video: samples", "open_n", "", None),
    ("select project (listing copy + 200 jobs)", "select_project_ms", "ms", None),
    ("  with no copy (first page + 200 jobs)", "select_project_cold_ms", "ms", None),
    ("  library read whole, in the background", "library_read_ms", "ms", None),
    ("job-poll tick wall (median)", "poll_wall_ms", "ms", None), ("job-poll tick CPU", "poll_cpu_ms", "ms", "poll_cpu_ms"),
    ("  of which client", "poll_cpu_client_ms", "ms", None), ("  of which server", "poll_cpu_server_ms", "ms", None),
    ("jobs in history", "jobs_total", "", None), ("vip jobs (service calls)", "vip_jobs_ms", "ms", "vip_jobs_ms"),
    ("vip jobs (command in-process)", "vip_jobs_cli_ms", "ms", None), ("Costs view load", "costs_ms", "ms", "costs_ms"),
    ("vip search: sync check", "search_sync_ms", "ms", None), ("vip search: first query", "search_first_query_ms", "ms", None),
    ("vip search: sync + first query", "search_first_ms", "ms", None), ("vip search: next query", "search_next_ms", "ms", None),
    ("new video: all writes, library", "new_video_ms", "ms", None),
    ("new video: all writes, empty db", "new_video_empty_ms", "ms", None),
    ("new video: library / empty", "new_video_ratio", "×", "new_video_ratio"),
    ("index rebuild", "rebuild_videos_per_s", "videos/s", None), ("index rebuild", "rebuild_passages_per_s", "passages/s", None),
    ("  measured on (videos)", "rebuild_sample_videos", "", None),
    ("server RSS", "server_rss_mb", "MB", "server_rss_mb"), ("database on disk", "db_disk_mb", "MB", None),
]


def table(size: str, fig: dict[str, Any]) -> str:
    lines = [f"\n== {size} videos ==", f"{'figure':<40} {'value':>12}  {'unit':<10} target (5,000 videos)"]
    for label, key, unit, target in ROWS:
        value = fig.get(key)
        if key == "rebuild_sample_videos" and value is None:
            value = fig.get("videos")  # the whole library
        text = "—" if value is None else f"{value:,.2f}".rstrip("0").rstrip(".") if isinstance(value, float) else f"{value:,}"
        goal = "" if target is None else f"≤ {TARGETS[target]:g}"
        lines.append(f"{label:<40} {text:>12}  {unit:<10} {goal}")
    lines += [f"note: {n}" for n in fig["notes"]]
    return "\n".join(lines)


async def run(cfg: Config) -> dict[str, Any]:
    cfg.data_dir.mkdir(parents=True, exist_ok=True)
    async with Bench(cfg) as bench:
        for size in sorted(cfg.sizes):
            fig = await bench.measure(size)
            if not cfg.quiet:
                print(table(str(size), fig), flush=True)
        storage = "embedded" if not cfg.mongo_uri else "mongo_uri"
    return {"bench": "scale", "storage": storage, "cpus": os.cpu_count(), "load_avg": list(os.getloadavg()),
            "shape": asdict(cfg.shape), "poll_jobs": cfg.poll_jobs, "data_dir": str(cfg.data_dir),
            "sizes": bench.figures}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100,1000", help="library sizes, grown in order (default 100,1000)")
    parser.add_argument("--data-dir", type=Path, default=None, help="grow this data dir (default: a new temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data dir")
    parser.add_argument("--segments", type=int, default=500)
    parser.add_argument("--shots", type=int, default=50)
    parser.add_argument("--passages", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=10, help="finished jobs per video")
    parser.add_argument("--ledger", type=int, default=3, help="provider ledger rows per video")
    parser.add_argument("--poll-jobs", type=int, default=50_000, help="jobs in history for the poll tick")
    parser.add_argument("--open-samples", type=int, default=30)
    parser.add_argument("--cap", type=float, default=120.0, help="seconds per measurement before it stops sampling")
    parser.add_argument("--call-cap", type=float, default=30.0, help="stop sampling after one call this slow (s)")
    parser.add_argument("--rebuild-cap", type=float, default=120.0, help="rebuild everything when it takes ≤ this (s)")
    parser.add_argument("--mongo-uri", default=None, help="use this server instead of the data dir's embedded one")
    parser.add_argument("--server-pids", default="", help="with --mongo-uri: its processes (comma-separated), for RSS")
    parser.add_argument("--db-folder", type=Path, default=None, help="with --mongo-uri: its files, for their size")
    args = parser.parse_args(argv)
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="bench-scale-"))
    cfg = Config(sizes=[int(s) for s in args.sizes.split(",")], data_dir=data_dir.absolute(),
                 shape=Shape(args.segments, args.shots, args.passages, args.jobs, args.ledger),
                 poll_jobs=args.poll_jobs, open_samples=args.open_samples, cap_s=args.cap, call_cap_s=args.call_cap,
                 rebuild_cap_s=args.rebuild_cap, mongo_uri=args.mongo_uri,
                 server_pids=tuple(int(p) for p in args.server_pids.split(",") if p), db_folder=args.db_folder)
    from app.logs import configure_logging

    configure_logging("bench-scale", cfg.data_dir / "logs")  # logs to a file; warnings on stderr
    try:
        result = asyncio.run(run(cfg))
    finally:
        if args.data_dir is None and not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)
        elif not cfg.quiet:
            print(f"data dir kept: {data_dir}", file=sys.stderr)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
