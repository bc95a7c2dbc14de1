"""A synthetic video library for benchmarks/bench_scale.py, written through the real repositories.

Runs in the benchmark's process (or a test), on its asyncio loop: the sync repositories the
pipeline stages use (worker side) for what analysis writes, the async ones the GUI and CLI use
for what they write (videos, jobs, face marks). Nothing here knows how the repositories store
their data, so the same fill measures any storage layout behind them.

Per video (defaults): a 10-60 min video's probe and visual results, 50 shots, 500 segments
(60 % speech lines with word times, 30 % on-screen text with boxes, 10 % faces), 100 search
passages with 384-float vectors, a local summary (overview and 6 chapters), every stage
recorded as succeeded, 10 finished jobs with their stages, and 3 provider ledger rows; every
tenth video one "Not a face" mark. Content is derived from the video's number, so a grown
library holds the same first videos as a fresh one.

A real library accumulates over months: each video's import time is spread (by its number)
over the year before the hour the benchmark started (ANCHOR), its jobs follow it hour by hour
and its ledger rows a few minutes after it, so they fall on every day of that year, as an
operator's do. The extra history jobs (`add_jobs`: the benchmark's top-up to 50,000 jobs, which
stands in for the jobs of videos a small library does not hold) are spread evenly over the
year, so a small library has the jobs-per-day of a large one.
"""

from __future__ import annotations

import asyncio
import random
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import numpy as np

from core.faces.rejections import FaceRejection
from core.models import Job, JobStatus, MediaInfo, Segment, Shot, StageRecord, StageStatus, TextSegment, Timeline, Video
from core.models import VideoStatus
from core.models.segment import Box, Word
from core.repositories import (
    AsyncFaceRejectionRepository,
    AsyncJobRepository,
    AsyncVideoRepository,
    ProviderCallRepository,
    SegmentRepository,
    ShotRepository,
    VideoRepository,
)
from core.models.costs import ProviderCall
from core.models.passage import DIM, Passage
from core.search.passage_builder import passage_id
from core.models.summary import LOCAL, Chapter, Moment, Summary

WORDS = ("the invoice harbour tower river budget meeting camera shipment contract engine market "
         "weather station report signal window garden bridge council project delivery quarter "
         "figure customer question answer morning evening vessel cargo crane tide lighthouse "
         "museum archive library street corner police market festival stadium runner coach "
         "season ticket price forecast storm north south east west island coast mountain valley "
         "farmer harvest factory worker union strike minister election vote result record "
         "company share profit loss growth export import border train station platform delay "
         "airport flight gate passenger luggage hotel room kitchen dinner recipe bread coffee "
         "school teacher student lesson exam science energy solar battery vehicle electric").split()
SPEECH, OCR, FACE = 0.6, 0.3, 0.1  # share of a video's segments by kind
YEAR = timedelta(days=365)
ANCHOR = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)  # the library's "now"


def imported_at(number: int) -> datetime:
    """When video `number` was imported: somewhere in the year before ANCHOR (an hour clear of it)."""
    return ANCHOR - timedelta(hours=1) - YEAR * random.Random(f"imported-{number}").random()


def _after_import(video: Video, offset: timedelta, room: timedelta = timedelta(minutes=5)) -> datetime:
    """`offset` after the video's import, wrapped round to stay `room` before ANCHOR."""
    span = max(ANCHOR - room - video.imported_at, timedelta(minutes=1))
    return video.imported_at + offset % span


@dataclass(frozen=True)
class Shape:
    """How much each synthetic video holds."""

    segments: int = 500
    shots: int = 50
    passages: int = 100
    jobs: int = 10
    ledger: int = 3
    chapters: int = 6


@dataclass
class FillStats:
    videos: int = 0
    docs: int = 0  # documents handed to the repositories (one per segment, shot, passage, job, ...)
    seconds: float = 0.0


def _sentence(rng: random.Random, low: int, high: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(low, high)))


