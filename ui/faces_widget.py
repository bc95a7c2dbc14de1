"""The faces panel: one thumbnail per face appearance; a click plays the video from there.

Runs on the GUI thread and reads nothing: the detail view hands it the video's face segments
and, later, the crops decoded off the loop (`set_thumbnail`); the controller hands it the
video's "Not a face" marks (`set_rejections`). Per-shot counts (faces on each shot's keyframe)
are shown in the header and on each thumbnail's tooltip.

The operator can mark a thumbnail "Not a face" (its context menu, the button under the header,
or Delete on the focused grid): it leaves the panel at once, `rejected` carries the mark for the
controller to store, and Undo or "Show hidden" → "It is a face" take it back (`restored`).
"""

from __future__ import annotations

import bisect

from PySide6.QtCore import QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QImage, QKeyEvent, QPainter, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from core.faces import FaceAppearance, FaceRejection, face_appearances, faces_per_shot, reject, rejection_of
from core.faces import without_rejected
from core.models import Shot, TextSegment
from core.formatting import format_timestamp

NOT_RUN_TEXT = "No faces yet — the faces stage has not run"
NO_FACES_TEXT = "No faces found in this video"
FAILED_TEXT = "No faces — the faces stage failed (see the job's error in the library)"
ALL_HIDDEN_TEXT = "Every face found here is marked “Not a face”. Tick “Show hidden” to see them."
NOT_A_FACE = "Not a face"
IS_A_FACE = "It is a face"
THUMB = QSize(72, 72)
_INDEX = Qt.ItemDataRole.UserRole + 1  # the item's appearance, an index into `appearances()`
_HIDDEN_TEXT = QColor("#8a8f96")


def empty_text(faces_status: str | None) -> str:
    """What the panel says when there are no faces, given the faces stage's status."""
    if faces_status == "succeeded":
        return NO_FACES_TEXT
    if faces_status == "failed":
        return FAILED_TEXT
    return NOT_RUN_TEXT


def _faded(pixmap: QPixmap) -> QPixmap:
    """A see-through copy of a thumbnail: how a hidden face is drawn under "Show hidden"."""
    faded = QPixmap(pixmap.size())
    faded.fill(Qt.GlobalColor.transparent)
    painter = QPainter(faded)
    painter.setOpacity(0.3)
    painter.drawPixmap(0, 0, pixmap)
    painter.end()
    return faded


class _FaceGrid(QListWidget):
    """The thumbnails; reached with Tab (a click leaves the keys with the player).

    Keys: arrows choose a face, Enter plays from it, Delete marks it "Not a face" (or takes the
    mark back), the Menu key or Shift+F10 opens its context menu."""

    def __init__(self, panel: FacesWidget) -> None:
        super().__init__()
        self._panel = panel

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt API)
        item = self.currentItem()
        if item is not None and event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self._panel.toggle_mark(int(item.data(_INDEX)))
        elif item is not None and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._panel.seek_requested.emit(float(item.data(Qt.ItemDataRole.UserRole)))
        elif item is not None and (event.key() == Qt.Key.Key_Menu or (
                event.key() == Qt.Key.Key_F10 and event.modifiers() & Qt.KeyboardModifier.ShiftModifier)):
            self._panel.open_menu(self.visualItemRect(item).center())
        else:
            super().keyPressEvent(event)


