"""Speech stage with a cloud transcriber: audio cut into chunks in silence, one call per chunk."""

from __future__ import annotations

import hashlib
import re
import wave
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from core.errors import JobCanceled
from core.models import Job, JobStatus, StageStatus, Video
from core.pipeline import ProbeStage, SpeechStage
from core.pipeline.speech_stage import chunk_bounds
from core.pipeline.stage import StageContext
from core.providers.base import BudgetExceeded, ProviderError, ProviderRequest
from core.providers.cache import cache_key
from core.models.routing import Route, Routing
from core.repositories import JobRepository, SegmentRepository, ShotRepository, VideoRepository
from core.speech import decode_audio
from tests.core.test_runner import add_video_job, make_runner
from tests.core.test_speech import speech_clip  # noqa: F401 - a fixture
from tests.core.test_speech import speech_stage  # noqa: F401 - a fixture

WHISPER = Route("openai", "whisper-1")


class StandInProviders:
    """The ProviderAccess port: the project's transcriber route and scripted transcribe answers.

    Each answer has one segment per chunk, 0.1 s into it, or raises `error`. It checks the
    chunk file while the call runs (the stage deletes it afterwards)."""

    def __init__(self, route: Route = WHISPER, error: Exception | None = None) -> None:
        self._route, self._error = route, error
        self.requests: list[ProviderRequest] = []
        self.chunks: list[tuple[int, int, bytes]] = []  # (rate, channels, bytes) of each chunk file

    def route(self, project_id: str, capability: str) -> Route:
        return self._route if capability == "transcriber" else Route()

    def call(self, request: ProviderRequest) -> dict[str, Any]:
        self.requests.append(request)
        if self._error is not None:
            raise self._error
        path = Path(request.payload["path"])
        with wave.open(str(path)) as chunk:
            self.chunks.append((chunk.getframerate(), chunk.getnchannels(), path.read_bytes()))
        duration = float(request.payload["duration_s"])
        n = len(self.requests)
        return {"text": f"Part {n}.", "language": "english", "duration_s": duration,
                "segments": [{"start_s": 0.1, "end_s": duration - 0.05, "text": f" Part {n}. "},
                             {"start_s": 0.2, "end_s": 0.3, "text": "  "}]}


def _context(db: Any, video_id: str, tmp_path: Path, report: Any) -> StageContext:
    """What the runner gives a stage, for a video the probe stage has seen."""
    video = VideoRepository(db).get(video_id)
    assert video is not None and video.media is not None
    return StageContext(video=video, videos=VideoRepository(db), shots=ShotRepository(db),
                        segments=SegmentRepository(db), media_dir=tmp_path / "media", report=report)


def test_transcriber_may_be_routed_to_the_cloud() -> None:
    routing = Routing().with_route("transcriber", WHISPER)
    assert routing.route("transcriber") == WHISPER


def test_chunks_are_at_most_ten_minutes_and_cut_in_silence() -> None:
    rate = 1000  # a low rate keeps 25 minutes of signal small; the cut logic is rate-independent
    rng = np.random.default_rng(7)
    signal = (rng.standard_normal(25 * 60 * rate) * 0.3).astype(np.float32)  # "speech" everywhere...
    silences = [(575.0, 575.6), (590.0, 590.6), (1170.0, 1170.8)]  # ...except here
    for start, end in silences:
        signal[int(start * rate):int(end * rate)] = 0.0
    bounds = chunk_bounds(signal, rate=rate)
    assert [len(bounds), bounds[0][0], bounds[-1][1]] == [3, 0, len(signal)]
    assert all(a[1] == b[0] for a, b in zip(bounds, bounds[1:]))  # contiguous, nothing lost
    assert all(end - start <= 600 * rate for start, end in bounds)
    cuts = [end / rate for _, end in bounds[:-1]]
    assert 590.0 < cuts[0] < 590.6  # the silence nearest the limit, not the earlier one
    assert 1170.0 < cuts[1] < 1170.8
    # no silence at all: still at most ten minutes per chunk
    noise = chunk_bounds(signal[:int(590 * rate)].copy().repeat(3), rate=rate)
    assert all(end - start <= 600 * rate for start, end in noise) and noise[-1][1] == 590 * rate * 3
    assert chunk_bounds(signal[:5 * rate], rate=rate) == [(0, 5 * rate)]
    assert chunk_bounds(np.zeros(0, np.float32)) == []


