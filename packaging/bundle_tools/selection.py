"""Which of the files PyInstaller collected go into the bundle.

Who runs this code: build.spec (PyInstaller, via scripts/build.sh), between Analysis and COLLECT
(`Selection.keeps`, `replace_binary`) and after COLLECT (`drop_dangling_links`). The spec holds
the lists (which Qt modules and plugins the app uses); this module applies them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Set
from dataclasses import dataclass
from pathlib import Path

QT = "PySide6/Qt/"

# One entry of PyInstaller's TOC lists: (destination in the bundle, source file, type code).
Entry = tuple[str, str, str]


@dataclass(frozen=True)
class Selection:
    """What the bundle keeps of the collected files, by their destination in `_internal/`.

    qt_libs      the Qt libraries kept, as the part of `PySide6/Qt/lib/libQt6<name>.so…` after
                 libQt6 (the FFmpegStub libraries always stay); Qt translations and QML never do
    plugins      the Qt plugin folders kept, each with the file names kept there (None: all)
    system_libs  name prefixes of top-level libraries (those only dropped plugins need) that go
    dropped      destination prefixes of other files that go
    """

    qt_libs: Set[str]
    plugins: Mapping[str, Set[str] | None]
    system_libs: tuple[str, ...] = ()
    dropped: tuple[str, ...] = ()

    def keeps(self, dest: str) -> bool:
        dest = dest.replace(os.sep, "/")
        if dest.startswith((QT + "translations/", QT + "qml/")):
            return False  # English-only app: no translations; no QML
        if dest.startswith(QT + "lib/libQt6"):
            name = dest[len(QT + "lib/libQt6"):].split(".so")[0]
            return name in self.qt_libs or name.startswith("FFmpegStub")
        if dest.startswith(QT + "plugins/"):
            kind, _, file = dest[len(QT + "plugins/"):].partition("/")
            if kind not in self.plugins:
                return False
            wanted = self.plugins[kind]
            return wanted is None or file in wanted
        if "/" not in dest and dest.startswith(self.system_libs):
            return False
        return not dest.startswith(self.dropped)


def replace_binary(binaries: list[Entry], dest: str, src: str, drop_under: str) -> list[Entry]:
    """`binaries` with the file bundled at `dest` taken from `src`, and nothing under `drop_under`.

    Raises LookupError when no entry is bundled at `dest`."""
    if not any(entry[0].replace(os.sep, "/") == dest for entry in binaries):
        raise LookupError(f"no {dest} to replace")
    return [(d, src if d.replace(os.sep, "/") == dest else s, kind) for d, s, kind in binaries
            if not d.replace(os.sep, "/").startswith(drop_under)]


def drop_dangling_links(folder: Path) -> list[str]:
    """Remove the symbolic links directly in `folder` that point at nothing; returns their names.

    PyInstaller links some libraries into `_internal/` whose targets the selection dropped."""
    gone = [p for p in folder.iterdir() if p.is_symlink() and not p.exists()]
    for link in gone:
        link.unlink()
    return sorted(p.name for p in gone)
