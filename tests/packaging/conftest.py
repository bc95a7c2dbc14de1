"""Tests of packaging/bundle_tools, the bundle's post-processing steps (run by pytest, on Linux).

bundle_tools lives in packaging/, which is never a package (a top-level `packaging` would shadow
PyPI's): like build.spec, these tests put packaging/ on sys.path and import `bundle_tools`. This
folder is `tests.packaging` (it has an __init__.py), so it shadows nothing either.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

PACKAGING = Path(__file__).resolve().parents[2] / "packaging"
if str(PACKAGING) not in sys.path:
    sys.path.insert(0, str(PACKAGING))

if not sys.platform.startswith("linux"):
    pytest.skip("the bundle steps are Linux-only", allow_module_level=True)


def need_tools(*tools: str) -> None:
    """Skip the calling test when a build tool is missing (scripts/setup.sh installs them)."""
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed (scripts/setup.sh installs it)")
