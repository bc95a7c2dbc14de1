"""Turn per-sample text lines into time ranges: the same text across consecutive samples is one track."""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from core.ocr.engine import TextLine

SIMILAR = 0.8  # a misread character or two still continues a track
MIN_CHARS = 2  # lines with fewer letters or digits are usually noise


def normalize_text(text: str) -> str:
    """Strip and collapse whitespace."""
    return re.sub(r"\s+", " ", text).strip()


def _key(text: str) -> str:
    return normalize_text(text).casefold()


@dataclass
class TextTrack:
    start_s: float
    last_s: float
    variants: Counter[str] = field(default_factory=Counter)
    scores: list[float] = field(default_factory=list)
    best_score: float = -1.0
    boxes: list[tuple[float, float, float, float, float]] = field(default_factory=list)  # x, y, w, h, score

    @property
    def text(self) -> str:
        """The reading seen most often (ties: the first seen)."""
        return self.variants.most_common(1)[0][0]

    @property
    def confidence(self) -> float:
        return sum(self.scores) / len(self.scores)

    def add(self, time_s: float, text: str, lines: list[TextLine], scale_x: float, scale_y: float) -> None:
        self.last_s = time_s
        self.variants[text] += 1
        score = sum(line.score for line in lines) / len(lines)
        self.scores.append(score)
        if score > self.best_score:  # keep the boxes of the clearest reading
            self.best_score = score
            self.boxes = [(line.x * scale_x, line.y * scale_y, line.w * scale_x, line.h * scale_y, line.score)
                          for line in lines]


def text_keys(lines: Sequence[TextLine]) -> frozenset[str]:
    """The texts a sample shows, as TrackBuilder compares them (noise lines left out)."""
    return frozenset(_key(line.text) for line in lines if sum(ch.isalnum() for ch in normalize_text(line.text)) >= MIN_CHARS)


def _digits(key: str) -> str:
    return "".join(ch for ch in key if ch.isdigit())


class TrackBuilder:
    """Feed samples in time order; `finish()` returns every track, ordered by start.

    The same reading continues a track. A near miss (a misread letter) continues it only
    within one shot and with the same digits: across a cut, or with another number
    ("scene 1" → "scene 2", a clock ticking), it is new text.
    """

    def __init__(self, cuts: Sequence[float] = ()) -> None:
        self._cuts = sorted(cuts)  # times where the picture cuts to a new shot
        self._open: list[TextTrack] = []
        self._done: list[TextTrack] = []

    def add(self, time_s: float, lines: list[TextLine], scale_x: float = 1.0, scale_y: float = 1.0) -> None:
        groups: dict[str, list[TextLine]] = {}
        texts: dict[str, str] = {}
        for line in lines:
            text = normalize_text(line.text)
            if sum(ch.isalnum() for ch in text) < MIN_CHARS:
                continue
            groups.setdefault(_key(text), []).append(line)
            texts.setdefault(_key(text), text)
        still_open: list[TextTrack] = []
        # Exact readings claim their tracks first; near misses (a misread character) then continue the rest.
        order = sorted(groups, key=lambda k: not any(k in map(_key, t.variants) for t in self._open))
        for key in order:
            group = groups[key]
            track = self._match(key, time_s)
            if track is None:
                track = TextTrack(start_s=time_s, last_s=time_s)
            else:
                self._open.remove(track)
            track.add(time_s, texts[key], group, scale_x, scale_y)
            still_open.append(track)
        self._done.extend(self._open)  # not seen in this sample: ended
        self._open = still_open

    def same(self, time_s: float) -> None:
        """A sample identical to the previous one: everything on screen is still there."""
        for track in self._open:
            track.last_s = time_s

    def finish(self) -> list[TextTrack]:
        tracks = self._done + self._open
        self._done, self._open = [], []
        return sorted(tracks, key=lambda t: (t.start_s, t.boxes[0][1] if t.boxes else 0.0))

    def _match(self, key: str, time_s: float) -> TextTrack | None:
        best, best_ratio = None, SIMILAR
        for track in self._open:
            keys = [_key(v) for v in track.variants]
            if key in keys:
                return track
            if self._cut_between(track.last_s, time_s):
                continue
            ratio = max((SequenceMatcher(None, key, k).ratio() for k in keys if _digits(k) == _digits(key)),
                        default=0.0)
            if ratio >= best_ratio:
                best, best_ratio = track, ratio
        return best

    def _cut_between(self, after_s: float, until_s: float) -> bool:
        """Whether a cut falls in (after_s, until_s]."""
        i = bisect.bisect_right(self._cuts, after_s)
        return i < len(self._cuts) and self._cuts[i] <= until_s
