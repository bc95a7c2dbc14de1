"""Models manager: pinned files from the installed packages, corrupt and missing models."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.errors import ModelError
from core.modelstore import WHISPER_BASE, ModelFile, ModelSpec, ModelStore, PackagePart


@pytest.fixture(scope="module")
def assembled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir whose whisper-base was assembled from the installed packages."""
    data_dir = tmp_path_factory.mktemp("models-data")
    assert ModelStore(data_dir).status("whisper-base").source == "package"
    ModelStore(data_dir).resolve("whisper-base")
    return data_dir


def test_resolves_from_installed_packages_and_caches_the_check(assembled: Path) -> None:
    store = ModelStore(assembled)
    folder = store.resolve("whisper-base")
    assert folder == assembled / "models" / "whisper-base"
    for f in WHISPER_BASE.files:
        assert (folder / f.name).stat().st_size == f.size
    cache = json.loads((folder / ".verified.json").read_text())
    assert set(cache) == {f.name for f in WHISPER_BASE.files}
    status = store.status("whisper-base")
    assert (status.source, status.status, status.problem) == ("user dir", "ok", "")
    assert status.size == WHISPER_BASE.size


def test_corrupt_copy_in_user_dir_names_the_file_and_the_fix(assembled: Path, tmp_path: Path) -> None:
    folder = tmp_path / "models" / "whisper-base"
    folder.mkdir(parents=True)
    for f in WHISPER_BASE.files:
        (folder / f.name).symlink_to(assembled / "models" / "whisper-base" / f.name)
    (folder / "config.json").unlink()
    data = bytearray((assembled / "models" / "whisper-base" / "config.json").read_bytes())
    data[10] ^= 0x01  # flip one byte, same size
    (folder / "config.json").write_bytes(bytes(data))
    store = ModelStore(tmp_path)
    with pytest.raises(ModelError) as caught:
        store.resolve("whisper-base")
    message = str(caught.value)
    assert "whisper-base" in message and "checksum mismatch" in message
    assert str(folder / "config.json") in message
    assert "scripts/setup.sh" in message and f"delete {folder}" in message
    status = store.status("whisper-base")
    assert status.status == "corrupt" and "config.json" in status.problem


def test_missing_model_gives_the_install_command(tmp_path: Path) -> None:
    spec = ModelSpec("tiny-test", "testing", (ModelFile("model.bin", "0" * 64, 3,
                                                        (PackagePart("vip_no_such_pkg", "data/model.bin"),)),),
                     ("vip-no-such-pkg",))
    store = ModelStore(tmp_path, [spec])
    with pytest.raises(ModelError) as caught:
        store.resolve("tiny-test")
    message = str(caught.value)
    assert "tiny-test" in message and "not installed" in message
    assert "bash scripts/setup.sh" in message and ".venv/bin/pip install vip-no-such-pkg" in message
    status = store.status("tiny-test")
    assert (status.source, status.status) == ("missing", "missing")
    with pytest.raises(ModelError, match="unknown model"):
        store.resolve("whisper-huge")


def test_vip_models_json_lists_each_model(assembled: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    from app.cli import main

    monkeypatch.setenv("VIP_DATA_DIR", str(assembled))
    assert main(["models", "--json"]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["name"] for r in records] == ["whisper-base"]
    assert records[0]["status"] == "ok" and records[0]["source"] == "user dir"
    assert main(["models"]) == 0
    assert "whisper-base" in capsys.readouterr().out
