"""benchmarks/bench_gui_scale.py on a tiny library against the test FerretDB, so the benchmark cannot rot.

Fills 12 videos through the real repositories (benchmarks/scaleset.py, as bench_scale.py does),
then runs the whole GUI benchmark offscreen and checks that what it reports is what it saw.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from app.settings import Settings
from app.wiring import build_services
from benchmarks.scaleset import LibraryFiller, Shape
from core.pipeline import default_stages
from core.repositories import DatabaseAddress, connect, connect_async

pytest.importorskip("qasync")
SHAPE = Shape(segments=10, shots=3, passages=4, jobs=2, ledger=2, chapters=2)


async def fill(database: DatabaseAddress, data_dir: Path, videos: int) -> None:
    settings = Settings.load({"VIP_DATA_DIR": str(data_dir), "VIP_MONGO_URI": database.uri,
                              "VIP_DB_NAME": database.name})
    services = await build_services(settings, database)
    sync_client, sync_db = connect(database)
    async_client, async_db = connect_async(database)
    try:
        projects = [(await services.projects.ensure(name)).id for name in ("Archive", "Clients")]
        filler = LibraryFiller(sync_db, async_db, SHAPE, {s.name: s.version for s in default_stages()})
        await filler.fill(0, videos, projects)
    finally:
        sync_client.close()
        await async_client.close()
        await services.close()


def test_bench_gui_scale_opens_a_library_and_measures_it(qapp: Any, mongo_uri: str, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from benchmarks.bench_gui_scale import run, table

    database = DatabaseAddress(mongo_uri, f"test_{uuid.uuid4().hex[:12]}")
    monkeypatch.setenv("VIP_MONGO_URI", mongo_uri)
    monkeypatch.setenv("VIP_DB_NAME", database.name)
    try:
        asyncio.run(fill(database, tmp_path / "data", 12))
        fig = run(tmp_path / "data", shots=tmp_path / "shots", settle_s=0.0, dwell_s=0.3)
    finally:
        client, _ = connect(database)
        client.drop_database(database.name)
        client.close()

    assert (fig["project"], fig["project_videos"], fig["videos_total"]) == ("Archive", 11, 12)  # n % 10 == 9: Clients
    assert fig["library_rows"] == 11 and fig["library_filled_s"] is not None
    assert fig["jobs_rows"] == fig["jobs_expected"] == 11 * SHAPE.jobs and fig["jobs_filled_s"] is not None
    for key in ("scroll_list_cold", "scroll_list_warm", "scroll_grid_cold", "scroll_grid_warm", "bare_list",
                "bare_table"):
        assert fig[f"{key}_frames"] >= 1 and fig[f"{key}_p95_ms"] > 0, key
    assert fig["costs_ms"] is not None and fig["search_results_ms"] is not None and fig["poll_ticks"] >= 1
    assert {"start", "select_project", "search", "costs", "job_poll"} <= set(fig["stalls_busy_ms"])
    assert sorted(p.name for p in (tmp_path / "shots").iterdir()) == [
        "gui_scale_grid_middle.png", "gui_scale_jobs.png", "gui_scale_list_middle.png"]
    assert json.loads(json.dumps(fig)) == fig
    text = table(fig)
    assert "database up → first library page shown" in text and "bare QTableView" in text
