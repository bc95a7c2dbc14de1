"""The REST API as an integrator uses it: TestClient over the real database (the test server)."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.token import load_or_create_token
from app.settings import Settings
from app.wiring import services_for
from tests.conftest import run_vip
from tests.media import MediaSet

TOKEN = "test-token-0123456789"


@pytest.fixture
def client(vip_env: dict[str, str]) -> Iterator[TestClient]:
    settings = Settings.load(vip_env)
    with TestClient(create_app(lambda: services_for(settings), TOKEN), raise_server_exceptions=False) as api:
        api.headers["Authorization"] = f"Bearer {TOKEN}"
        yield api


def _error(response: Any, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and body["error"]["code"] == code, body
    message: str = body["error"]["message"]
    return message


def test_every_route_needs_the_token_and_the_docs_are_served(client: TestClient) -> None:
    for headers in ({"Authorization": ""}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic x"}):
        response = client.get("/api/v1/jobs", headers=headers)
        assert "vip serve --show-token" in _error(response, 401, "unauthorized")
        assert response.headers["WWW-Authenticate"] == "Bearer"
    assert client.get("/api/v1/projects").status_code == 200
    assert client.get("/docs", headers={"Authorization": ""}).status_code == 200
    paths = client.get("/openapi.json", headers={"Authorization": ""}).json()["paths"]
    assert {"/api/v1/jobs", "/api/v1/jobs/{job_id}", "/api/v1/jobs/{job_id}/events", "/api/v1/search",
            "/api/v1/videos/{video_id}", "/api/v1/projects"} <= set(paths)


def test_the_token_is_made_once_readable_by_its_owner_only(tmp_path: Path, vip_env: dict[str, str]) -> None:
    token = load_or_create_token(tmp_path)
    assert len(token) >= 40 and load_or_create_token(tmp_path) == token
    assert stat.S_IMODE(os.stat(tmp_path / "api-token").st_mode) == 0o600
    shown = run_vip(["serve", "--show-token"], vip_env)
    assert shown.returncode == 0 and shown.stdout.strip() == (Path(vip_env["VIP_DATA_DIR"]) / "api-token").read_text().strip()


def test_analysis_is_queued_at_once_and_each_job_read_cancelled_and_retried(
        client: TestClient, media: MediaSet, tmp_path: Path) -> None:
    response = client.post("/api/v1/jobs", json={"paths": [str(media.good), str(media.text)], "project": "API"})
    assert response.status_code == 202, response.text
    queued = response.json()
    assert [(Path(i["path"]).name, i["status"]) for i in queued["items"]] == [("good.mp4", "queued"),
                                                                            (media.text.name, "queued")]
    assert queued["estimate"] == "All analysis runs locally: no cloud cost." and queued["estimate_usd"] == 0
    good, bad = queued["items"]
    job = client.get(f"/api/v1/jobs/{good['job_id'][:8]}").json()
    assert job["id"] == good["job_id"] and job["status"] == "queued" and job["stages"][0]["name"] == "probe"
    listed = client.get("/api/v1/jobs", params={"status": "queued"}).json()
    assert {j["id"] for j in listed} == {good["job_id"], bad["job_id"]}
    assert client.get("/api/v1/jobs", params={"status": "failed"}).json() == []
    video = client.get(f"/api/v1/videos/{good['video_id']}").json()
    assert video["name"] == "good.mp4" and video["status"] == "queued" and video["project_id"] == queued["project_id"]
    assert "being analysed" in _error(client.delete(f"/api/v1/videos/{good['video_id']}"), 409, "conflict")
    assert "Only failed or canceled" in _error(client.post(f"/api/v1/jobs/{good['job_id']}/retry"), 409, "conflict")
    canceled = client.post(f"/api/v1/jobs/{good['job_id']}/cancel").json()
    assert canceled["status"] == "canceled"
    assert client.post(f"/api/v1/jobs/{good['job_id']}/retry").json()["status"] == "queued"
    projects = {p["name"]: p for p in client.get("/api/v1/projects").json()}
    assert projects["API"]["id"] == queued["project_id"]
    assert [v["id"] for v in client.get("/api/v1/videos", params={"project_id": queued["project_id"]}).json()] \
        == [good["video_id"], bad["video_id"]]


def test_bad_requests_get_the_right_status_and_one_error_shape(client: TestClient, tmp_path: Path) -> None:
    assert "paths" in _error(client.post("/api/v1/jobs", json={"paths": []}), 422, "invalid_request")
    assert "paths" in _error(client.post("/api/v1/jobs", json={}), 422, "invalid_request")
    empty = tmp_path / "nothing here"
    empty.mkdir()
    assert "no video files found in" in _error(client.post("/api/v1/jobs", json={"paths": [str(empty)]}),
                                               400, "no_videos")
    assert "No job with id 0000abcd" in _error(client.get("/api/v1/jobs/0000abcd"), 404, "not_found")
    assert "not a job id" in _error(client.get("/api/v1/jobs/clip.mp4"), 400, "bad_request")
    assert "No video with id" in _error(client.get("/api/v1/videos/nope"), 404, "not_found")
    assert "status" in _error(client.get("/api/v1/jobs", params={"status": "lost"}), 422, "invalid_request")
    assert "Give words" in _error(client.get("/api/v1/search", params={"q": ""}), 400, "bad_request")
    assert client.post("/api/v1/projects", json={"name": "Twice"}).status_code == 201
    assert "exists already" in _error(client.post("/api/v1/projects", json={"name": "Twice"}), 409, "conflict")
    _error(client.get("/api/v1/nothing"), 404, "not_found")


def test_a_batch_over_the_budget_is_refused_with_402(client: TestClient, media: MediaSet,
                                                     vip_env: dict[str, str]) -> None:
    project = client.post("/api/v1/projects", json={"name": "Paid"}).json()
    assert run_vip(["route", "Paid", "summarizer", "openai/gpt-4o-mini"], vip_env).returncode == 0
    assert run_vip(["budget", "Paid", "0.000001"], vip_env).returncode == 0
    routes = {r["capability"]: r for r in client.get(f"/api/v1/projects/{project['id']}/routing").json()}
    assert routes["summarizer"] == {"capability": "summarizer", "provider": "openai", "model": "gpt-4o-mini"}
    assert routes["transcriber"] == {"capability": "transcriber", "provider": "local", "model": None}
    assert [p["name"] for p in client.get("/api/v1/providers").json()] == ["openai", "gemini"]
    assert "api_key" not in client.get("/api/v1/providers").text
    assert client.get("/api/v1/costs", params={"by": "provider"}).json() == []  # nothing called yet
    message = _error(client.post("/api/v1/jobs", json={"paths": [str(media.good)], "project": "Paid"}),
                     402, "over_budget")
    assert "would pass the budget of project 'Paid'" in message and "summarizer $" in message
    assert client.get("/api/v1/jobs").json() == []  # nothing queued
    forced = client.post("/api/v1/jobs", json={"paths": [str(media.good)], "project": "Paid", "over_budget_ok": True})
    assert forced.status_code == 202


def test_an_unexpected_error_is_500_and_logged_with_its_traceback(
        client: TestClient, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    services = client.app.state.services  # type: ignore[attr-defined]

    async def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(services.jobs, "recent", broken)
    message = _error(client.get("/api/v1/jobs"), 500, "internal_error")
    assert message.startswith("RuntimeError") and "disk on fire" not in message  # details stay in the log
    logged = capsys.readouterr()
    assert "api_unexpected_error" in logged.out + logged.err and "disk on fire" in logged.out + logged.err


def test_search_finds_nothing_in_an_empty_library(client: TestClient) -> None:
    response = client.get("/api/v1/search", params={"q": "harbour"})
    assert response.status_code == 200 and response.json() == []


def test_exports_come_as_files_named_after_the_video(client: TestClient, media: MediaSet,
                                                     vip_env: dict[str, str]) -> None:
    analysed = run_vip(["analyze", "--json", "--project", "Exports", str(media.good)], vip_env)
    assert analysed.returncode == 0, analysed.stderr
    video_id = json.loads(analysed.stdout.splitlines()[0])["video_id"]
    shots = client.get(f"/api/v1/videos/{video_id}/export", params={"format": "csv"})
    assert shots.status_code == 200, shots.text
    assert shots.headers["content-type"] == "text/csv; charset=utf-8"
    assert shots.headers["content-disposition"] == "attachment; filename*=UTF-8''good.csv"
    assert shots.text.splitlines()[0].startswith("shot,") and len(shots.text.splitlines()) >= 2
    sheet = client.get(f"/api/v1/videos/{video_id}/export", params={"format": "contact-sheet"})
    assert sheet.headers["content-type"] == "image/jpeg" and sheet.content[:3] == b"\xff\xd8\xff"
    assert "good-contact-sheet.jpg" in sheet.headers["content-disposition"]
    edl = client.get(f"/api/v1/videos/{video_id[:8]}/export", params={"format": "edl"})
    assert edl.status_code == 200 and edl.text.startswith("TITLE:")
    subtitles = client.get(f"/api/v1/videos/{video_id}/export", params={"format": "srt"})
    assert "has no subtitles" in _error(subtitles, 409, "conflict")
    assert "format" in _error(client.get(f"/api/v1/videos/{video_id}/export", params={"format": "mov"}),
                              422, "invalid_request")
    assert "No video matches" in _error(client.get("/api/v1/videos/nothing-like-it/export",
                                                   params={"format": "csv"}), 404, "not_found")
    fcpxml = client.get(f"/api/v1/videos/{video_id}/export", params={"format": "fcpxml"})
    assert fcpxml.status_code == 200 and fcpxml.headers["content-type"] == "application/xml; charset=utf-8"
    assert "good.fcpxml" in fcpxml.headers["content-disposition"] and "<asset-clip" in fcpxml.text
    selects = client.post("/api/v1/selects", json={"items": [{"video_id": video_id, "start_s": 1.0, "end_s": 2.0,
                                                              "name": "pick"}], "format": "otio", "handles": 3})
    assert selects.status_code == 200, selects.text
    import opentimelineio as otio

    (clip,) = list(otio.adapters.read_from_string(selects.text, "otio_json").find_clips())
    assert (clip.name, round(clip.source_range.start_time.value), round(clip.source_range.duration.value)) == \
        ("pick", 25 - 3, 25 + 6)
    assert "ends before it starts" in _error(client.post("/api/v1/selects", json={
        "items": [{"video_id": video_id, "start_s": 3.0, "end_s": 2.0}], "format": "otio"}), 400, "bad_request")
    assert "No video with id" in _error(client.post("/api/v1/selects", json={
        "items": [{"video_id": "nope", "start_s": 0, "end_s": 1}], "format": "fcpxml"}), 404, "not_found")
