"""Probes for benchmarks/bench_scale.py: the database server's CPU, memory and disk, and the
database writes of analysing one new video.

Runs in the benchmark's process. The server is found without knowing which one it is: the
embedded server's state file (`<data dir>/db/server.json`), whoever listens on the URI's port,
processes whose command line names the data dir, and all their descendants (a PostgreSQL
postmaster's backends, say). The new-video analysis runs the real import, queue and job
runner (core.pipeline.JobRunner with its ProgressReporter) with stand-in stages that make the
repository calls the real stages make, with synthetic output instead of decoding a video.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from benchmarks.scaleset import Shape, make_passages, make_segments, make_shots, make_summary, make_video
from core.models.profile import AnalysisProfile, stages_to_run
from core.pipeline import JobRunner, StageContext, default_stages
from core.pipeline.progress import ProgressReporter
from core.pipeline.runner import RunnerConfig
from core.repositories import JobRepository, ProviderCallRepository, SegmentRepository, ShotRepository, VideoRepository
from app.wiring import client_services

CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


# -- the database server's processes ---------------------------------------------------------

def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(") ", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def _listener(port: int) -> int | None:
    """The pid of the process listening on 127.0.0.1:`port` (Linux /proc), or None."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            cols = line.split()
            if int(cols[1].rsplit(":", 1)[1], 16) == port and cols[3] == "0A":
                inodes.add(cols[9])
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            for fd in (entry / "fd").iterdir():
                target = os.readlink(fd)
                if target.startswith("socket:[") and target[8:-1] in inodes:
                    return int(entry.name)
        except OSError:
            continue
    return None


