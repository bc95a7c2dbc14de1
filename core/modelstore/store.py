"""Find, assemble and verify model files.

Resolution order for a model `name`:
1. the user models dir, `<data dir>/models/<name>/` (every file checked against its pinned
   SHA-256; the check is cached by size + mtime in `.verified.json`, so start-up stays fast);
2. installed model packages: split files are assembled once into the user models dir, and
   checked while they are written; whole files of `in_place` models (rapidocr's ONNX files,
   OpenCV's cascade) are checked where the package put them and used from there;
3. otherwise a `ModelError` says how to install the model (there is no download channel).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog

from core.errors import ModelError
from core.modelstore.registry import MODELS, ModelFile, ModelSpec, PackagePart

log = structlog.get_logger(__name__)

_CHUNK = 1 << 20
_CACHE = ".verified.json"


@dataclass(frozen=True)
class ModelStatus:
    """What `vip models` shows for one model."""

    name: str
    purpose: str
    source: str  # "user dir" | "package" | "missing"
    status: str  # "ok" | "missing" | "corrupt"
    size: int  # bytes, as pinned
    path: str  # the model's folder in the user models dir
    problem: str = ""  # empty when ok

    def to_doc(self) -> dict[str, Any]:
        return {"name": self.name, "purpose": self.purpose, "source": self.source, "status": self.status,
                "size": self.size, "path": self.path, "problem": self.problem}


class ModelStore:
    def __init__(self, data_dir: Path, specs: Sequence[ModelSpec] = MODELS) -> None:
        self.models_dir = data_dir / "models"
        self._specs = {s.name: s for s in specs}

    @property
    def specs(self) -> list[ModelSpec]:
        return list(self._specs.values())

    def spec(self, name: str) -> ModelSpec:
        try:
            return self._specs[name]
        except KeyError:
            raise ModelError(name, "unknown model", f"known models: {', '.join(self._specs)}") from None

    def model_dir(self, name: str) -> Path:
        return self.models_dir / name

    # -- resolution ------------------------------------------------------------------------

    def resolve(self, name: str) -> Path:
        """The verified folder of model `name` (every file in it), assembling it from packages if needed."""
        spec = self.spec(name)
        if spec.in_place:
            raise ValueError(f"{name} is used where its package put it: call files({name!r})")
        self.files(name)
        return self.model_dir(name)

    def files(self, name: str) -> dict[str, Path]:
        """The verified path of each file of model `name`: a copy in the user models dir wins,
        then the installed package's file (used in place, or assembled into the user dir)."""
        spec = self.spec(name)
        folder = self.model_dir(name)
        if spec.in_place:
            folder.mkdir(parents=True, exist_ok=True)  # holds the check cache
        cache = _read_cache(folder)
        try:
            return {f.name: self._resolve_file(spec, f, folder, cache) for f in spec.files}
        finally:
            _write_cache(folder, cache)

    def _resolve_file(self, spec: ModelSpec, f: ModelFile, folder: Path, cache: dict[str, Any]) -> Path:
        user_copy = folder / f.name
        state = _check_file(user_copy, f.name, f, cache)
        if state == "ok":
            return user_copy
        if state == "corrupt":
            raise ModelError(spec.name, f"checksum mismatch in {user_copy}",
                             f"delete {folder} (it is rebuilt from the installed packages) and try again; "
                             f"if that does not help, reinstall: {spec.install_hint}")
        source = _in_place_source(spec, f)
        if source is not None:
            if _check_file(source, str(source), f, cache) == "ok":
                return source
            raise ModelError(spec.name, f"checksum mismatch in {source}", _reinstall(spec))
        self._assemble(spec, f, folder, cache)
        return user_copy

    def _assemble(self, spec: ModelSpec, f: ModelFile, folder: Path, cache: dict[str, Any]) -> None:
        sources = [_package_file(p) for p in f.parts]
        absent = [p for p, s in zip(f.parts, sources) if s is None]
        if absent:
            problem = (f"not installed: {folder / f.name} is missing and the package(s) "
                       f"{', '.join(sorted({p.package for p in absent}))} are not installed")
            raise ModelError(spec.name, problem, spec.install_hint)
        folder.mkdir(parents=True, exist_ok=True)
        log.info("model_assemble", model=spec.name, file=f.name)
        digest = hashlib.sha256()
        fd, tmp_name = tempfile.mkstemp(prefix=f".{f.name}.", dir=folder)
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out:
                for src in sources:
                    assert src is not None
                    with src.open("rb") as fh:
                        while chunk := fh.read(_CHUNK):
                            digest.update(chunk)
                            out.write(chunk)
            if digest.hexdigest() != f.sha256:
                raise ModelError(spec.name, f"checksum mismatch assembling {f.name} from the installed packages",
                                 _reinstall(spec))
            target = folder / f.name
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        _remember(cache, f.name, target, f)

    # -- listing ---------------------------------------------------------------------------

    def status(self, name: str) -> ModelStatus:
        """Where model `name` would come from and whether it is usable; assembles nothing."""
        spec = self.spec(name)
        folder = self.model_dir(name)
        base = dict(name=spec.name, purpose=spec.purpose, size=spec.size, path=str(folder))
        if spec.in_place:
            folder.mkdir(parents=True, exist_ok=True)  # holds the check cache: hash the package files once
        cache = _read_cache(folder)
        try:
            sources: set[str] = set()
            for f in spec.files:
                source, state, problem = self._file_status(spec, f, folder, cache)
                if state != "ok":
                    return ModelStatus(source=source, status=state, problem=problem, **base)  # type: ignore[arg-type]
                sources.add(source)
            source = "user dir" if sources == {"user dir"} else "package"
            return ModelStatus(source=source, status="ok", **base)  # type: ignore[arg-type]
        finally:
            _write_cache(folder, cache)

    def _file_status(self, spec: ModelSpec, f: ModelFile, folder: Path,
                     cache: dict[str, Any]) -> tuple[str, str, str]:
        """(source, status, problem) of one file."""
        user_copy = folder / f.name
        state = _check_file(user_copy, f.name, f, cache)
        if state != "missing":
            return "user dir", state, f"checksum mismatch in {user_copy}" if state == "corrupt" else ""
        source = _in_place_source(spec, f)
        if source is not None:
            state = _check_file(source, str(source), f, cache)
            return "package", state, f"checksum mismatch in {source}: {_reinstall(spec)}" if state == "corrupt" else ""
        parts = [(p, _package_file(p)) for p in f.parts]
        absent = sorted({p.package for p, src in parts if src is None})
        if absent:
            return "missing", "missing", f"packages not installed ({', '.join(absent)}): {spec.install_hint}"
        if sum(src.stat().st_size for _, src in parts if src is not None) != f.size:
            return "package", "corrupt", f"the installed parts of {f.name} have the wrong size: {_reinstall(spec)}"
        return "package", "ok", ""

    def statuses(self) -> list[ModelStatus]:
        return [self.status(s.name) for s in self._specs.values()]


