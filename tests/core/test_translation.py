"""Translate stage: Whisper's own English translation (a stand-in and the real model), an LLM
through the real gateway for other languages, and what it says when there is nothing to do."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from core.media.fingerprint import fingerprint
from core.models import Job, JobStatus, StageRecord, StageStatus, Video
from core.models.segment import TextSegment
from core.modelstore import ModelLoader
from core.pipeline import ProbeStage, SpeechStage
from core.pipeline.translate_stage import TranslateStage, TranslatingTranscriber
from core.providers import PriceTable, ProviderGateway
from core.models.routing import Routing
from core.providers.base import ProviderRequest, ProviderResponse
from core.providers.budgets import BudgetChecker
from core.models.routing import Route
from core.providers.stage_access import GatewayAccess
from core.repositories import (
    ApiCacheRepository,
    JobRepository,
    ProjectRepository,
    ProviderCallRepository,
    SegmentRepository,
)
from core.repositories.routing import RoutingRepository
from core.speech import SpokenSegment, Transcript
from core.speech.translation import TranslationAnswerError, batches, parse_numbered, speaker_at
from tests.core.test_runner import make_runner

GERMAN = "Guten Morgen. Heute sprechen wir über das Wetter in Berlin. Es regnet den ganzen Tag."
AUDIO_AT = 1.0  # the audio stream starts this late in the video's timeline


@pytest.fixture(scope="module")
def german_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 7 s grey video whose audio (German speech, espeak-ng) starts at 1 s."""
    if shutil.which("espeak-ng") is None:
        pytest.fail("espeak-ng is required for the speech tests: run `bash scripts/setup.sh`")
    folder = tmp_path_factory.mktemp("german")
    wav = folder / "satz.wav"
    subprocess.run(["espeak-ng", "-v", "de", "-w", str(wav), GERMAN], check=True)
    clip = folder / "wetter.mp4"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y",
                    "-f", "lavfi", "-i", "color=gray:size=160x120:rate=10:duration=7",
                    "-itsoffset", str(AUDIO_AT), "-i", str(wav), "-map", "0:v", "-map", "1:a",
                    "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac",
                    str(clip)], check=True)
    return clip


def _speech(video_id: str, lines: Sequence[tuple[float, float, str, str | None]], language: str) -> list[TextSegment]:
    return [TextSegment(video_id=video_id, kind="speech", stage="speech", version=1, start_s=start, end_s=end,
                        text=text, language=language, speaker=speaker)
            for start, end, text, speaker in lines]


def _video_with_speech(db: Any, path: Path, lines: Sequence[tuple[float, float, str, str | None]],
                       language: str = "de") -> tuple[Video, Job]:
    """A video whose speech stage ran earlier (its segments stored), and a probe + translate job."""
    fp, size = fingerprint(path)
    video = Video(project_id="p1", path=str(path), fingerprint=fp, size_bytes=size,
                  stages={"speech": {"status": "succeeded", "version": SpeechStage.version}})
    db["videos"].insert_one(video.to_doc())
    job = Job(kind="analyze", video_id=video.id, project_id="p1", stages=[StageRecord("probe"), StageRecord("translate")])
    db["jobs"].insert_one(job.to_doc())
    SegmentRepository(db).replace_for_stage(video.id, "speech", _speech(video.id, lines, language))
    return video, job


def _message(db: Any, job: Job) -> tuple[StageStatus, str]:
    done = JobRepository(db).get(job.id)
    assert done is not None
    return done.stages[-1].status, done.stages[-1].message


class StandInWhisper:
    """Whisper's translate task, scripted: segment times relative to the first audio sample."""

    def __init__(self, segments: list[tuple[float, float, str]]) -> None:
        self.segments = segments
        self.calls: list[tuple[str, str | None, float]] = []

    def transcribe(self, samples: npt.NDArray[np.float32], on_vad: Callable[[float], None] | None = None,
                   task: str = "transcribe", language: str | None = None) -> Transcript | None:
        self.calls.append((task, language, len(samples) / 16_000))
        return Transcript("de", 0.99, iter([SpokenSegment(s, e, t, 0.8) for s, e, t in self.segments]))


def _stage_with(whisper: StandInWhisper, **kwargs: Any) -> TranslateStage:
    return TranslateStage(loader=ModelLoader[TranslatingTranscriber](lambda store: whisper), **kwargs)


GERMAN_LINES: list[tuple[float, float, str, str | None]] = [(1.0, 2.4, "Guten Morgen.", "S1"), (2.6, 5.0, "Heute sprechen wir über das Wetter in Berlin.", "S2")]


