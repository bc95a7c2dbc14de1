"""Shared fixtures: a real FerretDB server, fresh databases, generated test media.

No mocks of MongoDB: every database test talks to the FerretDB server started here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.media import MediaSet, make_media, make_slow_video

if os.environ.get("VIP_BLOCK_QT"):
    # Prove that core and tasks (and their tests) work without Qt installed.
    import importlib.abc

    class _BlockQt(importlib.abc.MetaPathFinder):
        def find_spec(self, name: str, path: object, target: object = None) -> None:
            if name.split(".")[0] in {"PySide6", "shiboken6", "qasync"}:
                raise ImportError(f"{name} is blocked (VIP_BLOCK_QT): core/tasks must not need it")
            return None

    sys.meta_path.insert(0, _BlockQt())

# Optional reference videos kept outside the repository (tests that need them skip without them):
# VIP_TEST_MEDIA, or by default a `shared/media` folder beside the checkout.
SHARED_MEDIA = Path(os.environ.get("VIP_TEST_MEDIA") or Path(__file__).resolve().parents[2] / "shared" / "media")


@pytest.fixture(scope="session", autouse=True)
def null_audio() -> Iterator[str | None]:
    """An audio output for QtMultimedia, headless (tests/null_audio.py); not for Qt-free runs."""
    if os.environ.get("VIP_BLOCK_QT"):
        yield None
        return
    from tests.null_audio import NullAudio

    audio = NullAudio()
    yield audio.start()
    audio.stop()


@pytest.fixture(scope="session")
def server_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("server")


@pytest.fixture(scope="session")
def mongo_uri(server_dir: Path) -> Iterator[str]:
    """A real FerretDB (SQLite backend) for the whole session, or VIP_TEST_MONGO_URI if set."""
    if os.environ.get("VIP_TEST_MONGO_URI"):
        yield os.environ["VIP_TEST_MONGO_URI"]
        return
    from app.embedded_db import EmbeddedDatabase

    server = EmbeddedDatabase(server_dir, server_dir / "logs")
    uri = server.acquire()
    yield uri
    server.release()


@pytest.fixture
def database(mongo_uri: str) -> Iterator["DatabaseAddress"]:
    """A fresh, empty database on the shared server (dropped afterwards)."""
    from core.repositories import DatabaseAddress, connect, ensure_indexes

    db_ref = DatabaseAddress(mongo_uri, f"test_{uuid.uuid4().hex[:12]}")
    client, db = connect(db_ref)
    ensure_indexes(db)
    yield db_ref
    client.drop_database(db_ref.name)
    client.close()


@pytest.fixture
def sync_db(database: "DatabaseAddress") -> Iterator[object]:
    from core.repositories import connect

    client, db = connect(database)
    yield db
    client.close()


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> MediaSet:
    """Generated test videos (ffmpeg lavfi) with known properties, and broken files."""
    if shutil.which("ffmpeg") is None:
        pytest.fail("ffmpeg is required for the tests: run `bash scripts/setup.sh`")
    return make_media(tmp_path_factory.mktemp("media"))


@pytest.fixture(scope="session")
def slow_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_slow_video(tmp_path_factory.mktemp("slow") / "slow_1080p.mp4")


@pytest.fixture
def shared_media() -> Path:
    folder = SHARED_MEDIA / "pyscenedetect"
    if not folder.is_dir():
        pytest.skip(f"optional test media not present at {folder} (set VIP_TEST_MEDIA)")
    return folder


@pytest.fixture
def vip_env(tmp_path: Path, mongo_uri: str) -> dict[str, str]:
    """Environment for `vip` subprocesses: own data dir, the test server, fast heartbeats."""
    env = dict(os.environ)
    env.update(
        VIP_DATA_DIR=str(tmp_path / "vipdata"),
        VIP_MONGO_URI=mongo_uri,
        VIP_DB_NAME=f"test_{uuid.uuid4().hex[:12]}",
        VIP_HEARTBEAT_S="0.5",
        VIP_STALE_AFTER_S="3",
        VIP_WORKERS="2",
    )
    env.pop("VIP_REDIS_URL", None)
    return env


def run_vip(args: list[str], env: dict[str, str], timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", *args], env=env, capture_output=True, text=True,
        timeout=timeout, cwd=Path(__file__).resolve().parents[1],
    )
