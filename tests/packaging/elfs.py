"""Small ELF shared libraries for the tests of packaging/bundle_tools, built with the C compiler.

Who runs this code: the tests in tests/packaging/ (pytest), to make their fixtures.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path


def build_library(path: Path, source: str, *, needs: Sequence[Path] = (), rpath: str | None = None,
                  soname: str | None = None, debug: bool = False) -> Path:
    """Compile the C `source` into the shared library `path` (soname: its file name unless given),
    with a DT_NEEDED entry for each library of `needs` and the given RPATH."""
    path.parent.mkdir(parents=True, exist_ok=True)
    command = ["cc", "-shared", "-fPIC", "-O1", "-x", "c", "-", "-o", str(path),
               f"-Wl,-soname,{soname or path.name}", "-Wl,--no-as-needed"]
    if debug:
        command.append("-g")
    if rpath is not None:
        command += ["-Wl,--disable-new-dtags", f"-Wl,-rpath,{rpath}"]
    command += ["-x", "none", *(str(lib) for lib in needs)]
    subprocess.run(command, input=source, text=True, check=True, capture_output=True)
    return path


def functions(*names: str, value: int = 0) -> str:
    """C source that defines the global functions `names`, each returning `value`."""
    return "".join(f"int {name}(void) {{ return {value}; }}\n" for name in names)


def calls(*names: str) -> str:
    """C source of a function that calls the external functions `names` (so they are imported)."""
    declarations = "".join(f"int {name}(void);\n" for name in names)
    return declarations + "int use_all(void) { return 0" + "".join(f" + {name}()" for name in names) + "; }\n"