def make_video(number: int, project_id: str, stage_versions: dict[str, int]) -> Video:
    """Video number `number` as the probe, visual and every other stage left it (status ready)."""
    rng = random.Random(number)
    duration = rng.uniform(600, 3600)
    media = MediaInfo(container="mov,mp4,m4a,3gp,3g2,mj2", duration_s=duration, start_s=0.0, fps=25.0,
                      width=1920, height=1080, rotation=0, display_width=1920, display_height=1080,
                      video_codec="h264", has_audio=True, audio_codec="aac", audio_channels=2,
                      audio_sample_rate=48000, bit_rate=8_000_000, frame_count=int(duration * 25),
                      size_bytes=int(duration * 1_000_000))
    imported = imported_at(number)
    video = Video(project_id=project_id, path=f"/archive/{number // 1000:03d}/clip_{number:06d}.mp4",
                  fingerprint=f"bench-{number:08d}", size_bytes=media.size_bytes, status=VideoStatus.READY,
                  media=media, poster_path=f"/cache/posters/clip_{number:06d}.jpg", imported_at=imported)
    video.timeline = Timeline(f"/cache/{video.id}/sprite.jpg", duration / 400, 20, 20, 160, 90, 400)
    video.black_segments = [Segment(0.0, 0.4)]
    video.stages = {name: {"status": "succeeded", "version": version, "finished_at": imported + timedelta(minutes=5)}
                    for name, version in stage_versions.items()}
    return video


def make_shots(video: Video, count: int) -> list[Shot]:
    rng = random.Random(f"shots-{video.fingerprint}")
    duration = video.media.duration_s if video.media else 600.0
    cuts = sorted(rng.uniform(0, duration) for _ in range(max(0, count - 1)))
    bounds = [0.0, *cuts, duration]
    return [Shot(video_id=video.id, index=i, start_s=bounds[i], end_s=bounds[i + 1], start_frame=int(bounds[i] * 25),
                 end_frame=int(bounds[i + 1] * 25), transition="start" if i == 0 else rng.choice(["cut", "cut", "fade"]),
                 keyframe_path=f"/cache/{video.id}/shot_{i:05d}.jpg", keyframe_s=(bounds[i] + bounds[i + 1]) / 2,
                 mean_rgb=[rng.randrange(256) for _ in range(3)], brightness=rng.random(), motion=rng.random())
            for i in range(count)]


def make_segments(video: Video, count: int) -> dict[str, list[TextSegment]]:
    """The video's segments by stage name ("speech", "ocr", "faces"), as those stages store them."""
    rng = random.Random(f"segments-{video.fingerprint}")
    duration = video.media.duration_s if video.media else 600.0
    n_speech, n_ocr = round(count * SPEECH), round(count * OCR)
    n_face = count - n_speech - n_ocr
    speech = []
    for i in range(n_speech):
        start = duration * i / max(1, n_speech)
        text = _sentence(rng, 6, 22)
        words = text.split()
        step = 4.0 / len(words)
        speech.append(TextSegment(video_id=video.id, kind="speech", start_s=start, end_s=start + 4.0, text=text,
                                  stage="speech", version=1, language="en", confidence=rng.uniform(0.6, 1.0),
                                  words=[Word(w, start + k * step, start + (k + 1) * step, rng.uniform(0.5, 1.0))
                                         for k, w in enumerate(words)]))
    ocr = []
    for _ in range(n_ocr):
        start = rng.uniform(0, duration - 5)
        ocr.append(TextSegment(video_id=video.id, kind="ocr", start_s=start, end_s=start + rng.uniform(1, 8),
                               text=_sentence(rng, 1, 6).upper(), stage="ocr", version=2, confidence=rng.uniform(0.7, 1),
                               boxes=[Box(rng.randrange(1700), rng.randrange(1000), 200, 40, 0.9)
                                      for _ in range(rng.randint(1, 3))]))
    faces = []
    for i in range(n_face):
        start = rng.uniform(0, duration - 5)
        faces.append(TextSegment(video_id=video.id, kind="face", start_s=start, end_s=start + rng.uniform(1, 6),
                                 stage="faces", version=1, confidence=rng.uniform(0.5, 1),
                                 boxes=[Box(rng.randrange(1700), rng.randrange(900), 120, 120, 0.8)],
                                 image_path=f"/cache/{video.id}/face_{i:04d}.jpg"))
    return {"speech": speech, "ocr": ocr, "faces": faces}


