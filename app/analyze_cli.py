"""`vip analyze` and `vip jobs`: headless import, analysis with terminal progress, job listing,
one job's record, and waiting for jobs queued earlier (`vip analyze --no-wait`)."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from app.settings import Settings
from app.wiring import Services, with_services
from app.worker_pool import WorkerPool
from core.formatting import format_duration, job_progress_text
from core.errors import VipError
from core.models import Job, JobStatus, Shot, TextSegment, Video
from core.services.analysis import NothingToAnalyze, OverBudget, Queued
from core.services.people import VideoPerson

POLL_S = 0.25
OUTAGE_LIMIT_S = 600.0  # a follow gives up when the database stays away this long
BAR_WIDTH = 24


async def run_analyze(
    settings: Settings, paths: list[Path], project_name: str | None, as_json: bool, force: bool,
    over_budget_ok: bool = False, wait: bool = True,
) -> int:
    """Import `paths`, queue their analysis, show progress until all finish; 1 if any failed,
    3 when the batch's estimated cloud cost would pass the project's budget (nothing queued).
    Without `wait`: print each video's job id once queued and return 0 (`vip jobs wait` follows)."""
    async def body(services: Services) -> int:
        pool: WorkerPool | None = None
        try:
            try:
                queued = await services.analysis.analyze_paths(paths, project_name, force, over_budget_ok)
            except NothingToAnalyze as exc:
                print(f"vip analyze: {exc}", file=sys.stderr)
                return 2
            except OverBudget as exc:
                print(exc.estimate.message(), *exc.estimate.problems, file=sys.stderr)
                name = exc.project.name
                print(f"vip analyze: not queued — the estimate would pass the budget of project '{name}'. "
                      f"Raise it (`vip budget {name!r} USD`), route the stages to local models "
                      f"(`vip route {name!r} summarizer local`), or run again with --yes.", file=sys.stderr)
                return 3
            if queued.estimate.routes_to_cloud:
                print(queued.estimate.message(), *queued.estimate.problems, file=sys.stderr)
            items, jobs = queued.items, queued.unique_jobs
            if not wait:
                return await _print_queued(services, settings, queued, as_json)
            if not await services.library.workers_alive(within_s=settings.heartbeat_s * 3):
                pool = WorkerPool(settings, settings.workers)
                pool.start()
            final = await _follow(services, jobs, pool)
            videos = {v.id: v for v in await services.library.get_many([job.video_id for job in jobs])}
            rows = [(item.path, videos[item.video.id], final[queued.job_of(item).id]) for item in items]
            if as_json:
                for path, video, job in rows:
                    shots = await services.library.shots(video.id)
                    transcript = await services.library.segments(video.id, "speech")
                    on_screen = await services.library.segments(video.id, "ocr")
                    faces = await services.library.faces(video.id)  # less those marked "Not a face"
                    people = await services.people.in_video(video.id) if services.people else []
                    print(json.dumps(video_result(path, video, job, shots, transcript, on_screen, faces, people)),
                          flush=True)
            else:
                _print_summary(rows, sys.stdout)
            return 0 if all(job.status == JobStatus.SUCCEEDED for _, _, job in rows) else 1
        finally:
            if pool:
                await asyncio.to_thread(pool.stop)

    return await with_services(settings, body)


async def _print_queued(services: Services, settings: Settings, queued: Queued, as_json: bool) -> int:
    """`vip analyze --no-wait`: one line per input path, its job id first (JSON: a record)."""
    for item in queued.items:
        job = queued.job_of(item)
        if as_json:
            print(json.dumps({"path": item.path, "video_id": item.video.id, "job_id": job.id,
                              "status": str(job.status)}), flush=True)
        else:
            print(f"{job.id}  {str(job.status):<9} {item.path}", flush=True)
    if not await services.library.workers_alive(within_s=settings.heartbeat_s * 3):
        print("vip analyze: queued; no worker is running — start `vip worker` (or the app) to analyse them. "
              "`vip jobs wait JOB_ID...` follows them.", file=sys.stderr)
    return 0


