"""Qt's ICU data library without the parts of ICU's data that Qt never reads.

Who runs this code: build.spec (PyInstaller, via scripts/build.sh), after COLLECT, on
dist/vip/_internal/PySide6/Qt/lib/. Needs icu-devtools (`icupkg`) and binutils (`readelf`, `as`,
`ld`), which scripts/setup.sh installs; without them the library stays as it is.

ICU data that only ICU's own formatting APIs read: display names of languages, regions,
currencies, units and time zones; break-iterator rules and dictionaries; transliteration;
spelled-out numbers; the locales' number and date formats (every locale but root and English).
Qt formats with its own CLDR tables, breaks text with its own Unicode tables and shapes with
HarfBuzz. Also the legacy-codec tables (*.cnv): QStringConverter then knows UTF-8/16/32 and
Latin-1 only, and the app reads and writes UTF-8. What Qt does take from ICU stays: collation
(QCollator, QFileDialog's sorting), case mapping, normalisation, time-zone rules.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from bundle_tools import say

UNUSED_TREES = ("lang", "region", "curr", "unit", "zone", "brkitr", "translit", "rbnf")
LOCALE = re.compile(r"[a-z]{2,3}(_[A-Za-z0-9]+)*\.res")  # de.res, zh_Hant_TW.res; not root.res, pool.res

# Run in a subprocess with the library folder, the new data library and ICU's major version: ICU
# initialises with that data, opens the UTF-8 converter and the root, German and Swedish collators.
CHECK = r"""
import ctypes, sys
lib, data = sys.argv[1], sys.argv[2]
ctypes.CDLL(data, mode=ctypes.RTLD_GLOBAL)  # takes the soname before libicuuc asks for it
uc = ctypes.CDLL(lib + "/libicuuc.so." + sys.argv[3], mode=ctypes.RTLD_GLOBAL)
i18n = ctypes.CDLL(lib + "/libicui18n.so." + sys.argv[3], mode=ctypes.RTLD_GLOBAL)
err = ctypes.c_int(0)
getattr(uc, "u_init_" + sys.argv[3])(ctypes.byref(err))
assert err.value <= 0, f"u_init: {err.value}"
ucol_open = getattr(i18n, "ucol_open_" + sys.argv[3])
ucol_open.restype = ctypes.c_void_p
ucnv_open = getattr(uc, "ucnv_open_" + sys.argv[3])
ucnv_open.restype = ctypes.c_void_p
err = ctypes.c_int(0)
assert ucnv_open(b"UTF-8", ctypes.byref(err)) and err.value <= 0, f"ucnv_open UTF-8: {err.value}"
for locale in (b"", b"de", b"sv"):
    err = ctypes.c_int(0)
    assert ucol_open(locale, ctypes.byref(err)) and err.value <= 0, f"ucol_open {locale}: {err.value}"
