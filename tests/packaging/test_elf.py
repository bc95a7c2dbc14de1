"""bundle_tools.elf on libraries compiled in the test (run by pytest)."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from tests.packaging.conftest import need_tools
from tests.packaging.elfs import build_library, calls, functions

from bundle_tools import elf


@pytest.fixture
def libs(tmp_path: Path) -> tuple[Path, Path]:
    need_tools("cc", "readelf")
    base = build_library(tmp_path / "liba.so.1", functions("a_func"))
    user = build_library(tmp_path / "libb.so.2", calls("a_func") + functions("b_func")
                         + "__attribute__((weak)) int weak_func(void) { return 1; }\n"
                         + "static int hidden(void) { return 2; } int use_hidden(void) { return hidden(); }\n",
                         needs=[base])
    return base, user


def test_needed_lists_the_dt_needed_sonames(libs: tuple[Path, Path]) -> None:
    base, user = libs
    assert elf.needed(user) - {"libc.so.6"} == {"liba.so.1"}
    assert "liba.so.1" not in elf.needed(base)


def test_exports_are_the_defined_global_and_weak_symbols(libs: tuple[Path, Path]) -> None:
    _, user = libs
    exported = elf.exports(user)
    assert {"b_func", "weak_func", "use_all", "use_hidden"} <= exported
    assert "hidden" not in exported  # static
    assert "a_func" not in exported  # imported, not defined


def test_undefined_are_the_imports(libs: tuple[Path, Path]) -> None:
    base, user = libs
    assert "a_func" in elf.undefined(user)
    assert "b_func" not in elf.undefined(user)
    assert "a_func" not in elf.undefined(base)


def test_is_elf(libs: tuple[Path, Path], tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a library")
    assert elf.is_elf(libs[0])
    assert not elf.is_elf(tmp_path / "notes.txt")


def _misalign_a_load_segment(src: Path, dst: Path) -> None:
    """Copy `src` with the file offset of its last LOAD segment moved by one byte (what strip can
    do to a library patchelf rewrote)."""
    data = bytearray(src.read_bytes())
    assert data[4] == 2 and data[5] == 1, "a 64-bit little-endian ELF file"
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    loads = [phoff + i * phentsize for i in range(phnum) if struct.unpack_from("<I", data, phoff + i * phentsize)[0] == 1]
    offset, = struct.unpack_from("<Q", data, loads[-1] + 8)
    struct.pack_into("<Q", data, loads[-1] + 8, offset + 1)
    dst.write_bytes(bytes(data))


def test_loadable_refuses_a_misaligned_load_segment(libs: tuple[Path, Path], tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a library")
    _misalign_a_load_segment(libs[1], tmp_path / "broken.so")
    assert elf.loadable(libs[1])
    assert not elf.loadable(tmp_path / "broken.so")
    assert not elf.loadable(tmp_path / "notes.txt")


def test_stripped_drops_debug_info_and_keeps_the_dynamic_symbols(tmp_path: Path) -> None:
    need_tools("cc", "readelf", "strip")
    names = [f"f{i}" for i in range(200)]
    src = build_library(tmp_path / "src" / "libdebug.so", functions(*names), debug=True)
    out = tmp_path / "cache" / "sub" / "libdebug.so"
    assert elf.stripped(str(src), out) == str(out)
    assert out.stat().st_size < 0.9 * src.stat().st_size
    assert set(names) <= elf.exports(out)
    assert elf.loadable(out)
    # Stripping it again saves nothing worth it: the file stays as it is.
    assert elf.stripped(str(out), tmp_path / "again" / "libdebug.so") == str(out)


def test_stripped_keeps_what_strip_cannot_read(tmp_path: Path) -> None:
    need_tools("strip")
    (tmp_path / "data.bin").write_bytes(b"\0" * 4096)
    assert elf.stripped(str(tmp_path / "data.bin"), tmp_path / "out" / "data.bin") == str(tmp_path / "data.bin")


def test_stripped_keeps_the_original_when_strip_broke_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    need_tools("cc", "readelf", "strip")
    src = build_library(tmp_path / "libdebug.so", functions("f"), debug=True)
    out = tmp_path / "out" / "libdebug.so"
    assert elf.stripped(str(src), out) == str(out)
    monkeypatch.setattr(elf, "loadable", lambda path: False)
    assert elf.stripped(str(src), out) == str(src)


def test_vendored_names() -> None:
    m = elf.VENDORED.fullmatch("libavcodec-5e2b0a1c.so.61.19.100")
    assert m and (m["stem"], m["version"]) == ("libavcodec", ".so.61.19.100")
    m = elf.VENDORED.fullmatch("libSvtAv1Enc-0f1e2d3c.so.2")
    assert m and m["stem"] == "libSvtAv1Enc"
    assert elf.VENDORED.fullmatch("libavcodec.so.61") is None
