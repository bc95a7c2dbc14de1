"""bundle_tools.encoders on PyAV-like libraries compiled in the test (run by pytest)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.packaging.conftest import need_tools
from tests.packaging.elfs import build_library, calls, functions

from bundle_tools import elf, encoders

X265, SVT = "libx265-11111111.so.215", "libSvtAv1Enc-22222222.so.2"


def make_av_libs(root: Path, *, svt_imports: tuple[str, ...] = ("svt_av1_enc_init", "svt_av1_enc_deinit")) -> Path:
    """_internal/av.libs with an x265 and an SVT-AV1 library and a libavcodec importing from both."""
    need_tools("cc", "readelf")
    av = root / "_internal" / "av.libs"
    x265 = build_library(av / X265, functions("x265_api_get_215", "x265_encoder_open_215", value=7))
    svt = build_library(av / SVT, functions("svt_av1_enc_init", "svt_av1_enc_deinit", "svt_av1_get_version",
                                            "other_function", value=7))
    build_library(av / "libavcodec-33333333.so.61.19.100", calls("x265_api_get_215", *svt_imports),
                  needs=[x265, svt])
    return av


def call(library: Path, function: str) -> str:
    """Call the int function `function` of `library` in a fresh process; what it returns."""
    code = "import ctypes, sys; print(getattr(ctypes.CDLL(sys.argv[1]), sys.argv[2])())"
    return subprocess.run([sys.executable, "-c", code, str(library), function], capture_output=True, text=True,
                          check=True).stdout.strip()


def test_imported_from_is_what_the_users_import(tmp_path: Path) -> None:
    av = make_av_libs(tmp_path)
    assert encoders.imported_from(av / X265, av.parent) == {"x265_api_get_215"}
    assert encoders.imported_from(av / SVT, av.parent) == {"svt_av1_enc_init", "svt_av1_enc_deinit"}


def test_encoders_become_stubs_that_fail(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    need_tools("gcc")
    av = make_av_libs(tmp_path)
    assert encoders.stub_unused_encoders(av, tmp_path / "stubs") == [SVT, X265]

    assert elf.exports(av / SVT) == {"svt_av1_enc_init", "svt_av1_enc_deinit"}
    assert elf.exports(av / X265) == {"x265_api_get_215"}
    assert f"Library soname: [{SVT}]" in subprocess.run(["readelf", "-d", str(av / SVT)], capture_output=True,
                                                         text=True).stdout
    assert call(av / SVT, "svt_av1_enc_init") == str(-0x7FFFF000)  # EB_ErrorInsufficientResources
    # x265's API table: version "none" after 8 ints, every function returning NULL.
    code = ("import ctypes, sys\nclass Api(ctypes.Structure):\n    _fields_ = [('n', ctypes.c_int * 8), "
            "('version', ctypes.c_char_p), ('build_info', ctypes.c_char_p), ('f', ctypes.c_void_p * 256)]\n"
            "get = ctypes.CDLL(sys.argv[1]).x265_api_get_215\nget.restype = ctypes.POINTER(Api)\n"
            "api = get(8).contents\nprint(api.version.decode(), ctypes.CFUNCTYPE(ctypes.c_void_p)(api.f[5])())\n")
    out = subprocess.run([sys.executable, "-c", code, str(av / X265)], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["none", "None"]
    assert "libx265-11111111.so.215 replaced by a stub (x265_api_get_215)" in capsys.readouterr().out


def test_a_library_used_for_more_than_encoding_stays(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    need_tools("gcc")
    av = make_av_libs(tmp_path, svt_imports=("svt_av1_enc_init", "other_function"))
    before = (av / SVT).read_bytes()
    assert encoders.stub_unused_encoders(av, tmp_path / "stubs") == [X265]
    assert (av / SVT).read_bytes() == before
    assert f"{SVT} kept: the bundle imports other_function, svt_av1_enc_init from it" in capsys.readouterr().out


@pytest.mark.parametrize(("stem", "names"), [
    ("libx265", []), ("libx265", ["x265_api_get_215", "x265_api_get_216"]), ("libx265", ["x265_encoder_open"]),
    ("libSvtAv1Enc", []), ("libSvtAv1Enc", ["svt_av1_enc_init", "eb_init_handle"]),
])
def test_no_stub_for_other_imports(stem: str, names: list[str]) -> None:
    assert encoders.stub_source(stem, names) is None


def test_stub_sources() -> None:
    x265 = encoders.stub_source("libx265", ["x265_api_get_216"])
    assert x265 is not None and "const void *x265_api_get_216(int bit_depth)" in x265
    svt = encoders.stub_source("libSvtAv1Enc", ["svt_a", "svt_b"])
    assert svt is not None and "int svt_a(void)" in svt and "int svt_b(void)" in svt
