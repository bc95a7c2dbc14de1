"""Reading and stripping the bundle's ELF files with binutils (`readelf`, `strip`).

Who runs this code: build.spec (PyInstaller, via scripts/build.sh) while it selects the bundle's
binaries, and the other bundle_tools steps after PyInstaller has written dist/vip/.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

PAGE = 4096
# auditwheel's naming of a library vendored into a wheel's <package>.libs/ folder:
# <stem>-<8 hex digits of its hash><.so.version>, e.g. libavcodec-5e2b0a1c.so.61.19.100.
VENDORED = re.compile(r"(?P<stem>lib[\w+-]+?)-[0-9a-f]{8}(?P<version>\.so(\.\d+)*)")


def is_elf(path: Path) -> bool:
    """The file at `path` starts with the ELF magic number."""
    with open(path, "rb") as f:
        return f.read(4) == b"\x7fELF"


def needed(path: Path) -> set[str]:
    """The sonames in the DT_NEEDED entries of the ELF file at `path` (empty when it has none)."""
    out = subprocess.run(["readelf", "-d", "-W", str(path)], capture_output=True, text=True).stdout
    return set(re.findall(r"\(NEEDED\)\s+Shared library: \[(.+?)\]", out))


def _dynamic_symbols(path: Path) -> list[list[str]]:
    """The rows of `readelf --dyn-syms`: Num: Value Size Type Bind Vis Ndx Name."""
    out = subprocess.run(["readelf", "--dyn-syms", "-W", str(path)], capture_output=True, text=True).stdout
    return [cols for cols in (line.split() for line in out.splitlines()) if len(cols) >= 8 and cols[0].endswith(":")]


def exports(path: Path) -> set[str]:
    """The global and weak dynamic symbols that the ELF file at `path` defines (without versions)."""
    return {cols[7].split("@")[0] for cols in _dynamic_symbols(path)
            if cols[4] in ("GLOBAL", "WEAK") and cols[6] != "UND"}


def undefined(path: Path) -> set[str]:
    """The dynamic symbols that the ELF file at `path` leaves undefined (imports, without versions)."""
    return {cols[7].split("@")[0] for cols in _dynamic_symbols(path) if cols[6] == "UND"}


def loadable(path: Path) -> bool:
    """Every LOAD segment of the ELF file at `path` can be mapped (address ≡ offset mod 4 KiB)."""
    out = subprocess.run(["readelf", "-lW", str(path)], capture_output=True, text=True)
    loads = [line.split() for line in out.stdout.splitlines() if line.strip().startswith("LOAD")]
    return out.returncode == 0 and bool(loads) and all(
        (int(cols[2], 16) - int(cols[1], 16)) % PAGE == 0 for cols in loads)


def stripped(src: str, out: Path) -> str:
    """`src`, or its copy at `out` without debug info and static symbol table when that is worth it.

    Many wheels ship unstripped extension modules (ctranslate2's 68 MB → 1 MB of debug info,
    numkong's 44 MB → 4 MB, libpython 22 MB → 6 MB) and keep .symtab (about 24 MB over the bundle:
    CTranslate2, FerretDB, tokenizers, cryptography, …). The dynamic symbols that linking needs
    stay (--strip-unneeded); what goes is what only a native debugger would show. `out` is a cache:
    it is made again only when `src` is newer. Returns the path to bundle: `src` off Linux, when
    strip fails, when it saved little, or when it broke the file."""
    if not sys.platform.startswith("linux"):
        return src
    if not out.exists() or out.stat().st_mtime < Path(src).stat().st_mtime:
        out.parent.mkdir(parents=True, exist_ok=True)
        if subprocess.run(["strip", "--strip-unneeded", "-o", str(out), src], capture_output=True).returncode != 0:
            return src
    # Keep the original unless stripping saved something worth it (no churn for stripped files),
    # and unless strip broke it: on libraries patchelf rewrote (auditwheel's), strip can leave a
    # LOAD segment whose address and offset disagree modulo the page size, which ld.so refuses
    # ("ELF load command address/offset not page-aligned": numpy's OpenBLAS did).
    saved = Path(src).stat().st_size - out.stat().st_size
    worth_it = saved >= 256 * 1024 or saved >= 0.1 * Path(src).stat().st_size
    return str(out) if worth_it and loadable(out) else src
