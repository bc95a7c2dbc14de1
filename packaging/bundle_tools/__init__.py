"""The bundle's post-processing steps, as plain functions over explicit paths.

Who runs this code: `build.spec` (PyInstaller, started by `bash scripts/build.sh`), on the build
machine, never the app. It imports the package after putting `packaging/` on `sys.path`; the
tests in tests/packaging/ do the same (their conftest). The package is named `bundle_tools`, not
`packaging`, because a top-level `packaging` would shadow the PyPI distribution that pip,
setuptools and PyInstaller import; `packaging/` itself has no `__init__.py` and is never a package.

    elf        reading ELF files with binutils' readelf; stripping them (`strip --strip-unneeded`)
    selection  which of PyInstaller's collected files go into the bundle (Qt modules, plugins, …)
    ffmpeg     OpenCV's vendored FFmpeg replaced by links to PyAV's (one FFmpeg per process)
    icu        Qt's ICU data without what Qt never reads (icupkg, as, ld)
    encoders   PyAV's HEVC and AV1 encoder libraries replaced by small stubs (gcc)

Nothing here reads PyInstaller's globals (DISTPATH, workpath, …): the spec passes the folders.
Every step is Linux-only and leaves the bundle as it is when a tool is missing or a check fails,
saying why on stdout (the lines start with `build.spec:`, as the build log always had them).
"""

from __future__ import annotations


def say(message: str) -> None:
    """One line of the build log, in the spec's voice."""
    print(f"build.spec: {message}")
