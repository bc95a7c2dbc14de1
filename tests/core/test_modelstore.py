"""Models manager: pinned files from the installed packages, corrupt and missing models."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from core.errors import ModelError
from core.modelstore import (HAAR_FRONTAL_FACE, MINILM, PP_OCR, WHISPER_BASE, ModelFile, ModelLoader, ModelSpec, ModelStore,
                             PackagePart)


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
    assert [r["name"] for r in records] == ["whisper-base", "pp-ocr", "haar-frontal-face", "minilm-l6", "dlib-faces",
                                           "pyannote-segmentation-3", "resemblyzer-ge2e"]
    assert records[0]["status"] == "ok" and records[0]["source"] == "user dir"
    assert main(["models"]) == 0
    assert "whisper-base" in capsys.readouterr().out


@pytest.fixture()
def fake_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[ModelSpec, Path]:
    """An installed package `vip_fake_models` shipping one whole model file, used in place."""
    root = tmp_path / "site"
    (root / "vip_fake_models" / "data").mkdir(parents=True)
    (root / "vip_fake_models" / "__init__.py").write_text("")
    payload = b"weights" * 100
    file = root / "vip_fake_models" / "data" / "model.onnx"
    file.write_bytes(payload)
    monkeypatch.syspath_prepend(str(root))
    spec = ModelSpec("fake", "testing", (ModelFile("model.onnx", hashlib.sha256(payload).hexdigest(), len(payload),
                                                   (PackagePart("vip_fake_models", "data/model.onnx"),)),),
                     ("vip-fake-models",), in_place=True)
    return spec, file


def test_in_place_model_is_used_from_its_package_without_a_copy(
        fake_package: tuple[ModelSpec, Path], tmp_path: Path) -> None:
    spec, file = fake_package
    store = ModelStore(tmp_path / "data", [spec])
    assert store.files("fake") == {"model.onnx": file}
    assert not (store.model_dir("fake") / "model.onnx").exists()
    status = store.status("fake")
    assert (status.source, status.status) == ("package", "ok")
    data = bytearray(file.read_bytes())
    data[3] ^= 0x01  # the installed file changed (same size, new mtime)
    file.write_bytes(bytes(data))
    with pytest.raises(ModelError) as caught:
        store.files("fake")
    assert f"checksum mismatch in {file}" in str(caught.value)
    assert "pip install --force-reinstall vip-fake-models" in str(caught.value)
    assert store.status("fake").status == "corrupt"


def test_the_shipped_ocr_face_and_embedding_models_are_pinned_and_installed(tmp_path: Path) -> None:
    store = ModelStore(tmp_path)
    for spec in (PP_OCR, HAAR_FRONTAL_FACE, MINILM):
        files = store.files(spec.name)
        assert sorted(files) == sorted(f.name for f in spec.files)
        assert all(path.is_file() and "site-packages" in str(path) for path in files.values())
        assert store.status(spec.name).status == "ok"


def test_loader_remembers_a_failure_for_a_while_then_tries_again(tmp_path: Path) -> None:
    now = [0.0]
    builds: list[str] = []

    def build(store: ModelStore) -> str:
        builds.append("load")
        if len(builds) == 1:
            raise ModelError("fake", "not installed", "install it")
        return "model"

    loader = ModelLoader(build, retry_after_s=60, clock=lambda: now[0])
    for _ in range(3):  # one batch: the first video loads, the others get the same error at once
        with pytest.raises(ModelError, match="not installed"):
            loader.get(tmp_path)
    assert builds == ["load"]
    now[0] = 61.0
    assert loader.get(tmp_path) == "model" and loader.get(tmp_path) == "model"
    assert builds == ["load", "load"]