"""


def unused(item: str) -> bool:
    """Qt never reads the item of ICU's data package, named as `icupkg -l` lists it
    (`de.res`, `lang/de.res`, `coll/root.res`)."""
    tree, _, name = item.rpartition("/")
    if tree:
        return tree.split("/")[0] in UNUSED_TREES
    if name.endswith(".cnv"):
        return True
    return bool(LOCALE.fullmatch(name)) and not (name == "en.res" or name.startswith("en_"))


def data_range(library: Path, major: str) -> tuple[int, int] | None:
    """Where ICU's data package lies in the file `library`: the file offset and size of its
    `icudt<major>_dat` symbol; None when it has no such symbol."""
    symbols = subprocess.run(["readelf", "-sW", str(library)], capture_output=True, text=True).stdout
    sections = subprocess.run(["readelf", "-SW", str(library)], capture_output=True, text=True).stdout
    sym = re.search(rf"\s([0-9a-f]+)\s+(0x[0-9a-f]+|\d+)\s+OBJECT\s+GLOBAL\s+\w+\s+(\d+)\s+icudt{major}_dat$",
                    symbols, re.M)
    if not sym:
        return None
    value, size, index = int(sym[1], 16), int(sym[2], 0), int(sym[3])
    sec = re.search(rf"\[\s*{index}\]\s+\S+\s+\S+\s+([0-9a-f]+)\s+([0-9a-f]+)", sections)
    if not sec:
        return None
    return value - int(sec[1], 16) + int(sec[2], 16), size


def data_library_steps(package: Path, major: str, soname: str, out: Path, work: Path) -> list[list[str]]:
    """The commands that wrap the ICU data package file `package` into a shared library `out`
    (soname `soname`) defining `icudt<major>_dat`, as Qt's libicudata does (`.incbin`)."""
    (work / "data.S").write_text(
        f'    .section .rodata\n    .globl icudt{major}_dat\n    .type icudt{major}_dat, @object\n'
        f'    .balign 16\nicudt{major}_dat:\n    .incbin "{package}"\n'
        f'    .size icudt{major}_dat, . - icudt{major}_dat\n    .section .note.GNU-stack,"",@progbits\n')
    return [["as", "-o", str(work / "data.o"), str(work / "data.S")],
            ["ld", "-shared", "-soname", soname, "-o", str(out), str(work / "data.o")]]


def trim_icu_data(lib_dir: Path, work: Path) -> bool:
    """Replace the libicudata in `lib_dir` (ICU's data as one 32 MB symbol) by one without
    UNUSED_TREES, codecs and locales; whether it did. `work` is a scratch folder (emptied first).

    The data is cut out of the library (the `icudtNN_dat` symbol), trimmed with ICU's `icupkg`
    and wrapped into a new library of the same soname with `as` and `ld` (`.incbin`). It is only
    used if ICU initialises with it and still opens collators (CHECK, in a subprocess, with the
    libicuuc and libicui18n of `lib_dir`)."""
    found = sorted(lib_dir.glob("libicudata.so.*"))
    if not sys.platform.startswith("linux") or not found:
        return False
    original = found[0]
    major = original.name.rsplit(".so.", 1)[1].split(".")[0]
    if not all(shutil.which(t) for t in ("icupkg", "as", "ld", "readelf")):
        say("ICU data not trimmed: icupkg (icu-devtools) or binutils missing")
        return False
    where = data_range(original, major)
    if where is None:
        say(f"ICU data not trimmed: no icudt{major}_dat in {original.name}")
        return False
    offset, size = where
    shutil.rmtree(work, ignore_errors=True)
    name = f"icudt{major}l.dat"  # icupkg wants the package's own name (its items are icudtNNl/...)
    (work / "in").mkdir(parents=True)
    (work / "out").mkdir()
    with open(original, "rb") as f:
        f.seek(offset)
        (work / "in" / name).write_bytes(f.read(size))
    items = subprocess.run(["icupkg", "-l", str(work / "in" / name)], capture_output=True, text=True).stdout.split()
    dropped = [i for i in items if unused(i)]
    (work / "unused.txt").write_text("\n".join(dropped) + "\n")
    trimmed = work / original.name
    steps = [["icupkg", "-r", str(work / "unused.txt"), str(work / "in" / name), str(work / "out" / name)]]
    steps += data_library_steps(work / "out" / name, major, original.name.split(".so.")[0] + f".so.{major}",
                                trimmed, work)
    steps += [[sys.executable, "-c", CHECK, str(lib_dir), str(trimmed), major]]
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True)
        if done.returncode != 0:
            say(f"ICU data not trimmed: {Path(step[0]).name} failed: {done.stderr.strip()[-300:]}")
            return False
    saved = original.stat().st_size - trimmed.stat().st_size
    shutil.copyfile(trimmed, original)
    say(f"ICU data without {', '.join(UNUSED_TREES)}, codecs and locales ({len(dropped)} items): "
        f"{saved / 1e6:.1f} MB saved")
    return True