def _processes_with(needle: bytes) -> set[int]:
    """Pids (not this one) whose command line contains `needle`."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if needle in (entry / "cmdline").read_bytes():
                    found.add(int(entry.name))
            except OSError:
                continue
    return found


def server_pids(data_dir: Path, uri: str | None, extra: tuple[int, ...] = ()) -> list[int]:
    """The database server's processes (with their descendants, and `extra`'s: a PostgreSQL under
    FerretDB); empty when none is found here."""
    roots: set[int] = set(extra)
    try:
        roots.add(int(json.loads((data_dir / "db" / "server.json").read_text())["pid"]))
    except (OSError, ValueError, KeyError):
        pass
    parts = urlsplit(uri) if uri else None
    if parts and parts.hostname in ("127.0.0.1", "localhost") and parts.port:
        pid = _listener(parts.port)
        if pid:
            roots.add(pid)
    socket_path = unquote(parts.netloc) if parts else ""
    if socket_path.endswith(".sock"):  # the embedded server listens on a Unix socket only
        roots.update(_processes_with(f"--listen-unix={socket_path}".encode()))
    roots.update(_processes_with(str(data_dir.absolute()).encode()))
    tree, found, todo = _children(), set(), list(roots)
    while todo:
        pid = todo.pop()
        if pid not in found and Path(f"/proc/{pid}").exists():
            found.add(pid)
            todo += tree.get(pid, [])
    return sorted(found)


def server_cpu_s(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / CLK_TCK
        except (OSError, IndexError, ValueError):
            continue
    return total


def server_rss_mb(pids: list[int]) -> float | None:
    """The server's memory: the processes' proportional set size (Pss: shared pages split
    between the processes sharing them, so a PostgreSQL's shared buffers count once), or their
    RSS where /proc has no smaps_rollup."""
    total = 0
    for pid in pids:
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup")
            source, key = (rollup, "Pss:") if rollup.exists() else (Path(f"/proc/{pid}/status"), "VmRSS:")
            for line in source.read_text().splitlines():
                if line.startswith(key):
                    total += int(line.split()[1])
                    break
        except OSError:
            continue
    return round(total / 1024, 1) if pids else None


def folder_mb(path: Path, skip: tuple[str, ...] = ()) -> float | None:
    if not path.exists():
        return None
    total = 0
    for root, dirs, files in os.walk(path):
        dirs[:] = [d for d in dirs if d not in skip]
        for name in files:
            try:
                total += (Path(root) / name).stat().st_size
            except OSError:
                continue
    return round(total / 2**20, 1)


# -- analysing one new video ---------------------------------------------------------------

@dataclass
class StandInStage:
    """A pipeline stage's name, version, weight and inputs, with synthetic output written by `body`."""

    name: str
    title: str
    version: int
    weight: float
    requires: tuple[str, ...]
    uses: tuple[str, ...]
    body: Callable[[StageContext], None]
    progress_writes: int
    jobs: JobRepository | None = None
    reporters: list[int] = field(default_factory=list)

    def run(self, ctx: StageContext) -> None:
        self.body(ctx)
        job = self.jobs.get(ctx.job_id) if self.progress_writes and self.jobs else None
        if job is not None:  # progress as a long stage writes it (the reporter's write + cancel check)
            reporter = ProgressReporter(job, self.jobs, [1.0] * len(job.stages), lambda: False, min_interval_s=0.0)
            reporter.stage_index = job.stage_index(self.name)
            for n in range(self.progress_writes):
                reporter.report((n + 1) / self.progress_writes, f"{self.title}: {n + 1}/{self.progress_writes}")
            self.reporters.append(self.progress_writes)


def stand_in_stages(shape: Shape, number: int, progress_writes: int, jobs: JobRepository) -> list[StandInStage]:
    """The default pipeline's stages, each making its real stage's repository calls."""
    media = make_video(number, "x", {}).media
    assert media is not None
    out: dict[str, Any] = {}

    def probe(ctx: StageContext) -> None:
        ctx.videos.save_probe(ctx.video.id, media, f"/cache/posters/{ctx.video.id}.jpg")

    def made(ctx: StageContext) -> dict[str, Any]:
        """This video's synthetic segments, made by whichever stage runs first (the runner orders
        independent stages by their remaining work, so speech may run before the visual pass)."""
        if out.get("video_id") != ctx.video.id:
            out["video_id"], out["segments"] = ctx.video.id, make_segments(ctx.video, shape.segments)
        segments: dict[str, Any] = out["segments"]
        return segments

    def visual(ctx: StageContext) -> None:
        out["shots"] = make_shots(ctx.video, shape.shots)
        made(ctx)
        ctx.shots.replace_for_video(ctx.video.id, out["shots"])
        ctx.videos.save_visual(ctx.video.id, None, [])

    def speech(ctx: StageContext) -> None:
        ctx.segments.replace_for_stage(ctx.video.id, "speech", made(ctx)["speech"])

    def ocr(ctx: StageContext) -> None:
        ctx.shots.for_video(ctx.video.id)
        ctx.segments.replace_for_stage(ctx.video.id, "ocr", made(ctx)["ocr"])

    def captions(ctx: StageContext) -> None:
        ctx.segments.replace_for_stage(ctx.video.id, "captions", [])

    def embed(ctx: StageContext) -> None:
        for kind in ("speech", "ocr", "caption"):
            ctx.segments.for_video(ctx.video.id, kind)
        ctx.segments.passages.replace_for_video(ctx.video.id, make_passages(ctx.video, made(ctx), shape.passages),
                                                "embed", versions["embed"])

    def summary(ctx: StageContext) -> None:
        ctx.shots.for_video(ctx.video.id)
        ctx.segments.for_video(ctx.video.id, "ocr")
        ctx.segments.passages.for_video(ctx.video.id)
        ctx.segments.summaries.replace_for_video(
            ctx.video.id, make_summary(ctx.video, made(ctx)["speech"], shape.chapters), "summary",
            versions["summary"])

    def faces(ctx: StageContext) -> None:
        ctx.shots.for_video(ctx.video.id)
        ctx.segments.replace_for_stage(ctx.video.id, "faces", made(ctx)["faces"])

    bodies = {"probe": probe, "visual": visual, "speech": speech, "ocr": ocr, "captions": captions, "embed": embed,
              "summary": summary, "faces": faces}
    real = default_stages()
    versions = {s.name: s.version for s in real}
    # `progress_writes` in all, spread over the stages a default project's job runs (the first
    # ones take the remainder; a stage the default analysis profile leaves out writes nothing)
    runs = stages_to_run([s.name for s in real], AnalysisProfile(),
                         {s.name: tuple(getattr(s, "requires", ())) for s in real})
    each, extra = divmod(max(0, progress_writes), len(runs))
    return [StandInStage(s.name, s.title, s.version, s.weight, tuple(getattr(s, "requires", ())),
                         tuple(getattr(s, "uses", ())), bodies.get(s.name, lambda ctx: None),
                         each + (1 if s.name in runs and runs.index(s.name) < extra else 0)
                         if s.name in runs else 0, jobs)
            for s in real]


class _Launcher:
    def __init__(self) -> None:
        self.enqueued: list[str] = []

    def enqueue(self, job_id: str) -> None:
        self.enqueued.append(job_id)

    def queued_job_ids(self) -> set[str]:
        return set(self.enqueued)


async def analyse_new_video(async_db: Any, sync_db: Any, data_dir: Path, shape: Shape, cap_s: float,
                            progress_writes: int = 100) -> dict[str, Any]:
    """Import one new (missing) file, queue it and run its job with stand-in stages; the times of each
    part in ms. The job is stopped (released, as at a worker shutdown) when it runs past `cap_s`."""
    stages = stand_in_stages(shape, 9_000_000 + uuid.uuid4().int % 1000, progress_writes, JobRepository(sync_db))
    services = client_services(async_db, _Launcher(), [s.name for s in stages], data_dir)
    project = await services.projects.ensure("Bench: new videos")
    t0 = time.perf_counter()
    imported = await services.imports.import_paths(project.id, [Path(f"/archive/new/clip_{uuid.uuid4().hex}.mp4")])
    t1 = time.perf_counter()
    jobs = await services.jobs.analyze(imported.added)
    t2 = time.perf_counter()
    deadline = time.monotonic() + cap_s
    runner = JobRunner(JobRepository(sync_db), VideoRepository(sync_db), ShotRepository(sync_db),
                       SegmentRepository(sync_db), list(stages),  # type: ignore[arg-type]
                       RunnerConfig(worker_id="bench:scale", media_dir=data_dir / "media", heartbeat_s=2.0,
                                    ledger=ProviderCallRepository(sync_db)),
                       should_stop=lambda: time.monotonic() > deadline)
    status = await asyncio.to_thread(runner.run, jobs[0].id)
    t3 = time.perf_counter()
    return {"import_ms": (t1 - t0) * 1000, "queue_ms": (t2 - t1) * 1000, "run_ms": (t3 - t2) * 1000,
            "total_ms": (t3 - t0) * 1000, "status": str(status), "video_id": imported.added[0].id,
            "progress_writes": sum(sum(s.reporters) for s in stages), "capped": time.monotonic() > deadline}
