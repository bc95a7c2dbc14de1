"""Analysis profiles: which stages a project's jobs run, stored per project in the real database."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from core.errors import VipError
from core.models import Video
from core.models.profile import AnalysisProfile, stages_to_run
from core.pipeline import default_stages
from core.models.routing import Route, Routing
from core.repositories import AsyncVideoRepository, DatabaseAddress, connect, connect_async
from core.repositories.profiles import AsyncProfileRepository, ProfileRepository
from core.repositories.routing import AsyncRoutingRepository, RoutingRepository
from core.services import ClientServices
from app.wiring import client_services
from tests.core.test_services import RecordingLauncher

T = TypeVar("T")
# The pipeline as it will be once the new stages are in (names only: no models are loaded).
FULL = ["probe", "visual", "speech", "speakers", "translate", "ocr", "captions", "embed", "summary", "faces", "people"]
FULL_REQUIRES = {"visual": ("probe",), "speech": ("probe",), "speakers": ("speech",), "translate": ("speech",),
                 "ocr": ("probe", "visual"), "captions": ("visual",), "embed": ("probe",),
                 "summary": ("probe", "visual"), "faces": ("probe", "visual"), "people": ("faces",)}


def run_with_services(database: DatabaseAddress, tmp_path: Path, body: Callable[[ClientServices, Any], Awaitable[T]],
                      names: list[str] | None = None, requires: dict[str, tuple[str, ...]] | None = None) -> T:
    async def main() -> T:
        client, db = connect_async(database)
        try:
            services = client_services(db, RecordingLauncher(), names or FULL, tmp_path / "data",
                                       FULL_REQUIRES if requires is None else requires)
            return await body(services, db)
        finally:
            await client.close()

    return asyncio.run(main())


async def _video(db: Any, project_id: str, name: str) -> Video:
    video, _ = await AsyncVideoRepository(db).add(Video(project_id=project_id, path=f"/clips/{name}.mp4",
                                                        fingerprint=f"fp-{name}", size_bytes=1000))
    return video


def test_defaults_run_every_stage_but_translation() -> None:
    assert stages_to_run(FULL, AnalysisProfile(), FULL_REQUIRES) == [n for n in FULL if n != "translate"]
    # Today's pipeline (whatever stages it has): everything it has runs by default.
    today = [s.name for s in default_stages()]
    assert stages_to_run(today, AnalysisProfile()) == [n for n in today if n != "translate"]


def test_essential_stages_always_run_and_dependents_follow_their_input() -> None:
    profile = AnalysisProfile().with_changes(on=["translate"], off=["probe", "visual", "speech", "faces"])
    assert profile.is_on("probe") and profile.is_on("visual")
    # speakers and translate need speech, people needs faces: left out rather than failing later.
    assert stages_to_run(FULL, profile, FULL_REQUIRES) == ["probe", "visual", "ocr", "captions", "embed", "summary"]
    assert stages_to_run(FULL, AnalysisProfile().with_changes(on=["translate"]), FULL_REQUIRES) == FULL


def test_profile_is_stored_per_project_next_to_the_routing(database: DatabaseAddress, tmp_path: Path) -> None:
    async def body(services: ClientServices, db: Any) -> None:
        assert services.profiles is not None
        first = await services.projects.create("First")
        second = await services.projects.create("Second")
        await AsyncRoutingRepository(db).set(first.id, _routing_with_openai_captions())
        saved = await services.profiles.change(first.id, on=["translate"], off=["speakers", "people"],
                                               translate_to="DE")
        assert saved.translate_to == "de"
        stored = await AsyncProfileRepository(db).get(first.id)
        assert stored == saved
        assert not stored.is_on("speakers") and stored.is_on("translate") and stored.is_on("speech")
        # The other project keeps the defaults; the routing of the first is untouched.
        assert await services.profiles.get(second.id) == AnalysisProfile()
        assert (await AsyncRoutingRepository(db).get(first.id)).route("captioner") == Route("openai", "gpt-4o-mini")
        # Unknown names, essential stages and bad language codes are refused; nothing changes.
        with pytest.raises(VipError, match="unknown stage nosuch; stages that can be switched: speech, speakers"):
            await services.profiles.change(first.id, off=["nosuch"])
        with pytest.raises(VipError, match="probe: always run"):
            await services.profiles.change(first.id, off=["probe"])
        with pytest.raises(VipError, match="not a language code"):
            await services.profiles.change(first.id, translate_to="German!")
        assert await AsyncProfileRepository(db).get(first.id) == saved

    run_with_services(database, tmp_path, body)
    # Workers read it with the sync repository (e.g. the translate stage's target language).
    client, db = connect(database)
    try:
        project = db["projects"].find_one({"name": "First"})
        assert project is not None
        assert ProfileRepository(db).get(project["_id"]).translate_to == "de"
        video = Video(project_id=project["_id"], path="/clips/x.mp4", fingerprint="fp-x", size_bytes=1)
        assert ProfileRepository(db).target_language(video) == "de"
        assert RoutingRepository(db).get(project["_id"]).route("captioner").provider == "openai"
        assert ProfileRepository(db).get("no-such-project") == AnalysisProfile()
    finally:
        client.close()


def test_new_jobs_run_only_the_projects_profile_stages(database: DatabaseAddress, tmp_path: Path) -> None:
    async def body(services: ClientServices, db: Any) -> None:
        assert services.profiles is not None
        lean = await services.projects.create("Lean")
        full = await services.projects.create("Full")
        await services.profiles.change(lean.id, off=["speech", "ocr", "faces"], on=["translate"])
        jobs = await services.jobs.analyze([await _video(db, lean.id, "a"), await _video(db, full.id, "b")])
        by_project = {job.project_id: [s.name for s in job.stages] for job in jobs}
        assert by_project[lean.id] == ["probe", "visual", "captions", "embed", "summary"]
        assert by_project[full.id] == [n for n in FULL if n != "translate"]
        stored = await services.jobs.get_many([j.id for j in jobs])
        assert {j.project_id: [s.name for s in j.stages] for j in stored} == by_project
        # A change applies to the next job, not to the one already queued.
        await services.profiles.change(lean.id, on=["speech", "ocr"])
        again = await services.jobs.analyze([await _video(db, lean.id, "c")])
        assert [s.name for s in again[0].stages] == ["probe", "visual", "speech", "speakers", "translate", "ocr",
                                                      "captions", "embed", "summary"]

    run_with_services(database, tmp_path, body)


def _routing_with_openai_captions() -> Routing:
    return Routing().with_route("captioner", Route("openai", "gpt-4o-mini"))
