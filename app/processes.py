"""The command line that starts another `vip` process: the frozen bundle or the source tree."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def is_frozen() -> bool:
    """True inside a PyInstaller bundle (`dist/vip/vip`), False when run from source."""
    return bool(getattr(sys, "frozen", False))


def vip_command(*args: str) -> list[str]:
    """Return the argv that runs `vip ARGS...` in a new process.

    Frozen: the bundled executable itself takes the arguments (`vip worker --workers 1`);
    there is no `python -m` inside a bundle. From source: this interpreter runs the `app`
    package, so a child uses the same virtual environment as its parent.
    """
    if is_frozen():
        return [sys.executable, *args]
    return [sys.executable, "-m", "app", *args]


def bundle_dirs() -> list[Path]:
    """Folders of a frozen bundle that may hold bundled binaries (ferretdb), nearest first;
    empty when run from source."""
    if not is_frozen():
        return []
    here = Path(sys.executable).resolve().parent
    dirs = [here]
    meipass = getattr(sys, "_MEIPASS", None)
    if meipass:
        dirs.append(Path(meipass))
    dirs.append(here / "_internal")
    unique: list[Path] = []
    for folder in dirs:
        if folder not in unique:
            unique.append(folder)
    return unique


def process_running(pid: int) -> bool:
    """True if `pid` runs (a zombie, exited but not yet reaped, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1][0] != "Z"
    except (OSError, IndexError):
        return True  # no /proc (macOS): it answered the signal
