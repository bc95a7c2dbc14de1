"""The package layout import-linter relies on: a folder of Python modules without
`__init__.py` is invisible to its graph (imports into it collapse to the parent), so a
contract would silently stop covering it."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("core", "app", "ui", "tasks", "api")


def packages_without_init(root: Path) -> list[str]:
    """Folders under `root`'s packages that hold .py files but no __init__.py."""
    missing = []
    for top in PACKAGES:
        for folder in [root / top, *(p for p in (root / top).rglob("*") if p.is_dir())]:
            if "__pycache__" in folder.parts:
                continue
            if any(folder.glob("*.py")) and not (folder / "__init__.py").exists():
                missing.append(str(folder.relative_to(root)))
    return sorted(missing)


def test_every_folder_of_modules_is_a_package() -> None:
    assert packages_without_init(ROOT) == []


def test_the_check_finds_a_folder_without_init(tmp_path: Path) -> None:
    (tmp_path / "core" / "search").mkdir(parents=True)
    (tmp_path / "core" / "__init__.py").write_text("")
    (tmp_path / "core" / "search" / "index.py").write_text("")
    for top in PACKAGES[1:]:
        (tmp_path / top).mkdir()
    assert packages_without_init(tmp_path) == ["core/search"]
