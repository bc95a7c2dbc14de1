"""The repository stands on its own: no tracked text file points at design files outside it,
and every `*Service` class in core says what it does and who uses it (docs/ARCHITECTURE.md)."""

from __future__ import annotations

import ast
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OUTSIDE = re.compile(r"\.\./shared/design|shared/design/")
TEXT = (".py", ".md", ".toml", ".spec", ".sh", ".txt", ".cfg", ".ini", ".yml", ".yaml", ".patch")


def tracked_files() -> list[Path]:
    try:
        out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    return [ROOT / name for name in out.decode().split("\0") if name.endswith(TEXT) and (ROOT / name).is_file()]


def test_no_tracked_file_points_at_design_files_outside_the_repository() -> None:
    this = Path(__file__).resolve()
    offenders = [f"{path.relative_to(ROOT)}:{n}" for path in tracked_files() if path.resolve() != this
                 for n, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1)
                 if OUTSIDE.search(line)]
    assert offenders == [], f"point these at docs/ instead: {offenders}"


def test_every_service_class_in_core_has_a_docstring() -> None:
    missing = []
    for path in sorted((ROOT / "core").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and node.name.endswith("Service") and not ast.get_docstring(node):
                missing.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}")
    assert missing == [], f"say what it does and who uses it: {missing}"
