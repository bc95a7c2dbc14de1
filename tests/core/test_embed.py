"""Search passages: cut from transcript and on-screen text, embedded by the embed stage, stored in MongoDB."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from core.models import Job, JobStatus, StageRecord, StageStatus
from core.models.segment import TextSegment
from core.pipeline import EmbedStage, ProbeStage
from core.pipeline.stage import StageContext
from core.repositories import JobRepository, SegmentRepository
from core.search.passage_builder import build_passages, transcript_windows
from tests.core.test_runner import add_video_job, make_runner
from tests.media import MediaSet

LINES = [(0.0, 4.0, "Welcome aboard the harbour tour."),
         (5.0, 9.0, "On the left you can see the old lighthouse."),
         (10.0, 14.0, "The lighthouse was built in 1852 by local fishermen."),
         (15.0, 19.0, "Next we pass the fish market."),
         (20.0, 24.0, "Every morning the boats bring their catch here."),
         (25.0, 29.0, "Thank you for travelling with us today.")]


def _speech(video_id: str) -> list[TextSegment]:
    return [TextSegment(video_id=video_id, kind="speech", stage="speech", start_s=s, end_s=e, text=t)
            for s, e, t in LINES]


def _ocr(video_id: str) -> list[TextSegment]:
    return [TextSegment(video_id=video_id, kind="ocr", stage="ocr", start_s=3.0, end_s=8.0, text="HARBOUR TOURS · PIER 4")]


def test_passages_are_lines_overlapping_windows_and_on_screen_text() -> None:
    passages = build_passages("v", _speech("v"), _ocr("v"))
    units = [(p.unit, p.modality) for p in passages]
    assert units.count(("line", "speech")) == 6 and units.count(("ocr", "text")) == 1
    windows = transcript_windows(_speech("v"))
    assert [(start, end) for start, end, _ in windows] == [(0.0, 24.0), (15.0, 29.0)]  # 20-40 s, overlapping
    assert windows[0][2].startswith("Welcome aboard") and "fish market" in windows[1][2]
    assert [p.id for p in build_passages("v", _speech("v"), _ocr("v"))] == [p.id for p in passages]  # stable ids


@pytest.fixture(scope="module")
def embed_stage(tmp_path_factory: pytest.TempPathFactory) -> EmbedStage:
    return EmbedStage(tmp_path_factory.mktemp("vip-data"))


def test_embed_stage_stores_passages_whose_vectors_find_a_paraphrase(
        sync_db: Any, media: MediaSet, tmp_path: Path, embed_stage: EmbedStage) -> None:
    video, job = add_video_job(sync_db, media.good, ("probe", "embed"))
    segments = SegmentRepository(sync_db)
    segments.replace_for_stage(video.id, "speech", _speech(video.id))
    segments.replace_for_stage(video.id, "ocr", _ocr(video.id))
    assert make_runner(sync_db, tmp_path, [ProbeStage(), embed_stage]).run(job.id) == JobStatus.SUCCEEDED
    done = JobRepository(sync_db).get(job.id)
    assert done and done.stages[1].message == "9 passages"
    stored = segments.passages.for_video(video.id)
    assert len(stored) == 9 and {p.unit for p in stored} == {"line", "window", "ocr"}
    vectors = np.stack([p.vector for p in stored])
    assert vectors.shape == (9, 384) and np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    query = embed_stage.loader.get(tmp_path).embed_one("when was the tower by the sea constructed")
    lines = [p for p in stored if p.unit == "line"]
    best = max(lines, key=lambda p: float(p.vector @ query))
    assert best.text.startswith("The lighthouse was built in 1852")


def test_embed_runs_again_when_the_transcript_changed_in_the_same_job(
        sync_db: Any, media: MediaSet, tmp_path: Path, embed_stage: EmbedStage) -> None:
    class Speech:  # a transcript that changes between jobs, as after a speech model upgrade
        name, title, version, weight, requires = "speech", "Speech", 1, 1.0, ("probe",)
        text = "The first transcript."

        def run(self, ctx: StageContext) -> None:
            ctx.segments.replace_for_stage(ctx.video.id, "speech", [TextSegment(
                video_id=ctx.video.id, kind="speech", stage="speech", start_s=0.0, end_s=2.0, text=self.text)])

    speech = Speech()
    runner = make_runner(sync_db, tmp_path, [ProbeStage(), speech, embed_stage])
    video, job = add_video_job(sync_db, media.mkv, ("probe", "speech", "embed"))
    assert runner.run(job.id) == JobStatus.SUCCEEDED
    again = Job(kind="analyze", video_id=video.id, project_id="p1", stages=[StageRecord(n) for n in ("probe", "speech", "embed")])
    sync_db["jobs"].insert_one(again.to_doc())
    assert runner.run(again.id) == JobStatus.SUCCEEDED
    done = JobRepository(sync_db).get(again.id)
    assert done and [s.status for s in done.stages] == [StageStatus.SKIPPED] * 3  # nothing changed: all skipped
    Speech.version = 2
    speech.text = "The second transcript."
    third = Job(kind="analyze", video_id=video.id, project_id="p1", stages=[StageRecord(n) for n in ("probe", "speech", "embed")])
    sync_db["jobs"].insert_one(third.to_doc())
    assert runner.run(third.id) == JobStatus.SUCCEEDED
    done = JobRepository(sync_db).get(third.id)
    assert done and [s.status for s in done.stages] == [StageStatus.SKIPPED, StageStatus.SUCCEEDED,
                                                        StageStatus.SUCCEEDED]
    assert [p.text for p in SegmentRepository(sync_db).passages.for_video(video.id)] == ["The second transcript."]


def test_nothing_to_embed_is_not_a_failure(sync_db: Any, media: MediaSet, tmp_path: Path,
                                           embed_stage: EmbedStage) -> None:
    video, job = add_video_job(sync_db, media.rotated, ("probe", "embed"))
    assert make_runner(sync_db, tmp_path, [ProbeStage(), embed_stage]).run(job.id) == JobStatus.SUCCEEDED
    done = JobRepository(sync_db).get(job.id)
    assert done and done.stages[1].message.startswith("Nothing to embed")
