"""Which sampled frames OCR reads: every other one while the text on screen stays the same.

On-screen text (captions, lower thirds, signs) stays for seconds while the picture under it
moves, so most samples of a moving picture are read only to find the same text again. The
reader reads every other sample and, when the readings on either side of a skipped sample
differ, that sample too. Text shown for at least two sampling intervals is always seen by a
read sample, and its start and end come out as if every sample had been read; where the text
stays the same, half the samples are read. Shot keyframes are always read, and samples marked
`same` (a still picture, core.ocr.frames) are never read.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from core.ocr.engine import TextLine
from core.ocr.frames import OcrFrame
from core.ocr.tracks import TrackBuilder, text_keys

Read = Callable[[npt.NDArray[np.uint8]], list[TextLine]]  # OcrEngine.read


class SparseReader:
    """Feed the frames of `iter_ocr_frames` in order, then `finish()`; the tracks are in `builder`.

    `skip`: at most this many changed samples in a row go unread (0 reads every one)."""

    def __init__(self, builder: TrackBuilder, read: Read, skip: int = 1) -> None:
        self.builder = builder
        self._read_image = read
        self.skip = skip
        self.reads = 0
        self._waiting: list[OcrFrame] = []  # samples after the last read one, not read yet
        self._last: frozenset[str] | None = None  # the texts of the last read sample

    def feed(self, frame: OcrFrame) -> None:
        if frame.same or frame.rgb is None:  # the same picture as the sample before it
            if self._waiting:
                self._waiting.append(frame)
            else:
                self.builder.same(frame.time_s)
            return
        unread = sum(not waiting.same for waiting in self._waiting)
        if self._last is not None and not frame.keyframe and unread < self.skip:
            self._waiting.append(frame)
            return
        lines = self._read(frame)
        texts = text_keys(lines)
        self._catch_up(changed=texts != self._last)
        self._add(frame, lines)
        self._last = texts

    def finish(self) -> None:
        """Read what is still waiting (nothing after it to compare with)."""
        self._catch_up(changed=True)

    def _catch_up(self, changed: bool) -> None:
        """The waiting samples: unchanged text on both sides means the same text in between."""
        for waiting in self._waiting:
            if waiting.same or not changed:
                self.builder.same(waiting.time_s)
            else:
                self._add(waiting, self._read(waiting))
        self._waiting = []

    def _read(self, frame: OcrFrame) -> list[TextLine]:
        self.reads += 1
        return self._read_image(frame.rgb) if frame.rgb is not None else []

    def _add(self, frame: OcrFrame, lines: list[TextLine]) -> None:
        self.builder.add(frame.time_s, lines, frame.scale_x, frame.scale_y)
