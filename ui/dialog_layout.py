"""The layout the tool pages share: their parts top to bottom, then a Close button."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLayout, QVBoxLayout, QWidget

Part = QWidget | QLayout | tuple[QWidget | QLayout, int]  # a part, or (a part, its stretch)


def page_layout(dialog: QDialog, *parts: Part) -> QVBoxLayout:
    """Lay `parts` out in `dialog`, one under another, with a Close button at the bottom."""
    layout = QVBoxLayout(dialog)
    for part in parts:
        item, stretch = part if isinstance(part, tuple) else (part, 0)
        if isinstance(item, QLayout):
            layout.addLayout(item, stretch)
        else:
            layout.addWidget(item, stretch)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    buttons.rejected.connect(dialog.close)
    layout.addWidget(buttons)
    return layout
