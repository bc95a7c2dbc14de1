"""Keyframe thumbnails read off the GUI thread (QImage only: QPixmap is GUI-thread only)."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QImage, QImageReader


def read_thumbnail(path: str, size: QSize) -> QImage:
    """Decode a keyframe scaled to fit `size` (worker thread: QImage only, never QPixmap)."""
    reader = QImageReader(path)
    reader.setAutoTransform(True)
    source = reader.size()
    if source.isValid():
        reader.setScaledSize(source.scaled(size, Qt.AspectRatioMode.KeepAspectRatio))
    return reader.read()
