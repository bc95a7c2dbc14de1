"""The speakers stage on generated dialogues (tests/dialogues.py: espeak-ng voices, known turns).

The transcript lines are the dialogue's reference turns (what Whisper would give, minus its
errors), so the test checks the stage itself: decode the video's audio, diarize, give each
line the speaker it overlaps most, number speakers by first appearance, store the labels on
the lines and the speakers on the video, and say how many it found.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from core.models import JobStatus
from core.models.segment import TextSegment
from core.pipeline import ProbeStage, SpeakersStage
from core.repositories import JobRepository, SegmentRepository, VideoRepository
from tests.core.test_runner import add_video_job, make_runner
from tests.dialogues import Turn, make_dialogue, make_music, write_still_video, write_wav


def _analyse(sync_db: Any, tmp_path: Path, clip: Path, lines: list[Turn]) -> tuple[str, list[TextSegment], Any]:
    video, job = add_video_job(sync_db, clip, ("probe", "speakers"))
    sync_db["videos"].update_one({"_id": video.id}, {"$set": {"stages.speech": {"status": "succeeded", "version": 1}}})
    SegmentRepository(sync_db).replace_for_stage(video.id, "speech", [
        TextSegment(video_id=video.id, kind="speech", stage="speech", start_s=t.start_s, end_s=t.end_s,
                    text=f"line {i}") for i, t in enumerate(lines)])
    assert make_runner(sync_db, tmp_path, [ProbeStage(), SpeakersStage()]).run(job.id) == JobStatus.SUCCEEDED
    done = JobRepository(sync_db).get(job.id)
    assert done is not None
    labelled = SegmentRepository(sync_db).for_video(video.id, "speech")
    return done.stages[1].message, labelled, VideoRepository(sync_db).get(video.id)


@pytest.mark.parametrize("speakers", [2, 3])
def test_each_line_gets_its_speaker(sync_db: Any, tmp_path: Path, speakers: int) -> None:
    dialogue = make_dialogue(seed=100 + speakers, n_speakers=speakers, duration_s=45.0, overlap_rate=0.0,
                             backchannel_rate=0.0, out_dir=tmp_path, video=True)
    assert dialogue.video is not None
    message, lines, video = _analyse(sync_db, tmp_path, dialogue.video, dialogue.turns)
    assert message == f"{speakers} speakers"
    assert sorted(video.speakers) == [f"S{n}" for n in range(1, speakers + 1)]
    assert video.speaker_names()["S2"] == "Speaker 2"
    # the labels are the reference speakers under one renaming: count the lines that agree
    by_start = {round(t.start_s, 3): t.speaker for t in dialogue.turns}
    pairs = Counter((by_start[round(line.start_s, 3)], line.speaker) for line in lines)
    mapping: dict[int, str] = {}
    for (ref, label), _ in pairs.most_common():
        if ref not in mapping and label not in mapping.values():
            mapping[ref] = label  # type: ignore[assignment]
    agree = sum(n for (ref, label), n in pairs.items() if mapping.get(ref) == label)
    assert agree >= 0.9 * len(lines), pairs
    assert lines[0].speaker == "S1"  # numbered by first appearance


def test_one_voice_is_one_speaker_and_music_is_no_speech(sync_db: Any, tmp_path: Path) -> None:
    single = make_dialogue(seed=5, n_speakers=1, duration_s=30.0, out_dir=tmp_path, video=True)
    assert single.video is not None
    message, lines, video = _analyse(sync_db, tmp_path, single.video, single.turns)
    assert message == "1 speaker" and {line.speaker for line in lines} == {"S1"}

    wav = tmp_path / "music.wav"
    write_wav(wav, make_music(seed=3, duration_s=15.0))
    clip = tmp_path / "music.mp4"
    write_still_video(wav, clip)
    message, lines, video = _analyse(sync_db, tmp_path, clip, [Turn(1.0, 4.0, 1)])  # a stray "line"
    assert message == "No speech" and video.speakers == {} and lines[0].speaker is None