async def _follow(services: Services, jobs: list[Job], pool: WorkerPool | None) -> dict[str, Job]:
    """Follow the job records (JobService.watch) until every job has finished, drawing progress
    bars on stderr; while the database is away (restarting, cut off) say so and keep waiting."""
    bars = ProgressBars(sys.stderr, [j.id for j in jobs])
    names = {v.id: v.name for v in await services.library.get_many([j.video_id for j in jobs])}
    current = {j.id: j for j in jobs}

    def outage(away: bool, seconds: float) -> None:  # the embedded one is restarted by whoever notices first
        print("vip: the database is not responding — reconnecting…" if away
              else f"vip: the database is back (away {seconds:.0f} s)", file=sys.stderr, flush=True)

    async for changed in services.jobs.watch(list(current), POLL_S, outage, give_up_s=OUTAGE_LIMIT_S):
        current.update((job.id, job) for job in changed)
        bars.draw([current[j.id] for j in jobs], names)
        if pool and not all(job.status.finished for job in current.values()):
            await asyncio.to_thread(pool.check)
    bars.done()
    return current


class ProgressBars:
    """Live bars on a terminal; one line per status change elsewhere (logs, CI)."""

    def __init__(self, out: TextIO, job_ids: list[str]) -> None:
        self._out = out
        self._tty = out.isatty()
        self._lines = 0
        self._last: dict[str, str] = {}

    def draw(self, jobs: list[Job], names: dict[str, str]) -> None:
        lines = []
        for job in jobs:
            name = names.get(job.video_id, job.video_id)[:32]
            filled = int(job.progress * BAR_WIDTH)
            bar = "█" * filled + "·" * (BAR_WIDTH - filled)
            lines.append(f"{name:<32} {bar} {job_progress_text(job)}")
        if self._tty:
            if self._lines:
                self._out.write(f"\x1b[{self._lines}F")
            self._out.write("".join(f"\x1b[2K{line}\n" for line in lines))
            self._lines = len(lines)
        else:
            for job, line in zip(jobs, lines):
                key = f"{job.status}:{job.current_stage.name if job.current_stage else ''}"
                if self._last.get(job.id) != key:
                    self._last[job.id] = key
                    self._out.write(line + "\n")
        self._out.flush()

    def done(self) -> None:
        self._out.flush()


def video_result(path: str, video: Video, job: Job, shots: list[Shot],
                 transcript: list[TextSegment] | None = None,
                 on_screen_text: list[TextSegment] | None = None,
                 faces: list[TextSegment] | None = None,
                 people: list[VideoPerson] | None = None) -> dict[str, Any]:
    """The stable `vip analyze --json` record for one input path."""
    names = video.speaker_names()
    return {
        "path": path,
        "video_id": video.id,
        "job_id": job.id,
        "status": str(job.status),
        "media": video.media.to_doc() if video.media else None,
        "poster": video.poster_path,
        "shots": [{k: v for k, v in s.to_doc().items() if k not in ("_id", "video_id")} for s in shots],
        "timeline": video.timeline.to_doc() if video.timeline else None,
        "black_segments": [s.to_doc() for s in video.black_segments],
        "transcript": [{"start_s": t.start_s, "end_s": t.end_s, "text": t.text, "language": t.language,
                        "speaker": t.speaker, "speaker_name": names.get(t.speaker) if t.speaker else None}
                       for t in transcript or []],
        "speakers": [{"label": label, "name": names[label], "person_id": (info or {}).get("person_id")}
                     for label, info in sorted(video.speakers.items())],
        "people": [{"person_id": vp.person.id, "name": vp.person.display_name, "named": vp.person.name is not None,
                    "start_s": vp.appearance.start_s, "end_s": vp.appearance.end_s,
                    "box": vp.appearance.box.to_doc()} for vp in people or []],
        "on_screen_text": [{"start_s": t.start_s, "end_s": t.end_s, "text": t.text} for t in on_screen_text or []],
        "faces": [{"start_s": f.start_s, "end_s": f.end_s, "box": f.boxes[0].to_doc() if f.boxes else None}
                  for f in faces or []],
        "stages": {name: info.get("status") for name, info in video.stages.items()},
        "cost_usd": video.cost_usd,
        "error": job.error.to_doc() if job.error else None,
    }


