"""Speech stage: espeak-ng speech muxed into a generated video, transcribed with word times."""

from __future__ import annotations

import shutil
import subprocess
import time
import wave
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from core.models import JobStatus, StageStatus
from core.pipeline import ProbeStage, SpeechStage, VisualStage
from core.repositories import JobRepository, SegmentRepository
from core.speech import decode_audio
from core.subtitles import parse_srt, parse_vtt, to_srt, to_vtt
from tests.core.test_runner import add_video_job, make_runner
from tests.media import MediaSet

SENTENCE = "Welcome to the video analysis demo. Today we talk about the weather."
DURATION = 7.0
AUDIO_AT = 1.5  # the audio stream starts this late in the video's timeline


def _speech_onset(wav: Path) -> float:
    """Seconds from the start of the wav to its first clearly audible sample."""
    with wave.open(str(wav)) as w:
        rate = w.getframerate()
        samples = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
    loud = np.flatnonzero(np.abs(samples) > 1000)
    return float(loud[0]) / rate


@pytest.fixture(scope="module")
def speech_clip(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, float]:
    """A 7 s colour video whose audio stream starts at 1.5 s with a spoken sentence."""
    if shutil.which("espeak-ng") is None:
        pytest.fail("espeak-ng is required for the speech tests: run `bash scripts/setup.sh`")
    folder = tmp_path_factory.mktemp("speech")
    wav = folder / "sentence.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(wav), SENTENCE], check=True)
    clip = folder / "speech.mp4"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y",
                    "-f", "lavfi", "-i", f"color=gray:size=160x120:rate=10:duration={DURATION}",
                    "-itsoffset", str(AUDIO_AT), "-i", str(wav), "-map", "0:v", "-map", "1:a",
                    "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac",
                    str(clip)], check=True)
    return clip, AUDIO_AT + _speech_onset(wav)


@pytest.fixture(scope="module")
def speech_stage(tmp_path_factory: pytest.TempPathFactory) -> SpeechStage:
    """One stage (so one loaded model) for the whole module, like one worker process."""
    return SpeechStage(data_dir=tmp_path_factory.mktemp("vip-data"))


def test_probe_visual_speech_job_finds_words_at_their_times(
        sync_db: Any, tmp_path: Path, speech_clip: tuple[Path, float], speech_stage: SpeechStage) -> None:
    clip, onset = speech_clip
    video, job = add_video_job(sync_db, clip, ("probe", "visual", "speech"))
    runner = make_runner(sync_db, tmp_path, [ProbeStage(), VisualStage(), speech_stage])
    started = time.monotonic()
    assert runner.run(job.id) == JobStatus.SUCCEEDED
    took = time.monotonic() - started
    done = JobRepository(sync_db).get(job.id)
    assert done and [s.status for s in done.stages] == [StageStatus.SUCCEEDED] * 3
    assert done.stages[2].message.endswith("(en)")
    segments = SegmentRepository(sync_db).for_video(video.id, "speech")
    assert segments and all(s.stage == "speech" and s.version == SpeechStage.version for s in segments)
    assert all(s.language == "en" and 0 < s.confidence <= 1 for s in segments)
    text = " ".join(s.text for s in segments).lower()
    assert "video analysis" in text and "weather" in text and "today" in text
    words = [w for s in segments for w in s.words]
    assert words[0].start_s == pytest.approx(onset, abs=0.6)  # in the video's timeline
    weather = next(w for w in words if "weather" in w.text.lower())
    assert onset + 2.0 < weather.start_s < DURATION and weather.end_s > weather.start_s
    assert segments[0].start_s <= words[0].start_s + 0.01 and segments[-1].end_s <= DURATION + 0.1
    print(f"probe+visual+speech on a {DURATION:g} s clip: {took:.2f} s")


def test_real_time_factor(speech_clip: tuple[Path, float], speech_stage: SpeechStage) -> None:
    clip, _ = speech_clip
    audio = decode_audio(clip)
    assert audio is not None and audio.start_s == pytest.approx(AUDIO_AT, abs=0.1)
    transcriber = speech_stage.loader.get(Path("unused: already loaded"))
    started = time.monotonic()
    transcript = transcriber.transcribe(audio.samples)
    assert transcript is not None and transcript.language == "en"
    assert list(transcript.segments)
    rtf = (time.monotonic() - started) / audio.duration_s
    print(f"real-time factor {rtf:.2f} on {audio.duration_s:.1f} s of audio")
    assert rtf < 2.0
    assert transcriber.transcribe(np.zeros(16000 * 3, dtype=np.float32)) is None  # silence: no speech


def test_video_without_audio_has_no_speech_and_succeeds(
        sync_db: Any, tmp_path: Path, media: MediaSet, speech_stage: SpeechStage) -> None:
    video, job = add_video_job(sync_db, media.mkv, ("probe", "speech"))
    assert make_runner(sync_db, tmp_path, [ProbeStage(), speech_stage]).run(job.id) == JobStatus.SUCCEEDED
    done = JobRepository(sync_db).get(job.id)
    assert done and done.stages[1].status == StageStatus.SUCCEEDED and done.stages[1].message == "No speech"
    assert SegmentRepository(sync_db).for_video(video.id) == []


def test_missing_model_fails_only_the_speech_stage_with_one_clear_error(
        sync_db: Any, tmp_path: Path, speech_clip: tuple[Path, float]) -> None:
    _, job = add_video_job(sync_db, speech_clip[0], ("probe", "speech"))
    stage = SpeechStage(data_dir=tmp_path, model="whisper-huge")
    assert make_runner(sync_db, tmp_path, [ProbeStage(), stage]).run(job.id) == JobStatus.FAILED
    done = JobRepository(sync_db).get(job.id)
    assert done and done.stages[0].status == StageStatus.SUCCEEDED
    assert done.stages[1].status == StageStatus.FAILED
    assert done.error and done.error.type == "ModelError" and "whisper-huge" in done.error.message


def test_srt_and_vtt_parse_back_with_the_right_times() -> None:
    from core.models import TextSegment

    segments = [TextSegment("v", "speech", 1.5, 3.25, "Hello world."),
                TextSegment("v", "speech", 3661.042, 3662.5, "The weather --> is\nsunny today.")]
    srt = to_srt(segments)
    assert srt.startswith("1\n00:00:01,500 --> 00:00:03,250\nHello world.\n")
    assert "01:01:01,042 --> 01:01:02,500" in srt
    vtt = to_vtt(segments)
    assert vtt.startswith("WEBVTT\n\n00:00:01.500 --> 00:00:03.250\n")
    for cues in (parse_srt(srt), parse_vtt(vtt)):
        assert [(c.start_s, c.end_s) for c in cues] == [(1.5, 3.25), (3661.042, 3662.5)]
        assert cues[0].text == "Hello world." and cues[1].text.endswith("\nsunny today.")
    assert to_srt([]) == "" and parse_vtt(to_vtt([])) == []
    with pytest.raises(ValueError):
        parse_vtt(srt)