def test_quietest_half_second_wins_without_true_silence() -> None:
    rate = 16000
    t = np.arange(12 * rate) / rate
    signal = (0.5 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    signal[int(3.2 * rate):int(3.8 * rate)] *= 0.05  # a pause between words, not digital silence
    bounds = chunk_bounds(signal, rate=rate, max_s=5.0)
    assert 3.2 < bounds[0][1] / rate < 3.8 and all(e - s <= 5 * rate for s, e in bounds)


def test_routed_speech_goes_to_the_provider_chunk_by_chunk_in_the_video_timeline(
        sync_db: Any, tmp_path: Path, speech_clip: tuple[Path, float]) -> None:  # noqa: F811
    clip, _ = speech_clip
    audio = decode_audio(clip)
    assert audio is not None
    providers = StandInProviders()
    stage = SpeechStage(data_dir=tmp_path / "no-models", providers=providers)  # no local model needed
    stage.chunk_max_s = 2.0
    video, job = add_video_job(sync_db, clip, ("probe", "speech"))
    assert make_runner(sync_db, tmp_path, [ProbeStage(), stage]).run(job.id) == JobStatus.SUCCEEDED

    requests = providers.requests
    assert len(requests) == 3  # ~5 s of audio, at most 2 s per chunk
    durations = [float(r.payload["duration_s"]) for r in requests]
    assert sum(durations) == pytest.approx(audio.duration_s, abs=0.01) and max(durations) <= 2.0
    for request, (rate, channels, content), duration in zip(requests, providers.chunks, durations):
        assert (request.provider, request.model, request.operation) == ("openai", "whisper-1", "transcribe")
        assert (request.project_id, request.video_id, request.job_id) == ("p1", video.id, job.id)
        assert request.estimate == {"audio_minutes": pytest.approx(duration / 60, abs=1e-4)}
        assert re.fullmatch(r"[0-9a-f]{64}", request.payload["audio_sha256"])
        assert request.payload["audio_sha256"] == hashlib.sha256(content).hexdigest()
        assert (rate, channels) == (16000, 1)
        assert not Path(request.payload["path"]).exists()  # removed after the call
    assert len({r.payload["audio_sha256"] for r in requests}) == 3

    segments = SegmentRepository(sync_db).for_video(video.id, "speech")
    assert [s.text for s in segments] == ["Part 1.", "Part 2.", "Part 3."]  # blank segments dropped
    chunk_starts = np.cumsum([0.0] + durations[:-1])
    for segment, chunk_start, duration in zip(segments, chunk_starts, durations):
        assert segment.start_s == pytest.approx(audio.start_s + chunk_start + 0.1, abs=0.002)
        assert segment.end_s == pytest.approx(audio.start_s + chunk_start + duration - 0.05, abs=0.002)
        assert segment.kind == "speech" and segment.stage == "speech" and segment.version == SpeechStage.version
        assert segment.language == "en" and segment.words == []
    assert segments[0].start_s > 1.5  # the audio stream starts 1.5 s into the video
    done = JobRepository(sync_db).get(job.id)
    assert done and done.stages[1].message == "3 segments (en) by openai/whisper-1"

    # A re-run asks the same questions: the gateway's cache answers.
    stage.run(_context(sync_db, video.id, tmp_path, lambda fraction, message="": None))
    # a re-run sends the same audio from other temp files: the gateway's cache keys are the same
    assert [cache_key(r) for r in providers.requests[3:]] == [cache_key(r) for r in providers.requests[:3]]
    assert providers.requests[3].payload["path"] != providers.requests[0].payload["path"]


def run_speech(sync_db: Any, tmp_path: Path, clip: Path, stage: SpeechStage, providers: Any) -> tuple[Video, Job]:
    """Probe and transcribe `clip` with `providers`; the job must succeed."""
    stage.providers = providers
    try:
        video, job = add_video_job(sync_db, clip, ("probe", "speech"))
        assert make_runner(sync_db, tmp_path, [ProbeStage(), stage]).run(job.id) == JobStatus.SUCCEEDED
    finally:
        stage.providers = None
    return video, job


@pytest.mark.parametrize("error", [ProviderError("openai", "HTTP 500: server error"),
                                   BudgetExceeded("the project's budget of $1.00 is reached")])
def test_provider_failure_falls_back_to_the_local_model_and_says_why(
        sync_db: Any, tmp_path: Path, speech_clip: tuple[Path, float], speech_stage: SpeechStage,  # noqa: F811
        error: Exception) -> None:
    providers = StandInProviders(error=error)
    video, job = run_speech(sync_db, tmp_path, speech_clip[0], speech_stage, providers)
    assert len(providers.requests) == 1  # the first chunk failed: no more calls
    done = JobRepository(sync_db).get(job.id)
    assert done and done.stages[1].status == StageStatus.SUCCEEDED
    message = done.stages[1].message
    assert re.match(r"\d+ segments \(en\); ", message) and message.endswith(f"{error} — local model instead")
    segments = SegmentRepository(sync_db).for_video(video.id, "speech")
    assert "weather" in " ".join(s.text for s in segments).lower()
    assert any(s.words for s in segments)  # the local model's word times


def test_not_routed_runs_the_local_model_as_before(
        sync_db: Any, tmp_path: Path, speech_clip: tuple[Path, float], speech_stage: SpeechStage) -> None:  # noqa: F811
    providers = StandInProviders(route=Route())
    video, job = run_speech(sync_db, tmp_path, speech_clip[0], speech_stage, providers)
    assert providers.requests == []
    done = JobRepository(sync_db).get(job.id)
    assert done and done.stages[1].message.endswith("(en)")
    segments = SegmentRepository(sync_db).for_video(video.id, "speech")
    assert "weather" in " ".join(s.text for s in segments).lower() and any(s.words for s in segments)


def test_cancel_between_chunks_stops_and_leaves_no_chunk_files(
        sync_db: Any, tmp_path: Path, speech_clip: tuple[Path, float]) -> None:  # noqa: F811
    video, job = add_video_job(sync_db, speech_clip[0], ("probe",))
    assert make_runner(sync_db, tmp_path, [ProbeStage()]).run(job.id) == JobStatus.SUCCEEDED
    providers = StandInProviders()

    def report(fraction: float, message: str = "") -> None:
        if providers.requests and message.startswith("Transcribing"):
            raise JobCanceled("canceled by the operator")

    ctx = _context(sync_db, video.id, tmp_path, report)
    stage = SpeechStage(data_dir=tmp_path / "no-models", providers=providers)
    stage.chunk_max_s = 2.0
    with pytest.raises(JobCanceled):
        stage.run(ctx)
    assert len(providers.requests) == 1 and not Path(providers.requests[0].payload["path"]).exists()
    assert SegmentRepository(sync_db).for_video(video.id, "speech") == []
