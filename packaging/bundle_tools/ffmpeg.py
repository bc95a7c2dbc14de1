"""One FFmpeg for OpenCV and PyAV in the bundle: OpenCV's vendored copy becomes links to PyAV's.

Who runs this code: build.spec (PyInstaller, via scripts/build.sh), after COLLECT, on
dist/vip/_internal/. Only the PyPI wheel's OpenCV has an FFmpeg (VIP_OPENCV_MINIMAL=0 or a failed
minimal build); with the minimal OpenCV there is nothing to share and this does nothing.
"""

from __future__ import annotations

import filecmp
import os
import sys
from pathlib import Path

from bundle_tools import say
from bundle_tools.elf import VENDORED, exports, is_elf, needed

FFMPEG_LIBS = ("libavcodec", "libavformat", "libavutil", "libswscale", "libswresample")
CV_LIBS, AV_LIBS = "opencv_python_headless.libs", "av.libs"


def _twins(cv_dir: Path, av_dir: Path) -> list[tuple[Path, Path]] | None:
    """Each FFmpeg library of `cv_dir` with its one counterpart in `av_dir` (same stem and full
    version, exporting at least the same functions); None, said why, at the first that has none."""
    pairs = []
    for lib in sorted(cv_dir.iterdir()):
        m = VENDORED.fullmatch(lib.name)
        if not m or m["stem"] not in FFMPEG_LIBS:
            continue
        if lib.is_symlink():
            say(f"FFmpeg not shared: {lib.name} is already a symlink")
            return None
        twins = [p for p in av_dir.iterdir()
                 if (t := VENDORED.fullmatch(p.name)) and (t["stem"], t["version"]) == (m["stem"], m["version"])]
        if len(twins) != 1:
            others = sorted(p.name for p in av_dir.glob(m["stem"] + "-*"))
            say(f"FFmpeg not shared: {lib.name} has {len(twins)} matches in {av_dir.name} "
                f"(there: {', '.join(others) or 'none'})")
            return None
        # Same version should mean the same API; a differently configured build could still lack
        # a function, which would only show when cv2 is imported.
        missing = exports(lib) - exports(twins[0])
        if missing:
            say(f"FFmpeg not shared: {twins[0].name} lacks {', '.join(sorted(missing)[:5])}")
            return None
        pairs.append((lib, twins[0]))
    if not pairs:
        say(f"FFmpeg not shared: no FFmpeg library in {cv_dir.name}")
        return None
    return pairs


def share_ffmpeg(internal: Path) -> bool:
    """Let OpenCV use PyAV's FFmpeg in the bundle folder `internal` (about 35 MB less, and one
    FFmpeg per process); whether it did.

    opencv-python-headless and PyAV each vendor the same FFmpeg release under hashed names, so a
    process that imports both maps two FFmpegs (docs/PITFALLS.md: mixing them has frozen decoding). When
    every FFmpeg library in opencv_python_headless.libs has exactly one counterpart in av.libs with
    the same full version, OpenCV's file becomes a relative symlink to PyAV's: glibc reuses an
    already loaded library whose file has the same device and inode, so whichever of cv2 and av is
    imported first, both end up with one copy. A library loaded through the symlink gets the
    symlink's folder as $ORIGIN, so PyAV's libraries' own dependencies (libx265, libvpx, …) are
    linked into opencv_python_headless.libs too. Then the files there that no ELF file in the
    bundle needs any more (OpenCV's libvpx, dav1d, OpenSSL) go, with PyInstaller's top-level
    symlinks to them. Any mismatch leaves the folder as it is. The frozen app's --self-test
    exercises both (PyAV decoding, rapidocr and the Haar detector through cv2)."""
    cv_dir, av_dir = internal / CV_LIBS, internal / AV_LIBS
    if not sys.platform.startswith("linux"):
        return False  # the .libs folders and $ORIGIN are auditwheel's, i.e. Linux wheels'
    if not cv_dir.is_dir():
        return False  # the small OpenCV (VIP_MINIMAL_CV2) has no FFmpeg to share
    if not av_dir.is_dir():
        say(f"FFmpeg not shared: {av_dir.name} is missing")
        return False
    before = sum(p.stat().st_size for p in cv_dir.iterdir() if not p.is_symlink())
    pairs = _twins(cv_dir, av_dir)
    if pairs is None:
        return False

    def link(name: str, target: str) -> None:
        # Relative, so that the bundle can move (and tar keeps it as a link).
        (cv_dir / name).unlink(missing_ok=True)
        (cv_dir / name).symlink_to(os.path.join("..", av_dir.name, target))

    for lib, twin in pairs:
        link(lib.name, twin.name)
    # The dependencies of PyAV's libraries, as they would be looked up through the symlinks.
    todo, seen = [twin.name for _, twin in pairs], set()
    while todo:
        name = todo.pop()
        if name in seen or not (av_dir / name).is_file():
            continue  # a system library (libc, libz, …)
        seen.add(name)
        todo += needed(av_dir / name)
        here = cv_dir / name
        if not here.exists():
            link(name, name)
        elif not here.is_symlink() and filecmp.cmp(here, av_dir / name, shallow=False):
            link(name, name)  # the same file twice (libdrm): keep PyAV's

    removed = _drop_unneeded(cv_dir, internal)
    after = sum(p.stat().st_size for p in cv_dir.iterdir() if not p.is_symlink())
    say(f"OpenCV uses PyAV's FFmpeg ({', '.join(twin.name for _, twin in pairs)}); "
        f"removed {', '.join(removed) or 'nothing'}; {(before - after) / 1e6:.1f} MB saved")
    return True


def _drop_unneeded(cv_dir: Path, internal: Path) -> list[str]:
    """Remove the files of `cv_dir` that no ELF file of the bundle (the parent of `internal`)
    needs, to a fixed point (libssl alone needed libcrypto), and the top-level symlinks of
    `internal` to them; returns the names removed."""
    needed_by = {p: needed(p) for p in internal.parent.rglob("*")
                 if p.is_file() and not p.is_symlink() and is_elf(p)}
    removed: set[Path] = set()
    while True:
        wanted = set().union(*(names for p, names in needed_by.items() if p not in removed))
        unused = [p for p in cv_dir.iterdir() if p not in removed and p.name not in wanted]
        if not unused:
            break
        for p in unused:
            p.unlink()
            removed.add(p)
    for p in internal.iterdir():  # PyInstaller's top-level symlinks to the removed files
        if p.is_symlink() and not p.exists() and Path(os.readlink(p)).parts[0] == cv_dir.name:
            p.unlink()
    return sorted(p.name for p in removed)