def make_passages(video: Video, segments: dict[str, list[TextSegment]], count: int) -> list[Passage]:
    """Search passages as the embed stage stores them: lines, windows and on-screen text, unit vectors."""
    rng = np.random.default_rng(zlib.crc32(video.fingerprint.encode()))
    vectors = rng.standard_normal((count, DIM), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    speech, ocr = segments["speech"], segments["ocr"]
    sources: list[tuple[str, str, TextSegment]] = []
    for i in range(count):
        if i % 5 == 4 and ocr:
            sources.append(("text", "ocr", ocr[i % len(ocr)]))
        elif i % 5 == 3 and speech:
            sources.append(("speech", "window", speech[i % len(speech)]))
        elif speech:
            sources.append(("speech", "line", speech[i % len(speech)]))
    passages = []
    for (modality, unit, seg), vector in zip(sources, vectors):
        text = seg.text if unit != "window" else f"{seg.text} {seg.text}"
        passages.append(Passage(id=passage_id(video.id, unit, seg.start_s, text), video_id=video.id,
                                modality=modality, unit=unit, start_s=round(seg.start_s, 3),
                                end_s=round(seg.end_s + (20 if unit == "window" else 0), 3), text=text, vector=vector))
    return list({p.id: p for p in passages}.values())


def make_summary(video: Video, speech: list[TextSegment], chapters: int) -> Summary:
    duration = video.media.duration_s if video.media else 600.0
    points = [Moment(s.start_s, s.text) for s in speech[:3]]
    return Summary(source=LOCAL, overview=" ".join(s.text for s in speech[:4]), overview_points=points,
                   chapters=[Chapter(duration * c / chapters, duration * (c + 1) / chapters, _title(speech, c),
                                     points=tuple(Moment(s.start_s, s.text) for s in speech[c * 5:c * 5 + 3]))
                             for c in range(chapters)])


def _title(speech: list[TextSegment], c: int) -> str:
    return " ".join(speech[c].text.split()[:4]).capitalize() if c < len(speech) else f"Chapter {c + 1}"


def make_jobs(video: Video, count: int, stage_names: list[str], start: int = 0, history: bool = False) -> list[Job]:
    """Finished analysis jobs of `video` (the newest one succeeded), each with all its stages:
    hours after its import, or (`history`) anywhere in the year before ANCHOR."""
    jobs = []
    for n in range(start, start + count):
        if history:
            created = ANCHOR - timedelta(minutes=5) - YEAR * random.Random(f"job-{video.fingerprint}-{n}").random()
        else:
            created = _after_import(video, timedelta(hours=n))
        finished = created + timedelta(minutes=4)
        failed = n % 7 == 6
        stages = [StageRecord(name, StageStatus.SUCCEEDED, 1.0, "Done", created, finished) for name in stage_names]
        if failed:
            stages[-1].status = StageStatus.FAILED
        jobs.append(Job(kind="analyze", video_id=video.id, project_id=video.project_id, stages=stages,
                        status=JobStatus.FAILED if failed else JobStatus.SUCCEEDED, progress=1.0,
                        message="Done in 240.0 s", attempts=1, worker_id="bench:1", heartbeat_at=finished,
                        created_at=created, updated_at=finished))
    return jobs


def make_calls(video: Video, count: int) -> list[ProviderCall]:
    rng = random.Random(f"calls-{video.fingerprint}")
    calls = []
    for n in range(count):
        provider, model = rng.choice([("openai", "gpt-4o-mini"), ("gemini", "gemini-2.0-flash")])
        cost = rng.uniform(0.0005, 0.02)
        cached = n % 4 == 3
        calls.append(ProviderCall(provider=provider, model=model, operation=rng.choice(["summary", "caption"]),
                                  ok=n % 13 != 12, cached=cached,
                                  units={"input_tokens": rng.uniform(500, 4000), "output_tokens": rng.uniform(50, 1200)},
                                  cost_usd=0.0 if cached else cost, saved_usd=cost if cached else 0.0,
                                  project_id=video.project_id, video_id=video.id, job_id=None, price_version="bench",
                                  at=_after_import(video, timedelta(minutes=3 + n))))
    return calls


class LibraryFiller:
    """Write synthetic videos through the repositories, as import, the stages and the gateway would."""

    def __init__(self, sync_db: Any, async_db: Any, shape: Shape, stage_versions: dict[str, int]) -> None:
        self.shape = shape
        self.stage_versions = stage_versions
        self._videos = VideoRepository(sync_db)
        self._shots = ShotRepository(sync_db)
        self._segments = SegmentRepository(sync_db)
        self._ledger = ProviderCallRepository(sync_db)
        self._async_videos = AsyncVideoRepository(async_db)
        self._jobs = AsyncJobRepository(async_db)
        self._marks = AsyncFaceRejectionRepository(async_db)

    async def fill(self, first: int, stop: int, projects: list[str],
                   progress: Callable[[int, FillStats], None] | None = None) -> FillStats:
        """Add videos number `first` .. `stop - 1`; video n goes to projects[0] unless n % 10 == 9."""
        stats = FillStats()
        loop = asyncio.get_running_loop()
        started = loop.time()
        for number in range(first, stop):
            project = projects[1] if number % 10 == 9 and len(projects) > 1 else projects[0]
            stats.docs += await self.add_video(number, project)
            stats.videos += 1
            stats.seconds = loop.time() - started
            if progress:
                progress(number + 1, stats)
        return stats

    async def add_video(self, number: int, project_id: str) -> int:
        """One video and everything its analysis stored; returns the number of documents written."""
        shape = self.shape
        video, created = await self._async_videos.add(make_video(number, project_id, self.stage_versions))
        if not created:
            return 0  # already in the library (a resumed fill)
        media = video.media
        assert media is not None
        shots = make_shots(video, shape.shots)
        segments = make_segments(video, shape.segments)
        passages = make_passages(video, segments, shape.passages)
        summary = make_summary(video, segments["speech"], shape.chapters)
        jobs = make_jobs(video, shape.jobs, list(self.stage_versions))
        calls = make_calls(video, shape.ledger)

        def stages() -> None:  # what the worker's stages write, in their order
            self._videos.save_probe(video.id, media, video.poster_path)
            self._shots.replace_for_video(video.id, shots)
            self._videos.save_visual(video.id, video.timeline, video.black_segments)
            for stage in ("speech", "ocr", "faces"):
                self._segments.replace_for_stage(video.id, stage, segments[stage])
            self._segments.replace_for_stage(video.id, "captions", [])
            self._segments.passages.replace_for_video(video.id, passages, "embed", self.stage_versions.get("embed", 1))
            self._segments.summaries.replace_for_video(video.id, summary, "summary",
                                                       self.stage_versions.get("summary", 1))
            for stage, version in self.stage_versions.items():
                self._videos.record_stage(video.id, stage, StageStatus.SUCCEEDED, version)
            for call in calls:
                self._ledger.record(call)
            self._videos.set_status(video.id, VideoStatus.READY)

        stages()
        await asyncio.gather(*(self._jobs.add(job) for job in jobs))
        marks = 0
        if number % 10 == 0 and segments["faces"]:
            face = segments["faces"][0]
            await self._marks.add(FaceRejection(video.id, face.start_s, face.end_s, face.boxes[0]))
            marks = 1
        return (1 + len(shots) + sum(len(s) for s in segments.values()) + len(passages) + 1 + shape.chapters
                + len(jobs) + len(calls) + marks)

    async def add_jobs(self, videos: list[Video], count: int, start: int, chunk: int = 64) -> None:
        """`count` more finished jobs, spread over `videos` (history from re-analyses)."""
        names = list(self.stage_versions)
        pending: list[Job] = []
        for n in range(count):
            video = videos[n % len(videos)]
            pending += make_jobs(video, 1, names, start=start + n // len(videos) + self.shape.jobs, history=True)
            if len(pending) >= chunk:
                await asyncio.gather(*(self._jobs.add(job) for job in pending))
                pending = []
        await asyncio.gather(*(self._jobs.add(job) for job in pending))
