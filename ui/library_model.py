"""The library's videos as a Qt model: one row per video, sortable by real values, filterable.

Runs on the GUI thread only. Built for libraries of thousands of videos: updating one video
is O(1) (an id → row dict), every cell's text and sort key is computed once per update, and
posters are asked for only when a view paints their row (`posters_wanted`), kept in a
bounded cache of ready-scaled pixmaps.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRect,
    QSize,
    QSortFilterProxyModel,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor, QImage, QPainter, QPixmap

from core.formatting import format_duration
from core.models import VideoStatus

if TYPE_CHECKING:
    from core.models import Video

COLUMNS = ("Name", "Duration", "Resolution", "Size", "Codec", "Imported", "Status")
NAME, DURATION, RESOLUTION, SIZE, CODEC, IMPORTED, STATUS = range(len(COLUMNS))
LIST_POSTER = QSize(50, 28)
GRID_POSTER = QSize(176, 99)
VIDEO_ID_ROLE = Qt.ItemDataRole.UserRole + 1
GRID_POSTER_ROLE = Qt.ItemDataRole.UserRole + 2  # the large poster (QPixmap), or None
STATUS_ROLE = Qt.ItemDataRole.UserRole + 3  # the status text, on every column's index
FAILED_ROLE = Qt.ItemDataRole.UserRole + 4
NO_POSTER_ROLE = Qt.ItemDataRole.UserRole + 5  # True: there is no poster to wait for
POSTER_CACHE = 800  # posters kept (small + large pixmaps, about 75 KB each)
FAILED_COLOR = QColor("#b3261e")

_STATUS_TEXT = {
    VideoStatus.NEW: "New",
    VideoStatus.QUEUED: "Queued",
    VideoStatus.ANALYZING: "Analyzing…",
    VideoStatus.READY: "Ready",
    VideoStatus.FAILED: "Failed",
    VideoStatus.CANCELED: "Canceled",
}
_STATUS_RANK = {s: i for i, s in enumerate(
    (VideoStatus.FAILED, VideoStatus.CANCELED, VideoStatus.ANALYZING, VideoStatus.QUEUED,
     VideoStatus.NEW, VideoStatus.READY))}
_ANSWERED = frozenset(int(r) for r in (
    Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.DecorationRole,
    Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.TextAlignmentRole, VIDEO_ID_ROLE, GRID_POSTER_ROLE,
    STATUS_ROLE, FAILED_ROLE, NO_POSTER_ROLE))
_ASCENDING = Qt.SortOrder.AscendingOrder.value
_INITIAL_ORDER = {IMPORTED: Qt.SortOrder.DescendingOrder.value}  # newest first; others ascending


def format_size(size_bytes: int) -> str:
    """Return a file size as '812 KB', '4.3 MB', '12 GB'; '—' when unknown."""
    if size_bytes <= 0:
        return "—"
    value = float(size_bytes)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            break
        value /= 1000
    if unit == "B":
        return f"{size_bytes} B"
    return f"{value:.1f} {unit}" if value < 10 else f"{value:.0f} {unit}"


def failure_reason(video: Video) -> tuple[str | None, str]:
    """Return (the stage that failed, why) for a failed video, from its record.

    The worker stores the first failure's message in `video.error` and marks the stage that
    raised it "failed" in `video.stages`; stages are recorded in the order they ran, and a
    stage skipped because an earlier one failed is never recorded, so the first failed stage
    is the one that says why. The message loses its leading file path (the row names the file).
    """
    stage = next((name for name, info in video.stages.items()
                  if isinstance(info, dict) and info.get("status") == "failed"), None)
    message = (video.error or "").strip()
    if message.startswith(video.path + ": "):
        message = message[len(video.path) + 2:]
    return stage, message


def status_text(video: Video) -> str:
    """What the Status column says: the state, and for a failed video where and why."""
    text = _STATUS_TEXT[video.status]
    if video.status != VideoStatus.FAILED:
        return text
    stage, message = failure_reason(video)
    if stage and message:
        return f"{text} — {stage}: {message}"
    return f"{text} — {message}" if message else text


def _status_tooltip(video: Video) -> str:
    if video.status != VideoStatus.FAILED:
        return status_text(video)
    stage, _ = failure_reason(video)
    head = f"Analysis failed in the {stage} stage" if stage else "Analysis failed"
    return f"{head}:\n{video.error}" if video.error else head


@dataclass(slots=True)
class _Row:
    """One video's cells, sort keys and filter text, computed once per update (tooltips when
    first hovered: a page of 250 rows must be built in a few milliseconds)."""

    video: Video
    texts: tuple[str, ...]
    keys: tuple[Any, ...]
    haystack: str
    _tips: tuple[str, ...] | None = None

    @classmethod
    def of(cls, video: Video) -> _Row:
        media = video.media
        size = video.size_bytes or (media.size_bytes if media else 0)
        name = video.name
        name_key = name.casefold()
        status = status_text(video)
        texts = (
            name,
            format_duration(media.duration_s) if media else "—",
            media.resolution if media else "—",
            format_size(size),
            (media.video_codec or "—") if media else "—",
            video.imported_at.astimezone().strftime("%Y-%m-%d %H:%M"),
            status,
        )
        keys = (
            (name_key,),
            (media.duration_s if media else -1.0, name_key),
            ((media.display_width * media.display_height) if media else -1, name_key),
            (size, name_key),
            ((texts[CODEC] if media else "\uffff").casefold(), name_key),
            (video.imported_at.timestamp(), name_key),
            (_STATUS_RANK[video.status], status.casefold(), name_key),
        )
        haystack = "\n".join((video.path, media.video_codec or "", media.audio_codec or "") if media
                             else (video.path,)).casefold()
        return cls(video, texts, keys, haystack)

    @property
    def tips(self) -> tuple[str, ...]:
        if self._tips is None:
            video, texts, media = self.video, self.texts, self.video.media
            size = video.size_bytes or (media.size_bytes if media else 0)
            if media:
                audio = (f"{media.audio_codec}" + (f", {media.audio_channels} ch" if media.audio_channels else "")
                         if media.has_audio and media.audio_codec else "no audio")
                codec_tip = f"Video: {texts[CODEC]} · Audio: {audio} · Container: {media.container_label}"
            else:
                codec_tip = "Not probed yet"
            name_tip = (video.path if video.status == VideoStatus.READY
                        else f"{video.path}\n{_status_tooltip(video)}")
            self._tips = (name_tip, texts[1], texts[2], f"{size:,} bytes" if size else "—", codec_tip,
                          video.imported_at.astimezone().strftime("%Y-%m-%d %H:%M:%S %Z"), _status_tooltip(video))
        return self._tips


@dataclass(frozen=True, slots=True)
class PosterImages:
    """A poster ready to show: the list's and the grid's frames (QImage: made in any thread)."""

    small: QImage
    large: QImage


def poster_images(image: QImage) -> PosterImages:
    """Frame a decoded poster for the list and the grid (worker thread: QImage only, never QPixmap);
    a null image stays null (the video has no poster to show)."""
    if image.isNull():
        return PosterImages(QImage(), QImage())
    return PosterImages(_canvas(image, LIST_POSTER), _canvas(image, GRID_POSTER))


def _canvas(image: QImage, size: QSize) -> QImage:
    """`image` scaled to fit `size`, centred on a dark frame of exactly that size (rows align)."""
    framed = QImage(size, QImage.Format.Format_RGB32)
    framed.fill(QColor("#202020"))
    scaled = image.scaled(size, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)
    painter = QPainter(framed)
    painter.drawImage((size.width() - scaled.width()) // 2, (size.height() - scaled.height()) // 2, scaled)
    painter.end()
    return framed


def placeholder(size: QSize, text: str = "") -> QPixmap:
    """The grey frame shown until a poster is loaded (or when a video has none)."""
    pixmap = QPixmap(size)
    pixmap.fill(QColor("#d6d6d6"))
    painter = QPainter(pixmap)
    painter.setPen(QColor("#8a8a8a"))
    painter.drawRect(QRect(0, 0, size.width() - 1, size.height() - 1))
    if text:
        painter.drawText(QRect(0, 0, size.width(), size.height()), Qt.AlignmentFlag.AlignCenter, text)
    painter.end()
    return pixmap


class LibraryModel(QAbstractTableModel):
    """The videos of one project, in the order they were added (views sort through a proxy).

    `posters_wanted(video_ids)` is emitted (batched, after the paint that needed them) with
    the videos whose poster a view is about to show and that are neither loaded nor asked for;
    answer with `set_poster` (a null image means "none": it is not asked for again).
    """

    posters_wanted = Signal(list)  # video ids

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[_Row] = []
        self._index: dict[str, int] = {}
        self._posters: OrderedDict[str, tuple[QPixmap, QPixmap]] = OrderedDict()
        self._stale: set[str] = set()  # posters shown until their reload arrives
        self._no_poster: set[str] = set()
        self._pending: set[str] = set()
        self._wanted: list[str] = []
        self._flush = QTimer(self)
        self._flush.setSingleShot(True)
        self._flush.setInterval(0)
        self._flush.timeout.connect(self._ask_posters)
        self._list_placeholder = placeholder(LIST_POSTER)

    # -- Qt model API -----------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802 (Qt API)
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(COLUMNS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        if role == Qt.ItemDataRole.InitialSortOrderRole:
            return _INITIAL_ORDER.get(section, _ASCENDING)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            horizontal = Qt.AlignmentFlag.AlignRight if section in (DURATION, SIZE) else Qt.AlignmentFlag.AlignLeft
            return int(horizontal | Qt.AlignmentFlag.AlignVCenter)
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # A repaint asks every visible cell for a dozen roles: the ones never answered go first
        # and cheapest (scrolling a viewport of the list stays well under a frame).
        if role not in _ANSWERED or not index.isValid():
            return None
        row, column = self._rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            # right-aligned numbers keep a space before the next column's text (in the model: a
            # Python delegate override cost about half of a scrolled frame at 5,000 videos)
            return row.texts[column] + "\u2002" if column in (DURATION, SIZE) else row.texts[column]
        if role == Qt.ItemDataRole.ToolTipRole:
            return row.tips[column]
        if role == VIDEO_ID_ROLE:
            return row.video.id
        if role == Qt.ItemDataRole.DecorationRole and column == NAME:
            poster = self._poster(row.video)
            return poster[0] if poster else self._list_placeholder
        if role == GRID_POSTER_ROLE:
            poster = self._poster(row.video)
            return poster[1] if poster else None
        if role == STATUS_ROLE:
            return row.texts[STATUS]
        if role == NO_POSTER_ROLE:
            return not row.video.poster_path or row.video.id in self._no_poster
        if role == FAILED_ROLE:
            return row.video.status == VideoStatus.FAILED
        if role == Qt.ItemDataRole.ForegroundRole and column == STATUS and row.video.status == VideoStatus.FAILED:
            return FAILED_COLOR
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (DURATION, SIZE):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    # -- videos -----------------------------------------------------------------------------
    def set_videos(self, videos: list[Video]) -> None:
        self.beginResetModel()
        self._rows = [_Row.of(v) for v in videos]
        self._index = {row.video.id: i for i, row in enumerate(self._rows)}
        self._posters.clear()
        self._stale.clear()
        self._no_poster.clear()
        self._pending.clear()
        self._wanted.clear()
        self.endResetModel()

    def add_videos(self, videos: list[Video]) -> None:
        """Append the videos not listed yet (one insert, at the end) and update the others in place:
        a page of a library being read in, which may meet rows that a job refresh added first."""
        fresh: list[Video] = []
        for video in videos:
            i = self._index.get(video.id)
            if i is None:
                fresh.append(video)
            elif self._rows[i].video != video:  # a listed row the database corrects
                self.show_video(video)
        if not fresh:
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(fresh) - 1)
        self._rows.extend(_Row.of(v) for v in fresh)
        self._index.update((v.id, first + i) for i, v in enumerate(fresh))
        self.endInsertRows()

    def show_video(self, video: Video) -> None:
        """Add or update the row of `video` (O(1)); a new poster file is loaded when shown."""
        i = self._index.get(video.id)
        if i is None:
            i = len(self._rows)
            self.beginInsertRows(QModelIndex(), i, i)
            self._rows.append(_Row.of(video))
            self._index[video.id] = i
            self.endInsertRows()
            return
        if self._rows[i].video.poster_path != video.poster_path:
            self._forget_poster(video.id)
        self._rows[i] = _Row.of(video)
        self.dataChanged.emit(self.index(i, 0), self.index(i, len(COLUMNS) - 1))

    def remove_video(self, video_id: str) -> None:
        i = self._index.pop(video_id, None)
        if i is None:
            return
        self.beginRemoveRows(QModelIndex(), i, i)
        del self._rows[i]
        for j in range(i, len(self._rows)):
            self._index[self._rows[j].video.id] = j
        self._forget_poster(video_id)
        self.endRemoveRows()

    def row_of(self, video_id: str) -> int | None:
        return self._index.get(video_id)

    def video_at(self, row: int) -> Video:
        return self._rows[row].video

    def texts(self, row: int) -> tuple[str, ...]:
        return self._rows[row].texts

    def sort_key(self, row: int, column: int) -> tuple[Any, ...]:
        key: tuple[Any, ...] = self._rows[row].keys[column]
        return key

    def matches(self, row: int, needle: str) -> bool:
        """Whether the video's path, name or codecs contain `needle` (already case-folded)."""
        return needle in self._rows[row].haystack

    def __len__(self) -> int:
        return len(self._rows)

    # -- posters ----------------------------------------------------------------------------
    def set_poster(self, video_id: str, image: QImage | PosterImages) -> None:
        """Store a loaded poster (null: the video has none to show); framed already (`poster_images`,
        in the thread that decoded it), only the conversion to pixmaps is left to this thread."""
        framed = image if isinstance(image, PosterImages) else poster_images(image)
        self._pending.discard(video_id)
        self._stale.discard(video_id)
        i = self._index.get(video_id)
        if i is None:
            return
        if framed.small.isNull():
            self._no_poster.add(video_id)
            self._posters.pop(video_id, None)
        else:
            self._no_poster.discard(video_id)
            self._posters[video_id] = (QPixmap.fromImage(framed.small), QPixmap.fromImage(framed.large))
            self._posters.move_to_end(video_id)
            while len(self._posters) > POSTER_CACHE:
                self._posters.popitem(last=False)
        self.dataChanged.emit(self.index(i, NAME), self.index(i, NAME),
                              [Qt.ItemDataRole.DecorationRole, GRID_POSTER_ROLE])

    def reload_posters(self, video_ids: list[str]) -> None:
        """The poster files of these videos were written again: load them when next shown."""
        for video_id in video_ids:
            i = self._index.get(video_id)
            if i is None:
                continue
            self._no_poster.discard(video_id)
            if video_id in self._posters:
                self._stale.add(video_id)
            self.dataChanged.emit(self.index(i, NAME), self.index(i, NAME),
                                  [Qt.ItemDataRole.DecorationRole, GRID_POSTER_ROLE])

    def has_poster(self, video_id: str) -> bool:
        return video_id in self._posters

    def _forget_poster(self, video_id: str) -> None:
        self._posters.pop(video_id, None)
        self._stale.discard(video_id)
        self._no_poster.discard(video_id)
        self._pending.discard(video_id)

    def _poster(self, video: Video) -> tuple[QPixmap, QPixmap] | None:
        """The loaded poster of `video`; asks for it when there is one to load."""
        poster = self._posters.get(video.id)
        if poster is not None:
            self._posters.move_to_end(video.id)
        if (poster is None or video.id in self._stale) and video.poster_path \
                and video.id not in self._pending and video.id not in self._no_poster:
            self._pending.add(video.id)
            self._wanted.append(video.id)
            if not self._flush.isActive():
                self._flush.start()
        return poster

    def _ask_posters(self) -> None:
        wanted = [v for v in self._wanted if v in self._pending]
        self._wanted.clear()
        if wanted:
            self.posters_wanted.emit(wanted)


class LibraryFilterModel(QSortFilterProxyModel):
    """Sorts by each column's real value (seconds, pixels, bytes, dates) and keeps the videos
    whose path, name or codec contain the filter text (case-insensitive)."""

    def __init__(self, source: LibraryModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._library = source
        self._needle = ""
        self.setSourceModel(source)
        self.setDynamicSortFilter(True)

    def set_filter_text(self, text: str) -> None:
        needle = text.strip().casefold()
        if needle == self._needle:
            return
        self.beginFilterChange()
        self._needle = needle
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filter_text(self) -> str:
        return self._needle

    def filterAcceptsRow(self, source_row: int, source_parent: QModelIndex | QPersistentModelIndex) -> bool:  # noqa: N802
        return not self._needle or self._library.matches(source_row, self._needle)

    def lessThan(self, left: QModelIndex | QPersistentModelIndex,  # noqa: N802 (Qt API)
                 right: QModelIndex | QPersistentModelIndex) -> bool:
        column = left.column()
        return self._library.sort_key(left.row(), column) < self._library.sort_key(right.row(), column)
