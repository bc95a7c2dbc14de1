"""Content fingerprints that identify a video file without reading all of it."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

_CHUNK = 1 << 20  # 1 MiB from the start, the middle and the end


def fingerprint(path: Path) -> tuple[str, int]:
    """Return (fingerprint, size in bytes) of the file at `path`.

    The fingerprint hashes the size and three 1 MiB samples (the whole file when it is
    small), so a multi-GB video is identified in milliseconds; renamed or moved copies
    match, edited files do not. Raises OSError when the file cannot be read.
    """
    size = path.stat().st_size
    digest = hashlib.blake2b(digest_size=16)
    digest.update(str(size).encode())
    with path.open("rb") as f:
        if size <= 3 * _CHUNK:
            digest.update(f.read())
        else:
            for offset in (0, size // 2 - _CHUNK // 2, size - _CHUNK):
                f.seek(offset, os.SEEK_SET)
                digest.update(f.read(_CHUNK))
    return "b2:" + digest.hexdigest(), size


def missing_fingerprint(path: Path) -> str:
    """Return a stable stand-in fingerprint for a path whose content cannot be read."""
    return "path:" + hashlib.blake2b(str(path).encode(), digest_size=16).hexdigest()