def _print_summary(rows: list[tuple[str, Video, Job]], out: TextIO) -> None:
    """One line per analysed video; the same failure on several videos (a missing model) is said once.
    A file with the same content as one before it is the same video, analysed once: said as such."""
    failures: dict[tuple[str, str], list[str]] = {}
    first_path: dict[str, str] = {}
    for path, video, job in rows:
        if video.id in first_path:
            out.write(f"same    {path}\n        the same content as {first_path[video.id]}: analysed once\n")
            continue
        first_path[video.id] = path
        if job.status == JobStatus.SUCCEEDED and video.media:
            m = video.media
            out.write(f"ok      {path}  {format_duration(m.duration_s)}  {m.resolution}  "
                      f"{m.fps:g} fps  {m.video_codec}{'+' + m.audio_codec if m.audio_codec else ''}\n")
        else:
            reason = job.error.message if job.error else job.message
            failures.setdefault((str(job.status), reason), []).append(path)
    for (status, reason), paths in failures.items():
        if len(paths) == 1:
            out.write(f"{status:<7} {paths[0]}\n        {reason}\n")
        else:
            out.write(f"{status:<7} {len(paths)} videos, all for the same reason:\n")
            out.write("".join(f"        {path}\n" for path in paths) + f"        {reason}\n")
    failed = sum(len(paths) for paths in failures.values())
    videos, same = len(first_path), len(rows) - len(first_path)
    out.write(f"{videos - failed} of {videos} videos analysed" + (f", {failed} failed" if failed else "")
              + (f"; {same} file{'s' if same != 1 else ''} with the same content as another" if same else "") + "\n")


async def run_jobs(settings: Settings, project_name: str | None, as_json: bool, limit: int,
                   status: str | None = None, refs: list[str] | None = None) -> int:
    """`vip jobs`: the recent jobs (of a project, in a status); `vip jobs JOB_ID...`: those jobs'
    records; `vip jobs wait JOB_ID...`: progress until they end (1 unless all succeeded)."""
    refs = list(refs or [])
    waiting = bool(refs) and refs[0] == "wait"
    if waiting:
        refs = refs[1:]
        if not refs:
            print("vip jobs wait: give one or more job ids (`vip analyze --no-wait` prints them)", file=sys.stderr)
            return 2

    async def body(services: Services) -> int:
        if refs:
            try:
                jobs = [await services.jobs.find(ref) for ref in refs]
            except VipError as exc:
                print(f"vip jobs: {exc}", file=sys.stderr)
                return 2
            if waiting:
                final = await _follow(services, jobs, None)
                jobs = [final[job.id] for job in jobs]
            names = {v.id: v.name for v in await services.library.get_many([j.video_id for j in jobs])}
            for job in jobs:
                if as_json:
                    print(json.dumps(job_json(job, names.get(job.video_id))))
                else:
                    _print_job(job, names.get(job.video_id, "?"), sys.stdout)
            if waiting:
                return 0 if all(job.status == JobStatus.SUCCEEDED for job in jobs) else 1
            return 0
        project_id = None
        if project_name:
            project = await services.projects.ensure(project_name)
            project_id = project.id
        wanted = JobStatus(status) if status else None
        jobs = await services.jobs.recent(project_id, limit, wanted)
        names = {v.id: v.name for v in await services.library.get_many([j.video_id for j in jobs])}
        for job in jobs:
            if as_json:
                print(json.dumps(job_json(job, names.get(job.video_id))))
            else:
                print(f"{job.id[:8]}  {str(job.status):<9} {job.progress * 100:5.1f}%  "
                      f"{names.get(job.video_id, '?')[:40]:<40}  {job_progress_text(job)}")
        if not jobs and not as_json:
            print(f"No {wanted} jobs." if wanted else "No jobs yet. Run `vip analyze PATH...` or import videos in the app.")
        return 0

    return await with_services(settings, body)


def _print_job(job: Job, video_name: str, out: TextIO) -> None:
    """One job's record for a person: what, where it stands, each stage, the error."""
    out.write(f"job      {job.id}\n")
    out.write(f"video    {video_name}  ({job.video_id})\n")
    out.write(f"status   {job.status}  {job.progress * 100:.0f}%  {job_progress_text(job)}\n")
    worker = f"  worker {job.worker_id}" if job.worker_id else ""
    out.write(f"created  {job.created_at:%Y-%m-%d %H:%M:%S} UTC  attempts {job.attempts}{worker}\n")
    for stage in job.stages:
        took = ""
        if stage.started_at and stage.finished_at:
            took = f"{(stage.finished_at - stage.started_at).total_seconds():.1f} s"
        out.write(f"  {stage.name:<10} {str(stage.status):<9} {stage.progress * 100:4.0f}%  {took:>8}  "
                  f"{stage.message}\n")
    if job.error:
        out.write(f"error    {job.error.type}: {job.error.message}\n")


def job_json(job: Job, video_name: str | None) -> dict[str, Any]:
    doc = job.to_doc()
    doc["id"] = doc.pop("_id")
    doc["video_name"] = video_name
    for key, value in list(doc.items()):
        if hasattr(value, "isoformat"):
            doc[key] = value.isoformat()
    for stage in doc["stages"]:
        for key in ("started_at", "finished_at"):
            if stage.get(key) is not None:
                stage[key] = stage[key].isoformat()
    return doc