def test_numbered_answers_are_read_line_by_line_and_a_missing_line_is_an_error() -> None:
    assert parse_numbered("```\n1: Bonjour.\n2. Aujourd'hui\nnous parlons.\n[3] Merci\n```", 3, "m") == [
        "Bonjour.", "Aujourd'hui nous parlons.", "Merci"]
    with pytest.raises(TranslationAnswerError, match="left out 1 of 3 lines \\(2\\)"):
        parse_numbered("1: a\n3: c", 3, "m")
    with pytest.raises(TranslationAnswerError, match="answered line 4, but only 3"):
        parse_numbered("1: a\n2: b\n3: c\n4: d", 3, "m")
    assert [list(r) for r in batches(["x" * 10] * 5, max_lines=2)] == [[0, 1], [2, 3], [4]]
    assert [list(r) for r in batches(["x" * 10] * 3, max_chars=25)] == [[0, 1], [2]]
    originals = _speech("v", GERMAN_LINES, "de")
    assert speaker_at(1.1, 2.9, originals) == "S1"  # 1.3 s with S1, 0.3 s with S2
    assert speaker_at(2.0, 4.0, originals) == "S2"
    assert speaker_at(6.0, 7.0, originals) is None


def test_whisper_translates_into_english_with_the_speakers_of_the_overlapping_lines(
        sync_db: Any, tmp_path: Path, german_clip: Path) -> None:
    whisper = StandInWhisper([(0.0, 1.3, "Good morning."), (1.5, 4.2, "Today we talk about the weather in Berlin.")])
    video, job = _video_with_speech(sync_db, german_clip, GERMAN_LINES)
    assert make_runner(sync_db, tmp_path, [ProbeStage(), _stage_with(whisper)]).run(job.id) == JobStatus.SUCCEEDED
    assert _message(sync_db, job) == (StageStatus.SUCCEEDED, "2 lines in English from German (Whisper)")
    task, language, seconds = whisper.calls[0]
    assert (task, language) == ("translate", "de") and seconds > 3.0  # the decoded audio, told its language
    stored = SegmentRepository(sync_db).for_video(video.id, "translation")
    assert [(s.text, s.speaker) for s in stored] == [
        ("Good morning.", "S1"), ("Today we talk about the weather in Berlin.", "S2")]
    assert [(s.start_s, s.end_s) for s in stored] == [pytest.approx((1.0, 2.3), abs=0.05),
                                                      pytest.approx((2.5, 5.2), abs=0.05)]  # in the video's timeline
    assert all(s.kind == "translation" and s.language == "en" and s.stage == "translate" for s in stored)
    assert [s.text for s in SegmentRepository(sync_db).for_video(video.id, "speech")][0] == "Guten Morgen."


def test_english_speech_needs_no_english_translation(sync_db: Any, tmp_path: Path, german_clip: Path) -> None:
    whisper = StandInWhisper([(0.0, 1.0, "never asked")])
    video, job = _video_with_speech(sync_db, german_clip, [(1.0, 2.0, "Good morning.", None)], language="en")
    SegmentRepository(sync_db).replace_for_stage(video.id, "translate", [TextSegment(
        video_id=video.id, kind="translation", stage="translate", start_s=1.0, end_s=2.0, text="old")])
    assert make_runner(sync_db, tmp_path, [ProbeStage(), _stage_with(whisper)]).run(job.id) == JobStatus.SUCCEEDED
    assert _message(sync_db, job) == (StageStatus.SUCCEEDED, "Already English")
    assert whisper.calls == [] and SegmentRepository(sync_db).for_video(video.id, "translation") == []


def test_no_speech_is_said_not_failed(sync_db: Any, tmp_path: Path, german_clip: Path) -> None:
    whisper = StandInWhisper([])
    video, job = _video_with_speech(sync_db, german_clip, [])
    assert make_runner(sync_db, tmp_path, [ProbeStage(), _stage_with(whisper)]).run(job.id) == JobStatus.SUCCEEDED
    assert _message(sync_db, job) == (StageStatus.SUCCEEDED, "No speech")
    assert whisper.calls == []


class NumberedTranslator:
    """An OpenAI-compatible chat model that 'translates' numbered lines into French by tagging them
    (the HTTP wire format is tested in test_providers_http.py); counts its calls."""

    name = "openai"

    def __init__(self, drop_last: bool = False) -> None:
        self.calls: list[ProviderRequest] = []
        self.drop_last = drop_last

    def call(self, request: ProviderRequest, timeout_s: float) -> ProviderResponse:
        self.calls.append(request)
        prompt = request.payload["messages"][-1]["content"]
        lines = re.findall(r"^(\d+): (.*)$", prompt, re.MULTILINE)
        if self.drop_last:
            lines = lines[:-1]
        answer = "\n".join(f"{n}: [fr] {text}" for n, text in lines)
        return ProviderResponse({"text": answer}, {"input_tokens": 300.0, "output_tokens": 200.0, "requests": 1.0})


def _gateway_access(db: Any, provider: NumberedTranslator) -> GatewayAccess:
    db["project_settings"].insert_one(
        {"_id": "p1", "routes": Routing().with_route("summarizer", Route("openai", "gpt-4o-mini")).to_doc()})
    ledger = ProviderCallRepository(db)
    gateway = ProviderGateway({"openai": provider}, ApiCacheRepository(db), ledger, PriceTable(),
                              BudgetChecker(ProjectRepository(db), ledger))
    return GatewayAccess(RoutingRepository(db), gateway)


