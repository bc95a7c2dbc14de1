"""bundle_tools.icu on a small ICU data library made in the test from Qt's own ICU data
(run by pytest)."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.packaging.conftest import need_tools
from tests.packaging.elfs import build_library

from bundle_tools import icu

KEPT = ["cnvalias.icu", "coll/de.res", "coll/res_index.res", "coll/root.res", "coll/sv.res", "coll/ucadata.icu",
        "en.res", "en_001.res", "en_GB.res", "pool.res", "root.res"]
# res_index.res (ICU's list of installed locales) has the shape of a locale's name, so it goes as
# they do: Qt keeps its own list of locales.
DROPPED = ["de.res", "sv.res", "res_index.res", "ibm-37_P100-1995.cnv", "lang/de.res", "lang/pool.res", "lang/root.res",
           "zone/de.res", "zone/pool.res", "zone/root.res"]


@pytest.mark.parametrize("item", KEPT + ["uemoji.icu", "nfkc.nrm", "supplementalData.res"])
def test_what_qt_reads_is_kept(item: str) -> None:
    assert not icu.unused(item)


@pytest.mark.parametrize("item", DROPPED + ["zh_Hant_TW.res", "curr/de.res", "brkitr/dictionaries/burmesedict.dict",
                                            "rbnf/de.res", "translit/root.res", "unit/en.res", "region/fr.res"])
def test_what_qt_never_reads_goes(item: str) -> None:
    assert icu.unused(item)


def test_data_range_finds_the_data_symbol(tmp_path: Path) -> None:
    need_tools("cc", "readelf")
    payload = bytes(range(1, 200))
    source = ("const unsigned char before[77] = {1};\n"
              f"const unsigned char icudt99_dat[{len(payload)}] = {{{', '.join(map(str, payload))}}};\n")
    lib = build_library(tmp_path / "libicudata.so.99", source)
    where = icu.data_range(lib, "99")
    assert where is not None and where[1] == len(payload)
    assert lib.read_bytes()[where[0]:where[0] + where[1]] == payload
    assert icu.data_range(lib, "98") is None


def qt_icu() -> tuple[Path, str]:
    """The folder of Qt's ICU libraries (PySide6's wheel) and ICU's major version."""
    spec = importlib.util.find_spec("PySide6")
    lib_dir = Path(spec.origin).parent / "Qt" / "lib" if spec and spec.origin else Path("/nonexistent")
    found = sorted(lib_dir.glob("libicudata.so.*"))
    if not found:
        pytest.skip(f"no Qt ICU libraries in {lib_dir}")
    return lib_dir, found[0].name.rsplit(".so.", 1)[1].split(".")[0]


@pytest.fixture
def small_qt_icu(tmp_path: Path) -> tuple[Path, str]:
    """A folder with Qt's libicuuc and libicui18n and a libicudata of only KEPT and DROPPED."""
    need_tools("icupkg", "as", "ld", "readelf")
    qt_lib, major = qt_icu()
    qt_data = qt_lib / f"libicudata.so.{major}"
    where = icu.data_range(qt_data, major)
    assert where is not None
    work, items, lib_dir = tmp_path / "work", tmp_path / "items", tmp_path / "lib"
    for folder in (work, items, lib_dir):
        folder.mkdir()
    package = work / f"icudt{major}l.dat"
    with open(qt_data, "rb") as f:
        f.seek(where[0])
        package.write_bytes(f.read(where[1]))
    (work / "items.txt").write_text("\n".join(KEPT + DROPPED) + "\n")
    small = work / "small" / package.name
    small.parent.mkdir()
    steps = [["icupkg", "-x", str(work / "items.txt"), "-d", str(items), str(package)],
             ["icupkg", "new", str(small), "-a", str(work / "items.txt"), "-s", str(items)]]
    steps += icu.data_library_steps(small, major, f"libicudata.so.{major}", lib_dir / qt_data.name, work)
    for step in steps:
        subprocess.run(step, check=True, capture_output=True)
    for name in (f"libicuuc.so.{major}", f"libicui18n.so.{major}"):
        (lib_dir / name).symlink_to(qt_lib / name)
    return lib_dir, major


def package_items(library: Path, major: str, work: Path) -> list[str]:
    where = icu.data_range(library, major)
    assert where is not None
    work.mkdir()
    with open(library, "rb") as f:
        f.seek(where[0])
        (work / f"icudt{major}l.dat").write_bytes(f.read(where[1]))
    return subprocess.run(["icupkg", "-l", str(work / f"icudt{major}l.dat")], capture_output=True, text=True,
                          check=True).stdout.split()


def test_trim_keeps_what_qt_reads(small_qt_icu: tuple[Path, str], tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    lib_dir, major = small_qt_icu
    data = lib_dir / f"libicudata.so.{major}"
    assert sorted(package_items(data, major, tmp_path / "before")) == sorted(KEPT + DROPPED)
    size = data.stat().st_size

    assert icu.trim_icu_data(lib_dir, tmp_path / "trim")

    assert sorted(package_items(data, major, tmp_path / "after")) == sorted(KEPT)
    assert data.stat().st_size < size
    assert f"({len(DROPPED)} items)" in capsys.readouterr().out


def test_trim_refuses_data_icu_cannot_use(small_qt_icu: tuple[Path, str], tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    lib_dir, major = small_qt_icu
    data = lib_dir / f"libicudata.so.{major}"
    before = data.read_bytes()
    # Trimming the collation data too: ICU still initialises, but opens no collator.
    monkeypatch.setattr(icu, "UNUSED_TREES", icu.UNUSED_TREES + ("coll",))
    assert not icu.trim_icu_data(lib_dir, tmp_path / "trim")
    assert data.read_bytes() == before
    assert "ICU data not trimmed: python" in capsys.readouterr().out


def test_trim_leaves_a_library_without_icu_data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    need_tools("cc", "icupkg", "as", "ld", "readelf")
    lib = build_library(tmp_path / "lib" / "libicudata.so.73", "const char something_else[4] = {1};\n")
    before = lib.read_bytes()
    assert not icu.trim_icu_data(tmp_path / "lib", tmp_path / "work")
    assert lib.read_bytes() == before
    assert "no icudt73_dat in libicudata.so.73" in capsys.readouterr().out


def test_trim_without_the_tools(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "libicudata.so.73").write_bytes(b"\x7fELF")
    monkeypatch.setattr(shutil, "which", lambda tool: None if tool == "icupkg" else "/usr/bin/" + tool)
    assert not icu.trim_icu_data(tmp_path, tmp_path / "work")
    assert (tmp_path / "libicudata.so.73").read_bytes() == b"\x7fELF"
    assert "icupkg (icu-devtools) or binutils missing" in capsys.readouterr().out
