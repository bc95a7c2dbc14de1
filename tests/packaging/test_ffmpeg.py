"""bundle_tools.ffmpeg on a small bundle of compiled libraries laid out as PyInstaller and
auditwheel lay out OpenCV's and PyAV's (run by pytest)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.packaging.conftest import need_tools
from tests.packaging.elfs import build_library, calls, functions

from bundle_tools import ffmpeg

CODEC, UTIL = "libavcodec-{}.so.61.19.100", "libavutil-{}.so.59.39.100"


def make_bundle(root: Path, *, av_codec_version: str = "61.19.100", av_codec_lacks: str = "") -> Path:
    """dist/vip/_internal with cv2 and av, each with its own vendored FFmpeg; returns _internal.

    OpenCV's libavcodec returns 1 from avcodec_open2, PyAV's 2, so a test can tell which one cv2
    ends up with. OpenCV's also needs libvpx and libssl (which needs libcrypto); PyAV's needs
    libx265; both have the same libdrm."""
    need_tools("cc", "readelf")
    internal = root / "vip" / "_internal"
    cv, av = internal / ffmpeg.CV_LIBS, internal / ffmpeg.AV_LIBS
    drm = build_library(av / "libdrm-44444444.so.2", functions("drmOpen"))
    cv.mkdir()
    (cv / drm.name).write_bytes(drm.read_bytes())
    x265 = build_library(av / "libx265-11111111.so.215", functions("x265_api_get_215"))
    av_util = build_library(av / UTIL.format("22222222"), functions("av_malloc", "av_free"))
    av_codec_functions = [n for n in ("avcodec_open2", "avcodec_alloc_context3") if n != av_codec_lacks]
    av_codec = build_library(av / f"libavcodec-33333333.so.{av_codec_version}",
                             functions(*av_codec_functions, value=2), needs=[av_util, x265, drm], rpath="$ORIGIN")
    crypto = build_library(cv / "libcrypto-dddddddd.so.3", functions("EVP_md5"))
    ssl = build_library(cv / "libssl-eeeeeeee.so.3", functions("SSL_new"), needs=[crypto], rpath="$ORIGIN")
    vpx = build_library(cv / "libvpx-cccccccc.so.9", functions("vpx_codec_encode"))
    cv_util = build_library(cv / UTIL.format("bbbbbbbb"), functions("av_malloc"))
    cv_codec = build_library(cv / CODEC.format("aaaaaaaa"), functions("avcodec_open2", value=1),
                             needs=[cv_util, vpx, ssl, drm], rpath="$ORIGIN")
    build_library(internal / "cv2" / "cv2.abi3.so", calls("avcodec_open2"), needs=[cv_codec, cv_util],
                  rpath="$ORIGIN/../" + ffmpeg.CV_LIBS)
    build_library(internal / "av" / "_core.so", calls("avcodec_open2"), needs=[av_codec],
                  rpath="$ORIGIN/../" + ffmpeg.AV_LIBS)
    # PyInstaller's top-level links to the libraries it saw
    (internal / vpx.name).symlink_to(f"{ffmpeg.CV_LIBS}/{vpx.name}")
    (internal / cv_util.name).symlink_to(f"{ffmpeg.CV_LIBS}/{cv_util.name}")
    return internal


def listing(folder: Path) -> dict[str, str]:
    """Each entry of `folder`: a link's target, or a file's size."""
    return {p.name: os.readlink(p) if p.is_symlink() else str(p.stat().st_size) for p in sorted(folder.iterdir())}


def load_and_call(library: Path) -> int:
    """Load `library` in a fresh process, as the app would, and call its use_all()."""
    code = "import ctypes, sys; print(ctypes.CDLL(sys.argv[1]).use_all())"
    return int(subprocess.run([sys.executable, "-c", code, str(library)], capture_output=True, text=True,
                              check=True).stdout)


def test_opencv_ends_up_with_pyav_ffmpeg(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    internal = make_bundle(tmp_path)
    cv = internal / ffmpeg.CV_LIBS
    assert load_and_call(internal / "cv2" / "cv2.abi3.so") == 1

    assert ffmpeg.share_ffmpeg(internal)

    assert listing(cv) == {
        CODEC.format("aaaaaaaa"): f"../{ffmpeg.AV_LIBS}/{CODEC.format('33333333')}",
        # PyAV's libraries, as their $ORIGIN is now OpenCV's folder when loaded through a link
        CODEC.format("33333333"): f"../{ffmpeg.AV_LIBS}/{CODEC.format('33333333')}",
        UTIL.format("22222222"): f"../{ffmpeg.AV_LIBS}/{UTIL.format('22222222')}",
        UTIL.format("bbbbbbbb"): f"../{ffmpeg.AV_LIBS}/{UTIL.format('22222222')}",
        "libdrm-44444444.so.2": f"../{ffmpeg.AV_LIBS}/libdrm-44444444.so.2",  # the same file: PyAV's
        "libx265-11111111.so.215": f"../{ffmpeg.AV_LIBS}/libx265-11111111.so.215",
    }  # OpenCV's libvpx, libssl and then libcrypto went: nothing needs them any more
    assert not (internal / "libvpx-cccccccc.so.9").is_symlink()  # PyInstaller's link to it went too
    assert (internal / UTIL.format("bbbbbbbb")).exists()
    assert load_and_call(internal / "cv2" / "cv2.abi3.so") == 2
    assert load_and_call(internal / "av" / "_core.so") == 2
    assert "removed libcrypto-dddddddd.so.3, libssl-eeeeeeee.so.3, libvpx-cccccccc.so.9" in capsys.readouterr().out


@pytest.mark.parametrize(("kwargs", "why"), [
    ({"av_codec_version": "61.19.101"}, "libavcodec-aaaaaaaa.so.61.19.100 has 0 matches in av.libs"),
    ({"av_codec_lacks": "avcodec_open2"}, "libavcodec-33333333.so.61.19.100 lacks avcodec_open2"),
])
def test_a_mismatch_leaves_the_bundle_as_it_is(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                kwargs: dict[str, str], why: str) -> None:
    internal = make_bundle(tmp_path, **kwargs)
    before = {folder: listing(folder) for folder in (internal, internal / ffmpeg.CV_LIBS, internal / ffmpeg.AV_LIBS)}
    assert not ffmpeg.share_ffmpeg(internal)
    assert {folder: listing(folder) for folder in before} == before
    assert why in capsys.readouterr().out


def test_without_pyav_or_opencv_ffmpeg(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / ffmpeg.CV_LIBS).mkdir()
    assert not ffmpeg.share_ffmpeg(tmp_path)
    assert "av.libs is missing" in capsys.readouterr().out
    (tmp_path / ffmpeg.AV_LIBS).mkdir()
    assert not ffmpeg.share_ffmpeg(tmp_path)
    assert "no FFmpeg library in opencv_python_headless.libs" in capsys.readouterr().out
