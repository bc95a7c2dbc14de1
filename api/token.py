"""The API's bearer token: generated once into the data dir, readable by its owner only."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

FILE = "api-token"


def load_or_create_token(data_dir: Path) -> str:
    """The token in `<data_dir>/api-token`, made (mode 0600) when missing or empty."""
    path = data_dir / FILE
    try:
        token = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        token = ""
    if token:
        return token
    data_dir.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as file:
        file.write(token + "\n")
    os.chmod(path, 0o600)  # also when the file existed empty with other bits
    return token
