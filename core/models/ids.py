"""Identifiers: short random hex strings (no bson types leak out of the repositories)."""

from __future__ import annotations

import uuid


def new_id() -> str:
    """Return a new random document id."""
    return uuid.uuid4().hex
