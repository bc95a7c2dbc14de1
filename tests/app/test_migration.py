"""A data dir an older release wrote is upgraded on first start, through `vip` itself.

The data dir is built in the test with the app's own embedded FerretDB, in the layout the
previous release stored (one `segments` document per transcript line, on-screen text, face and
search passage; jobs without their day stamps; ledger rows without `day`), next to current
records (a project with a budget, videos). Then `vip jobs` starts as an operator would run it:
it backs the database up, migrates with a progress bar on stderr, and every record reads back
as before.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

from app.embedded_db import EmbeddedDatabase
from core.models import Job, Project, StageRecord, Video
from core.models.status import JobStatus
from core.repositories import (
    DatabaseAddress,
    PassageRepository,
    ProviderCallRepository,
    SegmentRepository,
    connect,
    ensure_indexes,
)
from core.repositories import segment_sets as sets
from core.repositories.jobs import JOB_DAYS_MARK, MIGRATIONS
from core.repositories.provider_calls import LEDGER_DAYS_MARK
from core.models.costs import ProviderCall
from core.timeutil import utc_now
from tests.conftest import run_vip
from tests.core.test_segment_sets import (
    faces,
    old_passage_doc,
    old_segment_doc,
    old_summary_docs,
    on_screen,
    passages,
    same_passages,
    speech,
)

DB_NAME = "vip"


def embedded_env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ, VIP_DATA_DIR=str(tmp_path / "vipdata"), VIP_DB_NAME=DB_NAME, VIP_WORKERS="0")
    for name in ("VIP_MONGO_URI", "VIP_REDIS_URL"):
        env.pop(name, None)
    return env


def with_db(data_dir: Path, body: Any) -> Any:
    """Run `body(db)` against the data dir's embedded server (started and stopped here)."""
    with EmbeddedDatabase(data_dir, data_dir / "logs") as uri:
        client, db = connect(DatabaseAddress(uri, DB_NAME))
        try:
            return body(db)
        finally:
            client.close()


def write_previous_release(db: Any) -> dict[str, Any]:
    """A library as the previous release left it; returns what must read back the same."""
    ensure_indexes(db)
    project = Project(name="Archive", budget_usd=12.5)
    db["projects"].insert_one(project.to_doc())
    videos = [Video(project_id=project.id, path=f"/media/clip{i}.mp4", fingerprint=f"fp{i}", size_bytes=1000 + i)
              for i in range(3)]
    db["videos"].insert_many([v.to_doc() for v in videos])
    for i, video in enumerate(videos):
        segs = speech(video.id, 40 + i) + on_screen(video.id, 12) + (faces(video.id) if i == 1 else [])
        db["segments"].insert_many([old_segment_doc(s) for s in segs]
                                   + [old_passage_doc(p) for p in passages(video.id, 20 + i, seed=i)]
                                   + old_summary_docs(video.id))
    start = utc_now() - timedelta(days=40)
    jobs = [Job(kind="analyze", video_id=v.id, project_id=project.id, stages=[StageRecord("probe")],
                status=JobStatus.SUCCEEDED, progress=1.0, message="Done",
                created_at=start + timedelta(days=i * 10), updated_at=start + timedelta(days=i * 10, minutes=5))
            for i, v in enumerate(videos)]
    db["jobs"].insert_many([j.to_doc() for j in jobs])
    db["jobs"].update_many({}, {"$unset": {"created_day": "", "project_day": "", "updated_minute": ""}})
    calls = [ProviderCall(provider="openai", model="gpt-4o-mini", operation="summary", ok=True, cost_usd=0.25 * (i + 1),
                          project_id=project.id, video_id=videos[i % 3].id, at=start + timedelta(days=i * 7))
             for i in range(6)]
    db["provider_calls"].insert_many([{k: v for k, v in c.to_doc().items() if k != "day"} for c in calls])
    db[MIGRATIONS].delete_many({})
    return {
        "project": project, "videos": videos, "jobs": jobs,
        "segments": {v.id: SegmentRepository(db).for_video(v.id) for v in videos},
        "passages": {v.id: PassageRepository(db).for_video(v.id) for v in videos},
        "costs": ProviderCallRepository(db).totals("provider"),
    }


def test_an_older_data_dir_is_backed_up_and_migrated_on_first_start(tmp_path: Path) -> None:
    env = embedded_env(tmp_path)
    data_dir = Path(env["VIP_DATA_DIR"])
    before = with_db(data_dir, write_previous_release)
    assert sum(len(s) for s in before["segments"].values()) == 40 + 41 + 42 + 36 + 3

    first = run_vip(["jobs"], env)

    assert first.returncode == 0, first.stderr
    assert "Upgrading the library's storage, step 1 of 3: Converting transcripts" in first.stderr
    assert "3/3 videos" in first.stderr and "Library storage upgraded." in first.stderr
    listed = first.stdout.splitlines()
    assert len(listed) == 3 and all("Succeeded" in line or "succeeded" in line for line in listed), first.stdout
    assert [line.split()[3] for line in listed] == ["clip2.mp4", "clip1.mp4", "clip0.mp4"]  # newest first
    backups = list((data_dir / "backups").glob("*pre-migration*"))
    assert len(backups) == 1 and any(backups[0].rglob("*.sqlite")), backups

    def after(db: Any) -> None:
        assert {d["_id"] for d in db[MIGRATIONS].find({})} >= {sets.SEGMENT_SETS_MARK, JOB_DAYS_MARK, LEDGER_DAYS_MARK}
        assert db["segments"].count_documents({"kind": {"$nin": ["summary", "commentary"]}}) == 0
        assert db["segments"].count_documents({}) == 6  # the summaries stay where they were
        for video in before["videos"]:
            assert SegmentRepository(db).for_video(video.id) == before["segments"][video.id]
            assert same_passages(PassageRepository(db).for_video(video.id), before["passages"][video.id])
        assert db["jobs"].count_documents({"created_day": {"$exists": False}}) == 0
        assert db["provider_calls"].count_documents({"day": {"$exists": False}}) == 0
        assert ProviderCallRepository(db).totals("provider") == before["costs"]
        assert db["projects"].find_one({"_id": before["project"].id})["budget_usd"] == 12.5

    with_db(data_dir, after)
    second = run_vip(["jobs"], env)
    assert second.returncode == 0 and second.stdout == first.stdout
    assert "Upgrading" not in second.stderr


def test_a_new_data_dir_has_nothing_to_migrate(tmp_path: Path) -> None:
    env = embedded_env(tmp_path)
    result = run_vip(["jobs"], env)
    assert result.returncode == 0, result.stderr
    assert "No jobs yet" in result.stdout and "Upgrading" not in result.stderr
    assert not (Path(env["VIP_DATA_DIR"]) / "backups").exists()
    marks = with_db(Path(env["VIP_DATA_DIR"]), lambda db: {d["_id"] for d in db[MIGRATIONS].find({})})
    assert {sets.SEGMENT_SETS_MARK, JOB_DAYS_MARK, LEDGER_DAYS_MARK} <= marks
