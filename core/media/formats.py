"""Which files count as videos when importing (by extension)."""

from __future__ import annotations

VIDEO_EXTENSIONS = frozenset(
    ".mp4 .m4v .mov .mkv .webm .avi .wmv .flv .mpg .mpeg .ts .mts .m2ts .3gp .ogv .mxf .dv".split()
)
