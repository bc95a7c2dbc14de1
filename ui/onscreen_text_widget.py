"""The on-screen text panel: what the OCR stage read on screen, with times, searchable.

Runs on the GUI thread and reads nothing: the detail view hands it the video's OCR segments
(`TextSegment`, kind "ocr", from `core.pipeline.ocr_stage`). The list, its search and
following playback are the transcript's (`ui.transcript_widget.TimedTextWidget`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QWidget

from ui.transcript_widget import PanelTexts, TimedTextWidget

if TYPE_CHECKING:
    from core.models import TextSegment

OCR_KIND = "ocr"  # TextSegment.kind written by the OCR stage
OCR_STAGE = "ocr"  # its key in video.stages
NOT_RUN_TEXT = "No on-screen text yet — the on-screen text stage has not run"
NO_TEXT_TEXT = "No on-screen text in this video"
FAILED_TEXT = "No on-screen text — the on-screen text stage failed (see the job's error in the library)"
ONSCREEN_TEXTS = PanelTexts("Search the on-screen text", "text", "texts", NOT_RUN_TEXT, NO_TEXT_TEXT,
                            FAILED_TEXT)


class OnScreenTextWidget(TimedTextWidget):
    """The text read on screen in one video, one line per segment; a click plays from there."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(ONSCREEN_TEXTS, parent)

    def tip(self, segment: TextSegment, start: str, end: str) -> str:
        """On screen from `start` to `end`, and how sure the reading is."""
        sure = f", read with {segment.confidence:.0%} confidence" if segment.confidence else ""
        return f"On screen {start} – {end}{sure}\nClick to play from here"