def _reinstall(spec: ModelSpec) -> str:
    return f"reinstall: `.venv/bin/pip install --force-reinstall {' '.join(spec.pip_packages)}`"


def _in_place_source(spec: ModelSpec, f: ModelFile) -> Path | None:
    """The installed package file that `f` is used from, for in-place models."""
    if not spec.in_place or len(f.parts) != 1:
        return None
    return _package_file(f.parts[0])


def _package_file(part: PackagePart) -> Path | None:
    try:
        found = importlib.util.find_spec(part.package)
    except (ImportError, ValueError):
        return None
    if found is None or not found.submodule_search_locations:
        return None
    for location in found.submodule_search_locations:
        candidate = Path(location) / part.path
        if candidate.is_file():
            return candidate
    return None


def _check_file(path: Path, key: str, f: ModelFile, cache: dict[str, Any]) -> str:
    """"ok", "missing" or "corrupt"; hashes only when the cached size+mtime do not match."""
    try:
        st = path.stat()
    except OSError:
        cache.pop(key, None)
        return "missing"
    entry = cache.get(key)
    if (isinstance(entry, dict) and entry.get("size") == st.st_size
            and entry.get("mtime_ns") == st.st_mtime_ns and entry.get("sha256") == f.sha256):
        return "ok"
    cache.pop(key, None)
    if st.st_size != f.size or _sha256(path) != f.sha256:
        return "corrupt"
    _remember(cache, key, path, f)
    return "ok"


def _remember(cache: dict[str, Any], key: str, path: Path, f: ModelFile) -> None:
    st = path.stat()
    cache[key] = {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": f.sha256}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _read_cache(folder: Path) -> dict[str, Any]:
    try:
        data = json.loads((folder / _CACHE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_cache(folder: Path, cache: dict[str, Any]) -> None:
    if not folder.is_dir():
        return
    if cache == _read_cache(folder):
        return
    try:
        fd, tmp = tempfile.mkstemp(prefix=".verified.", dir=folder)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(cache, out)
        os.replace(tmp, folder / _CACHE)
    except OSError:
        log.warning("model_cache_write_failed", folder=str(folder))
