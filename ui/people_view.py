"""The People page: everyone the people stage found across the library, and the operator's corrections.

Runs on the GUI thread's asyncio (qasync) loop; reads and writes only through the async
PeopleService (and reads video names through the `videos` look-up it is given), in tasks kept
by a TaskSet. Face crops are decoded off the loop (asyncio.to_thread, QImage only) and turned
into pixmaps here.

One card per person (cover crop, name, "N appearances in M videos"), filtered as the operator
types. The chosen card's appearances show below, one crop per appearance with its video's name
and time; a double-click (or Enter) emits `appearance_activated(video_id, media_s)` for the
controller to open the video there. Corrections: Name… (a non-modal name dialog), Merge (two
or more cards, into the first one chosen), Split (chosen appearances into a new person) and
"Not a face" (hides the clusters; Undo shows them again).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

import structlog
from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QImage, QKeyEvent, QPainter, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from core.models import Video
from core.models.person import Person, PersonAppearance
from core.services.people import PeopleService
from ui.task_set import TaskSet
from ui.thumbnails import read_thumbnail
from core.formatting import format_timestamp

log = structlog.get_logger(__name__)

EMPTY_TEXT = "No people yet — analyse videos with the People stage on"
NO_MATCH_TEXT = "No one matches “{}”"
CHOOSE_TEXT = "Choose a person to see where they appear"
COVER = QSize(112, 112)  # a person's face crop ...
CARD_ICON = QSize(196, 112)  # ... centred in a card as wide as its text (Qt wraps the text at the icon's width)
THUMB = QSize(88, 88)
APPEARANCE_ICON = QSize(176, 88)
_ID = Qt.ItemDataRole.UserRole
_PLACEHOLDER = QColor("#c8ccd2")

VideoLookup = Callable[[list[str]], Awaitable[list[Video]]]


def count_text(person: Person) -> str:
    """"3 appearances in 2 videos" (singulars where they belong)."""
    appearances = f"{person.count} appearance{'' if person.count == 1 else 's'}"
    return f"{appearances} in {person.videos} video{'' if person.videos == 1 else 's'}"


def _framed(image: QImage | None, face: QSize, icon: QSize) -> QPixmap:
    """The crop fitted into `face`, centred on a clear `icon` (a grey square while there is no
    crop yet). GUI thread: makes a QPixmap."""
    canvas = QPixmap(icon)
    canvas.fill(Qt.GlobalColor.transparent)
    painter = QPainter(canvas)
    if image is None or image.isNull():
        painter.fillRect((icon.width() - face.width()) // 2, (icon.height() - face.height()) // 2,
                         face.width(), face.height(), _PLACEHOLDER)
    else:
        scaled = QPixmap.fromImage(image).scaled(face, Qt.AspectRatioMode.KeepAspectRatio,
                                                 Qt.TransformationMode.SmoothTransformation)
        painter.drawPixmap((icon.width() - scaled.width()) // 2, (icon.height() - scaled.height()) // 2, scaled)
    painter.end()
    return canvas


def _read_all(paths: dict[str, str], size: QSize) -> dict[str, QImage]:
    """Decode crops (worker thread: QImage only)."""
    return {key: read_thumbnail(path, size) for key, path in paths.items()}


class _AppearanceGrid(QListWidget):
    """The chosen person's appearances; Enter opens the current one like a double-click."""

    def __init__(self, page: PeopleView) -> None:
        super().__init__()
        self._page = page

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt API)
        item = self.currentItem()
        if item is not None and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._page.activate(item)
        else:
            super().keyPressEvent(event)