def test_other_languages_go_through_the_routed_llm_in_numbered_batches(
        sync_db: Any, tmp_path: Path, german_clip: Path) -> None:
    provider = NumberedTranslator()
    stage = TranslateStage(providers=_gateway_access(sync_db, provider), target_language=lambda video: "fr")
    lines: list[tuple[float, float, str, str | None]] = [
        (i * 0.1, i * 0.1 + 0.08, f"Satz {i}.", f"S{1 + i % 2}") for i in range(45)]
    video, job = _video_with_speech(sync_db, german_clip, lines)
    assert make_runner(sync_db, tmp_path, [ProbeStage(), stage]).run(job.id) == JobStatus.SUCCEEDED
    assert _message(sync_db, job) == (StageStatus.SUCCEEDED, "45 lines in French by openai/gpt-4o-mini")
    assert len(provider.calls) == 2  # 40 + 5 lines
    first = provider.calls[0]
    assert first.operation == "chat" and first.video_id == video.id and first.estimate["input_tokens"] > 0
    assert "from German into French" in first.payload["messages"][-1]["content"]
    stored = SegmentRepository(sync_db).for_video(video.id, "translation")
    assert [(s.start_s, s.end_s, s.text, s.speaker) for s in stored] == [
        (start, end, f"[fr] {text}", speaker) for start, end, text, speaker in lines]
    assert all(s.language == "fr" and s.kind == "translation" for s in stored)

    again = Job(kind="analyze", video_id=video.id, project_id="p1", force=True,
                stages=[StageRecord("probe"), StageRecord("translate")])
    sync_db["jobs"].insert_one(again.to_doc())
    assert make_runner(sync_db, tmp_path, [ProbeStage(), stage]).run(again.id) == JobStatus.SUCCEEDED
    assert len(provider.calls) == 2  # the same lines and model: answered from the gateway's cache


def test_a_line_left_out_by_the_llm_fails_the_stage_and_says_so(
        sync_db: Any, tmp_path: Path, german_clip: Path) -> None:
    stage = TranslateStage(providers=_gateway_access(sync_db, NumberedTranslator(drop_last=True)),
                           target_language=lambda video: "fr")
    video, job = _video_with_speech(sync_db, german_clip, GERMAN_LINES)
    assert make_runner(sync_db, tmp_path, [ProbeStage(), stage]).run(job.id) == JobStatus.FAILED
    status, message = _message(sync_db, job)
    assert status == StageStatus.FAILED
    done = JobRepository(sync_db).get(job.id)
    assert done and done.stages[-1].error and "left out 1 of 2 lines" in done.stages[-1].error.message
    assert "Translation into French by openai/gpt-4o-mini failed" in done.stages[-1].error.message
    assert SegmentRepository(sync_db).for_video(video.id, "translation") == []


def test_without_an_llm_other_languages_are_not_translated_and_it_says_why(
        sync_db: Any, tmp_path: Path, german_clip: Path) -> None:
    stage = TranslateStage(providers=None, target_language=lambda video: "es")
    video, job = _video_with_speech(sync_db, german_clip, GERMAN_LINES)
    assert make_runner(sync_db, tmp_path, [ProbeStage(), stage]).run(job.id) == JobStatus.SUCCEEDED
    status, message = _message(sync_db, job)
    assert status == StageStatus.SUCCEEDED and message.startswith("Not translated into Spanish: no LLM chosen")
    assert SegmentRepository(sync_db).for_video(video.id, "translation") == []


def test_real_whisper_translates_german_speech_into_english(
        sync_db: Any, tmp_path: Path, german_clip: Path) -> None:
    """The real model, shared by both stages as in a worker: ~20-30 s on 2 cores."""
    speech = SpeechStage(data_dir=tmp_path / "vip-data")
    translate = TranslateStage(data_dir=tmp_path / "vip-data", loader=speech.loader)
    fp, size = fingerprint(german_clip)
    video = Video(project_id="p1", path=str(german_clip), fingerprint=fp, size_bytes=size)
    sync_db["videos"].insert_one(video.to_doc())
    job = Job(kind="analyze", video_id=video.id, project_id="p1",
              stages=[StageRecord("probe"), StageRecord("speech"), StageRecord("translate")])
    sync_db["jobs"].insert_one(job.to_doc())
    assert make_runner(sync_db, tmp_path, [ProbeStage(), speech, translate]).run(job.id) == JobStatus.SUCCEEDED
    spoken = SegmentRepository(sync_db).for_video(video.id, "speech")
    assert spoken and spoken[0].language == "de"
    stored = SegmentRepository(sync_db).for_video(video.id, "translation")
    english = " ".join(s.text for s in stored).lower()
    assert stored and all(s.language == "en" for s in stored), english
    assert "morning" in english and ("weather" in english or "berlin" in english), english
    assert stored[0].start_s >= AUDIO_AT - 0.1  # in the video's timeline
