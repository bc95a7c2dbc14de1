"""PyAV's encoder libraries that the app never uses, replaced by stubs that fail cleanly.

Who runs this code: build.spec (PyInstaller, via scripts/build.sh), after COLLECT, on
dist/vip/_internal/av.libs/. Needs gcc (scripts/setup.sh installs it); without it nothing changes.

The app encodes H.264 only (generated sample clips); PyAV's FFmpeg also links the HEVC (x265,
20 MB) and AV1 (SVT-AV1, 7 MB) encoder libraries, which only an encode to those codecs calls.
They become small stubs with the same soname and the functions FFmpeg imports: opening such
an encoder then fails with FFmpeg's own error ("Could not allocate x265 param structure.",
"Error initializing encoder handle"), while decoding HEVC and AV1 (FFmpeg's own decoders and
dav1d) is unaffected.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from bundle_tools import say
from bundle_tools.elf import VENDORED, exports, is_elf, needed, undefined

X265_STUB = r"""
/* VIP Desktop's bundle has no HEVC encoder: x265's API table with every function returning 0. */
#include <stddef.h>
static void *nothing(void) { return NULL; }
static struct { int numbers[8]; const char *version, *build_info; void *(*functions[256])(void); } api;
const void *%(name)s(int bit_depth) {
    (void)bit_depth;
    if (!api.version) {
        api.version = "none";
        api.build_info = "VIP Desktop: no HEVC encoder in this build";
        for (int i = 0; i < 256; i++) api.functions[i] = nothing;
    }
    return &api;
}
"""
SVT_FUNCTION = "int %(name)s(void) { return (int)0x80001000; } /* EB_ErrorInsufficientResources */\n"
# The library's stem: the prefix of every function the bundle may import from it, and the C source
# of the stub (X265_STUB: for exactly one function, the API getter; else one function each).
STUBS = {"libx265": ("x265_api_get_", X265_STUB), "libSvtAv1Enc": ("svt_", SVT_FUNCTION)}


def imported_from(lib: Path, internal: Path) -> set[str]:
    """The symbols that the ELF files under `internal` which NEED `lib` leave undefined and `lib`
    defines."""
    users = [p for p in internal.rglob("*.so*") if p.is_file() and not p.is_symlink() and p != lib
             and is_elf(p) and lib.name in needed(p)]
    imported: set[str] = set()
    for user in users:
        imported |= undefined(user)
    return imported & exports(lib)


def stub_source(stem: str, names: list[str]) -> str | None:
    """The C source of the stub for the library `stem` that defines `names`; None when the names
    are not what the stub is for (nothing imported, another prefix, more than one x265 getter)."""
    prefix, template = STUBS[stem]
    if not names or any(not n.startswith(prefix) for n in names) or (template is X265_STUB and len(names) != 1):
        return None
    return template % {"name": names[0]} if template is X265_STUB else "".join(template % {"name": n} for n in names)


def stub_unused_encoders(av_dir: Path, work: Path) -> list[str]:
    """Replace the encoder libraries in `av_dir` (PyAV's vendored libraries, in the bundle's
    `_internal/`) by stubs built in `work`; returns the names of those replaced."""
    if not sys.platform.startswith("linux") or not av_dir.is_dir():
        return []
    if shutil.which("gcc") is None:
        say("encoder libraries kept: gcc missing")
        return []
    replaced = []
    for lib in sorted(av_dir.iterdir()):
        m = VENDORED.fullmatch(lib.name)
        if not m or m["stem"] not in STUBS or lib.is_symlink():
            continue
        names = sorted(imported_from(lib, av_dir.parent))
        source_text = stub_source(m["stem"], names)
        if source_text is None:
            say(f"{lib.name} kept: the bundle imports {', '.join(names) or 'nothing'} from it")
            continue
        source = work / (m["stem"] + ".c")
        source.parent.mkdir(parents=True, exist_ok=True)
        source.write_text(source_text)
        stub = source.with_suffix(".so")
        built = subprocess.run(["gcc", "-shared", "-fPIC", "-O2", "-s", f"-Wl,-soname,{lib.name}", "-o", str(stub),
                                str(source)], capture_output=True, text=True)
        if built.returncode != 0 or not set(names) <= exports(stub):
            say(f"{lib.name} kept: its stub did not build: {built.stderr.strip()[-300:]}")
            continue
        saved = lib.stat().st_size - stub.stat().st_size
        shutil.copyfile(stub, lib)
        replaced.append(lib.name)
        say(f"{lib.name} replaced by a stub ({', '.join(names)}): {saved / 1e6:.1f} MB saved")
    return replaced
