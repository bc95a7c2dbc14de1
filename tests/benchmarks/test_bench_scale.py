"""benchmarks/bench_scale.py at a tiny size against the test FerretDB, so the benchmark cannot rot.

Runs the whole benchmark (fill through the real repositories, grow, every measurement) on 2,
then 3 videos of 10 segments, and checks that what it reports is what it stored.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path

from benchmarks.bench_scale import ROWS, Config, run, table
from benchmarks.scaleset import Shape
from core.repositories import DatabaseAddress, connect

SHAPE = Shape(segments=10, shots=3, passages=4, jobs=2, ledger=2, chapters=2)


def test_bench_scale_fills_grows_and_measures(mongo_uri: str, tmp_path: Path) -> None:
    name = f"test_{uuid.uuid4().hex[:12]}"
    cfg = Config(sizes=[2, 3], data_dir=tmp_path / "data", shape=SHAPE, poll_jobs=40, open_samples=5,
                 mongo_uri=mongo_uri, db_name=name, quiet=True, progress_writes=8)
    try:
        result = asyncio.run(run(cfg))
    finally:
        client, _ = connect(DatabaseAddress(mongo_uri, name))
        client.drop_database(name)
        client.close()

    first, grown = result["sizes"]["2"], result["sizes"]["3"]
    assert (first["fill_videos"], grown["fill_videos"]) == (2, 1)  # grown, not refilled
    assert (first["videos"], grown["videos"]) == (2, 3)
    assert first["index_sync_videos"] == 2 and grown["index_sync_videos"] == 1
    assert grown["open_n"] == 3 and grown["open_segments"] == SHAPE.segments
    history = 3 * SHAPE.jobs + (40 - 2 * SHAPE.jobs)  # topped up to 40 at 2 videos, then one more video's
    assert first["jobs_total"] == 40 and grown["jobs_total"] == history
    assert grown["poll_ticks"] == 20 and grown["poll_rows"] == 0
    assert grown["vip_jobs_cli_lines"] == history  # `vip jobs` listed every job (fewer than its 50)
    assert grown["search_sync_videos"] == 0  # the index was up to date: only the check
    assert grown["new_video_progress_writes"] == 8 and grown["new_video_ratio"] > 0
    assert grown["rebuild_sample_videos"] is None and grown["rebuild_passages_per_s"] > 0  # the whole library
    assert grown["server_pids"] >= 1 and grown["server_rss_mb"] > 0
    assert grown["notes"] == []
    for key in ("open_p95_ms", "poll_cpu_ms", "vip_jobs_ms", "costs_ms", "search_first_ms", "new_video_ms"):
        assert grown[key] is not None and grown[key] > 0, key
    assert json.loads(json.dumps(result)) == result
    text = table("3", grown)
    assert all(label in text for label, *_ in ROWS) and "—" not in text.split("database on disk")[0]