class PeopleView(QWidget):
    """Person cards and the chosen person's appearances; `reload()` (or `refresh`) reads them anew.

    `back_requested()`: the operator wants the library again; `appearance_activated(video_id,
    media_s)`: play that video from that moment."""

    back_requested = Signal()
    appearance_activated = Signal(str, float)

    def __init__(self, people: PeopleService, videos: VideoLookup, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._people_service = people
        self._videos = videos
        self._tasks = TaskSet(self._failed)
        self._people: list[Person] = []
        self._picked: list[str] = []  # chosen card ids, in the order the operator chose them
        self._shown_id: str | None = None  # whose appearances are shown below
        self._appearances: list[PersonAppearance] = []
        self._hidden: list[Person] = []  # the last "Not a face" batch, for Undo
        self._covers: dict[str, QPixmap] = {}  # cover path -> framed pixmap
        self.name_dialog: QInputDialog | None = None  # the open name dialog (non-modal)

        self.back_button = QPushButton("← Library")
        self.back_button.setToolTip("Back to the library (Esc)")
        self.back_button.clicked.connect(self.back_requested.emit)
        title = QLabel("<b>People</b>")
        self.filter_box = QLineEdit()
        self.filter_box.setPlaceholderText("Filter people by name…")
        self.filter_box.setClearButtonEnabled(True)
        self.filter_box.setMaximumWidth(280)
        self.filter_box.textChanged.connect(lambda _text: self._apply_filter())
        self.count_label = QLabel()
        self.count_label.setStyleSheet("color: #555;")
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.clicked.connect(self.reload)
        top = QHBoxLayout()
        top.addWidget(self.back_button)
        top.addWidget(title)
        top.addSpacing(12)
        top.addWidget(self.filter_box, 1)
        top.addWidget(self.count_label)
        top.addStretch(1)
        top.addWidget(self.refresh_button)

        self.name_button = QPushButton("Name…")
        self.name_button.setToolTip("Give the chosen person a name: every appearance, past and future, carries it")
        self.merge_button = QPushButton("Merge")
        self.merge_button.setToolTip("Choose two or more people (Ctrl+click): they become the first one chosen")
        self.not_face_button = QPushButton("Not a face")
        self.not_face_button.setToolTip("Hide the chosen clusters: they are not faces (look-alikes stay hidden)")
        self.undo_button = QPushButton("Undo")
        self.undo_button.setToolTip("Show the clusters you hid last again")
        self.name_button.clicked.connect(self.ask_name)
        self.merge_button.clicked.connect(lambda: self._tasks.spawn(self.merge()))
        self.not_face_button.clicked.connect(lambda: self._tasks.spawn(self.mark_not_a_face()))
        self.undo_button.clicked.connect(lambda: self._tasks.spawn(self.undo()))
        actions = QHBoxLayout()
        for button in (self.name_button, self.merge_button, self.not_face_button, self.undo_button):
            actions.addWidget(button)
        actions.addStretch(1)
        self.message = QLabel()  # what the last correction did, or what went wrong
        self.message.setWordWrap(True)
        actions.addWidget(self.message, 2)

        self.empty_label = QLabel(EMPTY_TEXT)
        self.empty_label.setWordWrap(True)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setStyleSheet("color: #555; padding: 32px 8px; font-size: 14px;")
        self.cards = QListWidget()
        self.cards.setViewMode(QListView.ViewMode.IconMode)
        self.cards.setMovement(QListView.Movement.Static)
        self.cards.setResizeMode(QListView.ResizeMode.Adjust)
        self.cards.setUniformItemSizes(True)
        self.cards.setWordWrap(True)
        self.cards.setIconSize(CARD_ICON)
        self.cards.setGridSize(QSize(CARD_ICON.width() + 12, CARD_ICON.height() + 50))
        self.cards.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.cards.itemSelectionChanged.connect(self._on_cards_chosen)
        self.cards.itemDoubleClicked.connect(lambda _item: self.ask_name())

        self.person_title = QLabel(CHOOSE_TEXT)
        self.person_title.setStyleSheet("color: #555;")
        self.split_button = QPushButton("Split into new person")
        self.split_button.setToolTip("Choose appearances below (Ctrl+click) that are someone else: "
                                     "they become a new person")
        self.split_button.clicked.connect(lambda: self._tasks.spawn(self.split()))
        person_row = QHBoxLayout()
        person_row.addWidget(self.person_title, 1)
        person_row.addWidget(self.split_button)
        self.appearance_grid = _AppearanceGrid(self)
        self.appearance_grid.setViewMode(QListView.ViewMode.IconMode)
        self.appearance_grid.setMovement(QListView.Movement.Static)
        self.appearance_grid.setResizeMode(QListView.ResizeMode.Adjust)
        self.appearance_grid.setUniformItemSizes(True)
        self.appearance_grid.setWordWrap(True)
        self.appearance_grid.setIconSize(APPEARANCE_ICON)
        self.appearance_grid.setGridSize(QSize(APPEARANCE_ICON.width() + 12, APPEARANCE_ICON.height() + 50))
        self.appearance_grid.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.appearance_grid.itemSelectionChanged.connect(self._update_actions)
        self.appearance_grid.itemDoubleClicked.connect(self.activate)
        self.appearance_grid.setToolTip("Double-click (or Enter) to play the video from there")

        people_box = QWidget()
        people_layout = QVBoxLayout(people_box)
        people_layout.setContentsMargins(0, 0, 0, 0)
        people_layout.addLayout(actions)
        people_layout.addWidget(self.empty_label)
        people_layout.addWidget(self.cards, 1)
        appearances_box = QWidget()
        appearances_layout = QVBoxLayout(appearances_box)
        appearances_layout.setContentsMargins(0, 0, 0, 0)
        appearances_layout.addLayout(person_row)
        appearances_layout.addWidget(self.appearance_grid, 1)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(people_box)
        self.splitter.addWidget(appearances_box)
        self.splitter.setSizes([360, 360])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(top)
        layout.addWidget(self.splitter, 1)
        self._show_cards()

    # -- what the operator sees (tests read these) ----------------------------------------------
    def card_texts(self) -> list[str]:
        """The visible cards' texts, "Name\\nN appearances in M videos", in order."""
        return [item.text() for item in self._card_items() if not item.isHidden()]

    def appearance_labels(self) -> list[str]:
        """The shown appearances' texts, "video name\\nm:ss", in order."""
        return [self.appearance_grid.item(i).text() for i in range(self.appearance_grid.count())]

    def card_rect(self, name: str) -> QRect:
        """Where the card of `name` (its display name) is, in the cards view's viewport."""
        item = next(i for i in self._card_items() if i.text().split("\n")[0] == name)
        self.cards.doItemsLayout()  # items added a moment ago are laid out on a timer
        return self.cards.visualItemRect(item)

    def appearance_rect(self, row: int) -> QRect:
        self.appearance_grid.doItemsLayout()
        return self.appearance_grid.visualItemRect(self.appearance_grid.item(row))

    def stop(self) -> None:
        self._tasks.cancel_all()

    # -- loading --------------------------------------------------------------------------------
    def reload(self) -> None:
        """Read the people anew (the page was shown, a job finished, Refresh)."""
        self._tasks.spawn(self.refresh())

    def spawn_refresh(self, choose: str) -> None:
        """Read the people anew and choose `choose` (a person found by a search)."""
        self._tasks.spawn(self.refresh(choose))

    async def refresh(self, choose: str | None = None) -> None:
        """Show everyone (not hidden) as cards, keeping the chosen ones (or choosing `choose`)."""
        people = await self._people_service.people()
        self._people = people
        keep = [choose] if choose else [pid for pid in self._picked if any(p.id == pid for p in people)]
        self._show_cards(keep)
        await self._load_covers(people)
        shown = choose or (self._shown_id if any(p.id == self._shown_id for p in people) else None)
        if shown is None and keep:
            shown = keep[-1]
        await self.show_person(shown)

    def _show_cards(self, keep: Sequence[str] = ()) -> None:
        self.cards.blockSignals(True)
        self.cards.clear()
        for person in self._people:
            item = QListWidgetItem(f"{person.display_name}\n{count_text(person)}")
            item.setData(_ID, person.id)
            item.setIcon(QIcon(self._covers.get(person.cover_path or "") or _framed(None, COVER, CARD_ICON)))
            item.setToolTip(f"{person.display_name}: {count_text(person)}"
                            + ("" if person.name else " — not named yet (Name… or double-click)"))
            item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
            self.cards.addItem(item)
            if person.id in keep:
                item.setSelected(True)
        self.cards.blockSignals(False)
        self._picked = [pid for pid in keep if any(p.id == pid for p in self._people)]
        self._apply_filter()

    async def _load_covers(self, people: list[Person]) -> None:
        wanted = {p.cover_path: p.cover_path for p in people if p.cover_path and p.cover_path not in self._covers}
        if not wanted:
            return
        images = await asyncio.to_thread(_read_all, wanted, COVER)
        for path, image in images.items():
            self._covers[path] = _framed(image, COVER, CARD_ICON)
        for item in self._card_items():
            person = self._person(item.data(_ID))
            if person is not None and person.cover_path in self._covers:
                item.setIcon(QIcon(self._covers[person.cover_path]))

    async def show_person(self, person_id: str | None) -> None:
        """Show `person_id`'s appearances below the cards (none: the hint to choose someone).

        The grid is rebuilt only once the appearances are read, keeping the chosen ones when
        the same person is shown again (a reload after a job)."""
        same = person_id is not None and person_id == self._shown_id
        self._shown_id = person_id
        person = self._person(person_id) if person_id else None
        if person is None:
            self.appearance_grid.clear()
            self._appearances = []
            self.person_title.setText(CHOOSE_TEXT)
            self._update_actions()
            return
        if not same:
            self.appearance_grid.clear()
            self._appearances = []
            self.person_title.setText(f"<b>{person.display_name}</b> — loading appearances…")
        kept = {self._key(self._appearances[int(item.data(_ID))]) for item in self.appearance_grid.selectedItems()
                if int(item.data(_ID)) < len(self._appearances)} if same else set()
        appearances = await self._people_service.appearances(person.id)
        videos = {v.id: v for v in await self._videos(sorted({a.video_id for a in appearances}))}
        if self._shown_id != person_id:
            return  # another person was chosen meanwhile
        self._appearances = appearances
        self.person_title.setText(f"<b>{person.display_name}</b> — {count_text(person)}. "
                                  "Double-click one to play it; choose some and Split if they are someone else.")
        self.appearance_grid.blockSignals(True)
        self.appearance_grid.clear()
        for index, appearance in enumerate(appearances):
            video = videos.get(appearance.video_id)
            start = video.origin_s if video is not None else 0.0
            name = video.name if video is not None else appearance.video_id
            item = QListWidgetItem(QIcon(_framed(None, THUMB, APPEARANCE_ICON)),
                                   f"{name}\n{format_timestamp(appearance.start_s - start)}")
            item.setData(_ID, index)
            item.setToolTip(f"{name}, {format_timestamp(appearance.start_s - start)}–"
                            f"{format_timestamp(appearance.end_s - start)}, seen {appearance.detections}×")
            item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
            self.appearance_grid.addItem(item)
            item.setSelected(self._key(appearance) in kept)
        self.appearance_grid.blockSignals(False)
        self._update_actions()
        crops = {str(i): a.image_path for i, a in enumerate(appearances) if a.image_path}
        images = await asyncio.to_thread(_read_all, crops, THUMB)
        if self._shown_id != person_id or self._appearances is not appearances:
            return
        for key, image in images.items():
            self.appearance_grid.item(int(key)).setIcon(QIcon(_framed(image, THUMB, APPEARANCE_ICON)))

    @staticmethod
    def _key(appearance: PersonAppearance) -> tuple[str, int]:
        return appearance.video_id, appearance.index

    # -- corrections ----------------------------------------------------------------------------
    def ask_name(self) -> QInputDialog | None:
        """Open the name dialog for the card chosen last (non-modal: the loop keeps running)."""
        person = self._person(self._picked[-1]) if self._picked else None
        if person is None:
            return None
        dialog = QInputDialog(self)
        dialog.setWindowTitle("Name person")
        dialog.setLabelText(f"Name for {person.display_name} (empty: “Person {person.number}” again):")
        dialog.setTextValue(person.name or "")
        dialog.textValueSelected.connect(lambda name: self._tasks.spawn(self.rename(person.id, name)))
        dialog.open()
        self.name_dialog = dialog
        return dialog

    async def rename(self, person_id: str, name: str) -> None:
        person = await self._people_service.rename(person_id, name)
        self.message.setText(f"Named {person.display_name}.")
        await self.refresh(choose=person.id)

    async def merge(self) -> None:
        """Fold every chosen card into the first one chosen."""
        if len(self._picked) < 2:
            return
        into, others = self._picked[0], self._picked[1:]
        merged = await self._people_service.merge(into, others)
        self.message.setText(f"Merged {len(others) + 1} people into {merged.display_name}.")
        await self.refresh(choose=merged.id)

    async def split(self) -> None:
        """Move the chosen appearances of the shown person into a new person."""
        if self._shown_id is None:
            return
        rows = sorted(int(item.data(_ID)) for item in self.appearance_grid.selectedItems())
        picks = [self._appearances[i] for i in rows if 0 <= i < len(self._appearances)]
        if not picks:
            return
        new = await self._people_service.split(self._shown_id, picks)
        self.message.setText(f"Split {len(picks)} appearance{'' if len(picks) == 1 else 's'} "
                             f"into {new.display_name}.")
        await self.refresh(choose=new.id)

    async def mark_not_a_face(self) -> None:
        """Mark the chosen clusters "Not a face": they leave the page until Undo."""
        chosen = [p for pid in self._picked if (p := self._person(pid)) is not None]
        if not chosen:
            return
        for person in chosen:
            await self._people_service.set_not_a_face(person.id, True)
        self._hidden = chosen
        names = ", ".join(p.display_name for p in chosen)
        self.message.setText(f"Hid {names} (Not a face). Undo shows {'it' if len(chosen) == 1 else 'them'} again.")
        self._picked = []
        self._shown_id = None
        await self.refresh()

    async def undo(self) -> None:
        """Show the last hidden clusters again."""
        hidden, self._hidden = self._hidden, []
        for person in hidden:
            await self._people_service.set_not_a_face(person.id, False)
        if hidden:
            self.message.setText(f"{', '.join(p.display_name for p in hidden)} shown again.")
            await self.refresh(choose=hidden[0].id)

    def activate(self, item: QListWidgetItem) -> None:
        index = int(item.data(_ID))
        if 0 <= index < len(self._appearances):
            appearance = self._appearances[index]
            self.appearance_activated.emit(appearance.video_id, appearance.start_s)

    # -- plumbing -------------------------------------------------------------------------------
    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt API)
        if event.key() == Qt.Key.Key_Escape:
            self.back_requested.emit()
        else:
            super().keyPressEvent(event)

    def _card_items(self) -> list[QListWidgetItem]:
        return [self.cards.item(i) for i in range(self.cards.count())]

    def _person(self, person_id: str | None) -> Person | None:
        return next((p for p in self._people if p.id == person_id), None)

    def _apply_filter(self) -> None:
        wanted = self.filter_box.text().strip().lower()
        visible = 0
        for item in self._card_items():
            person = self._person(item.data(_ID))
            hidden = bool(wanted) and (person is None or wanted not in person.display_name.lower())
            item.setHidden(hidden)
            if hidden and item.isSelected():
                item.setSelected(False)
            visible += not hidden
        total = len(self._people)
        if not total:
            self.empty_label.setText(EMPTY_TEXT)
        elif not visible:
            self.empty_label.setText(NO_MATCH_TEXT.format(self.filter_box.text().strip()))
        self.empty_label.setVisible(not visible)
        self.cards.setVisible(bool(visible))
        self.count_label.setText(f"{total} {'person' if total == 1 else 'people'}" if visible == total
                                 else f"{visible} of {total} people")
        self._update_actions()

    def _on_cards_chosen(self) -> None:
        """Keep the chosen cards in the order they were chosen; show the last one's appearances."""
        selected = {item.data(_ID) for item in self.cards.selectedItems()}
        self._picked = [pid for pid in self._picked if pid in selected] + \
            [item.data(_ID) for item in self.cards.selectedItems() if item.data(_ID) not in self._picked]
        self._update_actions()
        current = self._picked[-1] if self._picked else None
        if current != self._shown_id and current is not None:
            self._tasks.spawn(self.show_person(current))

    def _update_actions(self) -> None:
        picked = [p for pid in self._picked if (p := self._person(pid)) is not None]
        self.name_button.setEnabled(len(picked) >= 1)
        self.not_face_button.setEnabled(len(picked) >= 1)
        self.merge_button.setEnabled(len(picked) >= 2)
        self.merge_button.setText(f"Merge into “{picked[0].display_name}”" if len(picked) >= 2 else "Merge")
        self.undo_button.setEnabled(bool(self._hidden))
        self.split_button.setEnabled(self._shown_id is not None and bool(self.appearance_grid.selectedItems()))

    def _failed(self, exc: BaseException) -> None:
        log.error("people_view_failed", error=str(exc), exc_info=exc)
        self.message.setText(f"<span style='color:#b00020'>Could not do that: {exc}</span>")
