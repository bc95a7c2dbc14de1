"""`vip profile`: show and change which analysis stages a project's jobs run, as an operator types it."""

from __future__ import annotations

import asyncio
import json

from app.settings import Settings
from app.wiring import build_services
from core.models import Video
from core.pipeline import default_stages
from core.repositories import AsyncVideoRepository, DatabaseAddress, connect_async
from tests.conftest import run_vip

STAGES = [s.name for s in default_stages()]


def _new_job_stages(vip_env: dict[str, str], project_name: str) -> list[str]:
    """The stages of a job the app would queue now for a video of the project (no worker runs it)."""
    async def main() -> list[str]:
        database = DatabaseAddress(vip_env["VIP_MONGO_URI"], vip_env["VIP_DB_NAME"])
        services = await build_services(Settings.load(vip_env), database)
        client, db = connect_async(database)
        try:
            project = await services.projects.find(project_name)
            assert project is not None
            video, _ = await AsyncVideoRepository(db).add(Video(project_id=project.id, path="/clips/a.mp4",
                                                                fingerprint="fp-a", size_bytes=10))
            jobs = await services.jobs.analyze([video])
            return [s.name for s in jobs[0].stages]
        finally:
            await client.close()
            await services.close()

    return asyncio.run(main())


def test_show_change_and_json(vip_env: dict[str, str]) -> None:
    shown = run_vip(["profile"], vip_env)
    assert shown.returncode == 0, shown.stderr
    assert "Analysis profile of “Default”" in shown.stdout
    assert "probe      on (always)" in shown.stdout
    assert "speech     on " in shown.stdout and "Speech transcript" in shown.stdout
    assert "Translation target: en" in shown.stdout

    run_vip(["analyze", "--project", "Docs", "/no/such/file.mp4"], vip_env)  # creates the project
    changed = run_vip(["profile", "--project", "Docs", "--off", "ocr,summary", "--on", "translate",
                       "--translate-to", "de"], vip_env)
    assert changed.returncode == 0, changed.stderr
    assert "ocr        off " in changed.stdout and "summary    off " in changed.stdout
    assert "Translation target: de" in changed.stdout
    assert "New jobs of this project follow it" in changed.stdout
    if "translate" not in STAGES:  # until the translation stage is in the pipeline
        assert "this version has no translate stage yet" in changed.stdout

    as_json = run_vip(["profile", "--project", "Docs", "--json"], vip_env)
    assert as_json.returncode == 0, as_json.stderr
    doc = json.loads(as_json.stdout)
    assert doc["project"] == "Docs" and doc["translate_to"] == "de"
    states = {s["name"]: s["on"] for s in doc["stages"]}
    assert [s["name"] for s in doc["stages"]] == STAGES
    assert states["ocr"] is False and states["summary"] is False and states["probe"] is True
    assert states["speech"] is True
    # The Default project is untouched, and a new job of Docs runs only what its profile keeps.
    default = json.loads(run_vip(["profile", "--json"], vip_env).stdout)
    assert all(s["on"] for s in default["stages"] if s["name"] != "translate")
    assert _new_job_stages(vip_env, "Docs") == [n for n in STAGES if n not in ("ocr", "summary")]


def test_clear_errors(vip_env: dict[str, str]) -> None:
    unknown = run_vip(["profile", "--project", "Default", "--off", "speech,wizardry"], vip_env)
    assert unknown.returncode == 1
    assert "unknown stage wizardry; stages that can be switched: speech" in unknown.stderr
    assert "ocr" in unknown.stderr and "Traceback" not in unknown.stderr
    essential = run_vip(["profile", "--project", "Default", "--off", "visual"], vip_env)
    assert essential.returncode == 1 and "visual: always run" in essential.stderr
    missing = run_vip(["profile", "--project", "Nope", "--json"], vip_env)
    assert missing.returncode == 1 and "no project named 'Nope' (projects: " in missing.stderr
    language = run_vip(["profile", "--project", "Default", "--translate-to", "klingon!"], vip_env)
    assert language.returncode == 1 and "'klingon!' is not a language code" in language.stderr
    no_project = run_vip(["profile", "--off", "ocr"], vip_env)
    assert no_project.returncode == 1 and "say which project to change" in no_project.stderr
    shown = json.loads(run_vip(["profile", "--json"], vip_env).stdout)
    assert all(s["on"] for s in shown["stages"] if s["name"] != "translate")  # nothing was changed