class FacesWidget(QWidget):
    """Face thumbnails in time order; emits `seek_requested(media_s)` when one is clicked.

    `rejected(FaceRejection)` / `restored(FaceRejection)`: the operator marked a face "Not a
    face" / took a mark back; `count_changed(n)`: the faces shown (not hidden) are now n."""

    seek_requested = Signal(float)
    rejected = Signal(object)
    restored = Signal(object)
    count_changed = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.header = QLabel()
        self.header.setWordWrap(True)
        self.header.setStyleSheet("color: #555;")
        self.not_face_button = QPushButton(NOT_A_FACE)
        self.not_face_button.setToolTip("Hide the chosen thumbnail: it is not a face (Delete).\n"
                                        "The mark stays when the video is analysed again.")
        self.undo_button = QPushButton("Undo")
        self.undo_button.setToolTip("Show the face you hid last again")
        self.show_hidden_box = QCheckBox("Show hidden")
        self.show_hidden_box.setToolTip("Also show the faces marked “Not a face”, greyed, to take a mark back")
        for control in (self.not_face_button, self.undo_button, self.show_hidden_box):
            control.setFocusPolicy(Qt.FocusPolicy.TabFocus)  # a click leaves the keys with the player
        actions = QHBoxLayout()
        actions.setContentsMargins(0, 0, 0, 0)
        actions.addWidget(self.not_face_button)
        actions.addWidget(self.undo_button)
        actions.addStretch(1)
        actions.addWidget(self.show_hidden_box)
        self.actions_row = QWidget()
        self.actions_row.setLayout(actions)
        self.empty_label = QLabel(NOT_RUN_TEXT)
        self.empty_label.setWordWrap(True)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.empty_label.setStyleSheet("color: #555; padding: 16px 4px;")
        self.grid = _FaceGrid(self)
        self.grid.setViewMode(QListView.ViewMode.IconMode)
        self.grid.setMovement(QListView.Movement.Static)
        self.grid.setResizeMode(QListView.ResizeMode.Adjust)
        self.grid.setUniformItemSizes(True)
        self.grid.setIconSize(THUMB)
        self.grid.setGridSize(QSize(THUMB.width() + 16, THUMB.height() + 30))
        self.grid.setFocusPolicy(Qt.FocusPolicy.TabFocus)  # a click leaves the keys with the player
        self.grid.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.grid.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.grid.itemClicked.connect(lambda item: self.seek_requested.emit(item.data(Qt.ItemDataRole.UserRole)))
        self.grid.customContextMenuRequested.connect(self.open_menu)
        self.grid.itemSelectionChanged.connect(self._update_actions)
        self.not_face_button.clicked.connect(self._toggle_current)
        self.undo_button.clicked.connect(self.undo)
        self.show_hidden_box.toggled.connect(lambda _on: self._render())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.header)
        layout.addWidget(self.actions_row)
        layout.addWidget(self.empty_label)
        layout.addWidget(self.grid, 1)
        self.menu: QMenu | None = None  # the open context menu (non-modal)
        self._video_id = ""
        self._segments: list[TextSegment] = []
        self._shots: list[Shot] = []
        self._start_s = 0.0
        self._status: str | None = None
        self._appearances: list[FaceAppearance] = []
        self._rejections: list[FaceRejection] = []
        self._icons: dict[int, QPixmap] = {}
        self._undo: list[FaceRejection] = []  # marks made here, newest last
        self._render()

    # -- what the panel shows -----------------------------------------------------------------
    def set_faces(self, segments: list[TextSegment], shots: list[Shot], start_s: float = 0.0,
                  faces_status: str | None = None,
                  rejections: list[FaceRejection] | None = None) -> list[FaceAppearance]:
        """Show the appearances of `segments`, less those `rejections` hide; returns every
        appearance (hidden ones too) so the caller can load their crops by index."""
        self._segments = [s for s in segments if s.kind == "face"]
        self._video_id = self._segments[0].video_id if self._segments else ""
        self._shots = list(shots)
        self._start_s = start_s
        self._status = faces_status
        self._appearances = face_appearances(self._segments)
        self._rejections = list(rejections or [])
        self._icons = {}
        self._undo = []
        self._render()
        return list(self._appearances)

    def set_rejections(self, rejections: list[FaceRejection]) -> None:
        """The video's "Not a face" marks as stored (the controller, after loading them)."""
        self._rejections = list(rejections)
        self._render()

    def add_rejection(self, rejection: FaceRejection) -> None:
        """Hide the face `rejection` names, without telling anyone (e.g. a restore that failed)."""
        if all(r.id != rejection.id for r in self._rejections):
            self._rejections.append(rejection)
            self._render()

    def remove_rejection(self, rejection: FaceRejection) -> None:
        """Show the face `rejection` names again, without telling anyone (e.g. a save that failed)."""
        if any(r.id == rejection.id for r in self._rejections):
            self._rejections = [r for r in self._rejections if r.id != rejection.id]
            self._render()

    def set_thumbnail(self, index: int, image: QImage) -> None:
        """Show appearance `index`'s crop, decoded off the loop (GUI thread: converts to QPixmap here)."""
        if image.isNull() or not 0 <= index < len(self._appearances):
            return
        self._icons[index] = QPixmap.fromImage(image)
        for row in range(self.grid.count()):
            item = self.grid.item(row)
            if item.data(_INDEX) == index:
                self._set_icon(item, index)

    # -- the operator's marks -----------------------------------------------------------------
    def mark_not_a_face(self, index: int) -> FaceRejection | None:
        """Hide appearance `index` as "Not a face" and emit `rejected` with the new mark."""
        if not 0 <= index < len(self._appearances) or self.rejection_for(index) is not None:
            return None
        rejection = reject(self._video_id, self._appearances[index])
        self._rejections.append(rejection)
        self._undo.append(rejection)
        self._render()
        self.rejected.emit(rejection)
        return rejection

    def mark_a_face(self, index: int) -> FaceRejection | None:
        """Take back the mark that hides appearance `index`; emits `restored` with it."""
        rejection = self.rejection_for(index) if 0 <= index < len(self._appearances) else None
        if rejection is not None:
            self._restore(rejection)
        return rejection

    def toggle_mark(self, index: int) -> None:
        if self.rejection_for(index) is None:
            self.mark_not_a_face(index)
        else:
            self.mark_a_face(index)

    def undo(self) -> None:
        """Take back the newest mark made here that still stands."""
        while self._undo:
            rejection = self._undo.pop()
            if any(r.id == rejection.id for r in self._rejections):
                self._restore(rejection)
                return
        self._update_actions()

    def rejection_for(self, index: int) -> FaceRejection | None:
        return rejection_of(self._appearances[index], self._rejections)

    def context_menu(self, item: QListWidgetItem) -> QMenu:
        """The menu of one thumbnail: play from it, and mark it (or take its mark back)."""
        index = int(item.data(_INDEX))
        menu = QMenu(self)
        play = menu.addAction("Play from here")
        play.triggered.connect(lambda: self.seek_requested.emit(float(item.data(Qt.ItemDataRole.UserRole))))
        if self.rejection_for(index) is None:
            mark = menu.addAction(f"{NOT_A_FACE}\tDel")
            mark.setToolTip("Hide this thumbnail; the mark stays when the video is analysed again")
            mark.triggered.connect(lambda: self.mark_not_a_face(index))
        else:
            mark = menu.addAction(f"{IS_A_FACE} (show again)\tDel")
            mark.triggered.connect(lambda: self.mark_a_face(index))
        return menu

    # -- what tests and the detail view read -----------------------------------------------------
    def appearances(self) -> list[FaceAppearance]:
        return list(self._appearances)

    def count(self) -> int:
        """Thumbnails on screen (hidden faces count only under "Show hidden")."""
        return self.grid.count()

    def shown_count(self) -> int:
        """Faces not marked "Not a face": what the tab's count says."""
        return len(self._appearances) - self.hidden_count()

    def hidden_count(self) -> int:
        return sum(1 for i in range(len(self._appearances)) if self.rejection_for(i) is not None)

    def labels(self) -> list[str]:
        """The time under each thumbnail, as the operator reads it."""
        return [self.grid.item(i).text() for i in range(self.grid.count())]

    def item_rect(self, index: int) -> QRect:
        """Where thumbnail `index` (its row in the grid) is drawn, in the grid's viewport coordinates."""
        return self.grid.visualItemRect(self.grid.item(index))

    # -- internals ----------------------------------------------------------------------------
    def _restore(self, rejection: FaceRejection) -> None:
        self._rejections = [r for r in self._rejections if r.id != rejection.id]
        self._undo = [r for r in self._undo if r.id != rejection.id]
        self._render()
        self.restored.emit(rejection)

    def _toggle_current(self) -> None:
        item = self.grid.currentItem()
        if item is not None and item.isSelected():
            self.toggle_mark(int(item.data(_INDEX)))

    def open_menu(self, pos: QPoint) -> None:
        """Open the menu of the thumbnail at `pos` (grid viewport coordinates), without waiting on it."""
        item = self.grid.itemAt(pos)
        if item is None:
            return
        self.grid.setCurrentItem(item)
        if self.menu is not None:  # one menu at a time; the last one stays readable until then
            self.menu.close()
            self.menu.deleteLater()
        self.menu = self.context_menu(item)
        self.menu.popup(self.grid.viewport().mapToGlobal(pos))

    def _render(self) -> None:
        """Rebuild the grid, header and buttons from the appearances and the marks."""
        current = self.grid.currentItem()
        keep = int(current.data(_INDEX)) if current is not None else None
        hidden = [self.rejection_for(i) is not None for i in range(len(self._appearances))]
        show_hidden = self.show_hidden_box.isChecked()
        counts = faces_per_shot(self._shots, without_rejected(self._segments, self._rejections))
        starts = [s.start_s for s in self._shots]
        self.grid.clear()
        for index, appearance in enumerate(self._appearances):
            if hidden[index] and not show_hidden:
                continue
            item = QListWidgetItem(format_timestamp(appearance.start_s - self._start_s))
            item.setData(Qt.ItemDataRole.UserRole, appearance.start_s)
            item.setData(_INDEX, index)
            item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
            tip = (f"{format_timestamp(appearance.start_s - self._start_s)} – "
                   f"{format_timestamp(appearance.end_s - self._start_s)}, seen {appearance.detections}×")
            shot = bisect.bisect_right(starts, appearance.start_s + 1e-6) - 1
            if 0 <= shot < len(self._shots):
                n = counts.get(self._shots[shot].index, 0)
                tip += f"\nShot {self._shots[shot].index + 1}: {n} face{'s' if n != 1 else ''} on its keyframe"
            if hidden[index]:
                item.setForeground(_HIDDEN_TEXT)
                font = item.font()
                font.setStrikeOut(True)
                item.setFont(font)
                tip += f"\nMarked “{NOT_A_FACE}”. Right-click → {IS_A_FACE} to show it again"
            else:
                tip += f"\nClick to play from here; right-click → {NOT_A_FACE} to hide it"
            item.setToolTip(tip)
            self._set_icon(item, index, hidden[index])
            self.grid.addItem(item)
        if keep is not None and self.grid.count():
            # the same face, or where it was (the next one; the last one when it was last)
            rows = [int(self.grid.item(r).data(_INDEX)) for r in range(self.grid.count())]
            self.grid.setCurrentRow(min(bisect.bisect_left(rows, keep), len(rows) - 1))
        total, n_hidden = len(self._appearances), sum(hidden)
        shown = total - n_hidden
        with_faces = sum(1 for n in counts.values() if n)
        parts = [f"{shown} appearance{'s' if shown != 1 else ''}"] + ([f"{n_hidden} hidden"] if n_hidden else [])
        self.header.setText(" · ".join(parts) + f" · faces on {with_faces} of {len(self._shots)} shot keyframes"
                            if total else "")
        self.header.setVisible(bool(total))
        self.actions_row.setVisible(bool(total))
        self.show_hidden_box.setText(f"Show hidden ({n_hidden})" if n_hidden else "Show hidden")
        self.show_hidden_box.setEnabled(bool(n_hidden) or show_hidden)
        self.empty_label.setText(ALL_HIDDEN_TEXT if total else empty_text(self._status))
        self.empty_label.setVisible(self.grid.count() == 0)
        self.grid.setVisible(self.grid.count() > 0)
        self._update_actions()
        self.count_changed.emit(shown)

    def _set_icon(self, item: QListWidgetItem, index: int, hidden: bool | None = None) -> None:
        pixmap = self._icons.get(index)
        if pixmap is None:
            pixmap = QPixmap(THUMB)
            pixmap.fill(QColor("#5a5f66"))
        if hidden is None:
            hidden = self.rejection_for(index) is not None
        item.setIcon(QIcon(_faded(pixmap) if hidden else pixmap))

    def _update_actions(self) -> None:
        item = self.grid.currentItem()
        chosen = int(item.data(_INDEX)) if item is not None and item.isSelected() else None
        is_hidden = chosen is not None and self.rejection_for(chosen) is not None
        self.not_face_button.setText(IS_A_FACE if is_hidden else NOT_A_FACE)
        self.not_face_button.setEnabled(chosen is not None)
        self.undo_button.setEnabled(any(any(r.id == u.id for r in self._rejections) for u in self._undo))
