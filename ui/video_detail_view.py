"""The video review screen: player, timeline, shot strip, metadata, transcript, on-screen text,
faces, summary and exports.

Runs on the GUI thread's asyncio (qasync) loop. It reaches no database: the controller hands
it a Video, its shots, its transcript (speech segments), its on-screen text (OCR segments),
its face segments and its summary. File work — decoding keyframes and the sprite sheet,
writing exports (`core.export.render`, then the file) — goes through asyncio.to_thread, so the loop
never waits on disk.
"""

from __future__ import annotations

import asyncio
import bisect
from collections.abc import Callable
from pathlib import Path

import structlog
from PySide6.QtCore import QSize, Qt, QUrl, Signal
from PySide6.QtGui import QAction, QDesktopServices, QImage, QKeyEvent, QPixmap
from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from core.export import PersonOnScreen, render
from core.faces import FaceRejection
from core.formatting import format_duration
from core.models import Shot, TextSegment, Video
from core.models.summary import Summary
from ui.faces_widget import FacesWidget
from ui.onscreen_text_widget import OCR_STAGE, OnScreenTextWidget
from ui.player_widget import KEY_HELP, PlayerWidget
from ui.shot_strip_widget import ShotStripWidget
from ui.thumbnails import read_thumbnail
from ui.summary_widget import SummaryWidget
from ui.task_set import TaskSet
from ui.timeline_widget import TimelineLegendWidget, TimelineWidget
from ui.transcript_widget import TranscriptWidget

log = structlog.get_logger(__name__)

# format -> (menu text, file dialog filter, default file name suffix)
EXPORTS: dict[str, tuple[str, str, str]] = {
    "csv": ("Shot list as CSV…", "CSV files (*.csv)", "-shots.csv"),
    "json": ("Shot list as JSON…", "JSON files (*.json)", "-shots.json"),
    "edl": ("Shot list as EDL…", "Edit decision lists (*.edl)", "-shots.edl"),
    "contact-sheet": ("Contact sheet…", "JPEG images (*.jpg *.jpeg)", "-contact-sheet.jpg"),
}
# Listed in the Export menu only while the video has a transcript.
TRANSCRIPT_EXPORTS: dict[str, tuple[str, str, str]] = {
    "srt": ("Transcript as SRT…", "SubRip subtitles (*.srt)", ".srt"),
    "vtt": ("Transcript as VTT…", "WebVTT subtitles (*.vtt)", ".vtt"),
}
# Listed only while the video has a summary (the formats of `vip export`).
SUMMARY_EXPORTS: dict[str, tuple[str, str, str]] = {
    "summary-md": ("Summary as Markdown…", "Markdown (*.md)", "-summary.md"),
    "summary-json": ("Summary as JSON…", "JSON files (*.json)", "-summary.json"),
}
# The video with its markers (cuts, lines, on-screen text, chapters, people) for editing software.
HAND_OFF_EXPORTS: dict[str, tuple[str, str, str]] = {
    "otio": ("Editing software: OpenTimelineIO…", "OpenTimelineIO (*.otio)", ".otio"),
    "fcpxml": ("Final Cut Pro / Resolve (FCPXML)…", "FCPXML (*.fcpxml)", ".fcpxml"),
    "xmeml": ("Premiere Pro (XML)…", "Final Cut Pro 7 XML (*.xml)", ".xml"),
    "resolve-markers": ("Resolve markers (EDL)…", "Edit decision lists (*.edl)", "-markers.edl"),
    "avid-markers": ("Avid markers…", "Text files (*.txt)", "-markers.txt"),
    "youtube-chapters": ("YouTube chapters…", "Text files (*.txt)", "-chapters.txt"),
}
ALL_EXPORTS = {**EXPORTS, **TRANSCRIPT_EXPORTS, **SUMMARY_EXPORTS, **HAND_OFF_EXPORTS}
METADATA_FIELDS = ("Container", "Duration", "Resolution", "Frame rate", "Video codec", "Audio",
                   "Bit rate", "File size", "Rotation", "Shots", "Black frames", "Cloud cost")
THUMB_BATCH = 8


def _size_text(size: int | None) -> str:
    if not size:
        return "—"
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1000
    return "—"


def _bit_rate_text(bit_rate: int | None) -> str:
    if not bit_rate:
        return "—"
    return f"{bit_rate / 1e6:.1f} Mb/s" if bit_rate >= 1e6 else f"{bit_rate / 1e3:.0f} kb/s"


def metadata_rows(video: Video, shots: list[Shot]) -> dict[str, str]:
    """What the metadata panel shows for `video`, field by field."""
    media = video.media
    rows = dict.fromkeys(METADATA_FIELDS, "—")
    rows["File size"] = _size_text(media.size_bytes if media else video.size_bytes)
    rows["Shots"] = str(len(shots)) if shots else "not analysed yet"
    rows["Cloud cost"] = f"${video.cost_usd:.4f}" if video.cost_usd else "none (local models only)"
    if media is None:
        return rows
    rows["Container"] = media.container_label
    rows["Duration"] = format_duration(media.duration_s)
    rows["Resolution"] = media.resolution
    if (media.display_width, media.display_height) != (media.width, media.height):
        rows["Resolution"] += f" (coded {media.width}×{media.height})"
    rows["Frame rate"] = f"{media.fps:.3f}".rstrip("0").rstrip(".") + " fps" if media.fps else "—"
    rows["Video codec"] = media.video_codec or "—"
    if media.has_audio:
        audio = [media.audio_codec or "audio"]
        if media.audio_channels:
            audio.append(f"{media.audio_channels} ch")
        if media.audio_sample_rate:
            audio.append(f"{media.audio_sample_rate / 1000:g} kHz")
        rows["Audio"] = ", ".join(audio)
    else:
        rows["Audio"] = "none"
    rows["Bit rate"] = _bit_rate_text(media.bit_rate)
    rows["Rotation"] = f"{media.rotation}° clockwise" if media.rotation else "none"
    black = video.black_segments
    if black:
        rows["Black frames"] = (f"{len(black)} stretch{'es' if len(black) != 1 else ''}, "
                                f"{sum(s.end_s - s.start_s for s in black):.1f} s")
    else:
        rows["Black frames"] = "none found" if shots else "not analysed yet"
    return rows


def _what_exports(shots: bool, transcript: bool, summary: bool) -> str:
    """The Export button's tooltip: what there is to save."""
    parts = (["the shot list or a contact sheet of the keyframes"] if shots else []) + (
        ["the transcript as subtitles"] if transcript else []) + (["the summary"] if summary else [])
    if not parts:
        return "Nothing to export yet: the shot list comes with the analysis"
    return "Save " + (", ".join(parts[:-1]) + " or " + parts[-1] if len(parts) > 1 else parts[0])


def _read_thumbnails(keyframes: list[tuple[int, str]], size: QSize) -> list[tuple[int, QImage]]:
    """Decode a batch of keyframes (worker thread)."""
    return [(index, read_thumbnail(path, size)) for index, path in keyframes]


class VideoDetailView(QWidget):
    """One video under review; emits `back_requested` when the operator returns to the library."""

    back_requested = Signal()
    # The operator renamed one of this video's speakers in the transcript panel: (video id, label, name).
    speaker_renamed = Signal(str, str, str)
    # "Add shot to selects" (the button, Ctrl+B): the shot under the playhead joins the basket.
    shot_selected = Signal(object, object)  # Video, Shot

    def __init__(self, parent: QWidget | None = None, open_url: Callable[[QUrl], bool] | None = None) -> None:
        """`open_url` opens a folder in the desktop's file manager (QDesktopServices.openUrl)."""
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.open_url: Callable[[QUrl], bool] = open_url or QDesktopServices.openUrl
        self._video: Video | None = None
        self._shots: list[Shot] = []
        self._transcript: list[TextSegment] = []
        self._translation: list[TextSegment] = []
        self._people: list[PersonOnScreen] = []  # who is on screen when (the JSON export carries it)
        self._onscreen: list[TextSegment] = []
        self._faces: list[TextSegment] = []
        self._summary: Summary | None = None
        self._saved: Path | None = None  # the last export written, for "Show in folder"
        self._starts: list[float] = []
        self._tasks = TaskSet(self._failed)
        self._load_task: asyncio.Task[None] | None = None
        self._dialog: QFileDialog | None = None

        self.back_button = QPushButton("← Library")
        self.back_button.setToolTip("Back to the library (Esc)")
        self.back_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.title = QLabel()
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.35)
        font.setBold(True)
        self.title.setFont(font)
        self.folder = QLabel()
        self.folder.setStyleSheet("color: #555;")
        self.notice = QLabel()
        self.notice.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.show_folder_button = QPushButton("Show in folder")
        self.show_folder_button.setToolTip("Open the folder of the file just saved")
        self.show_folder_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.show_folder_button.hide()
        self.select_shot_button = QPushButton("Add shot to selects")
        self.select_shot_button.setToolTip("Put the shot under the playhead in the selects basket (Ctrl+B); "
                                           "Selects… in the toolbar exports the basket for editing software")
        self.select_shot_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.select_shot_button.clicked.connect(self.select_current_shot)
        self.export_button = QToolButton()
        self.export_button.setText("Export…")
        self.export_button.setToolTip("Save the shot list or a contact sheet of the keyframes")
        self.export_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.export_menu = QMenu(self.export_button)
        self.export_actions: dict[str, QAction] = {}
        # Every export is in the menu once; a group the video has nothing for is hidden.
        self._export_groups: list[tuple[QAction | None, list[QAction]]] = []
        for group in (EXPORTS, TRANSCRIPT_EXPORTS, SUMMARY_EXPORTS, HAND_OFF_EXPORTS):
            separator = self.export_menu.addSeparator() if self._export_groups else None
            actions = []
            for fmt, (text, _filter, _suffix) in group.items():
                action = self.export_menu.addAction(text)
                action.triggered.connect(lambda _checked=False, f=fmt: self.choose_export(f))
                self.export_actions[fmt] = action
                actions.append(action)
            self._export_groups.append((separator, actions))
        self.export_button.setMenu(self.export_menu)

        self.player = PlayerWidget()
        self.timeline = TimelineWidget()
        self.legend = TimelineLegendWidget()
        self.strip = ShotStripWidget()
        self.shots_title = QLabel("<b>Shots</b>")
        self.shots_empty = QLabel()
        self.shots_empty.setStyleSheet("color: #555;")
        self.shots_empty.hide()
        self.metadata = QGroupBox()
        self.metadata.setFlat(True)
        form = QFormLayout(self.metadata)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self._fields: dict[str, QLabel] = {}
        for name in METADATA_FIELDS:
            value = QLabel("—")
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setWordWrap(True)
            self._fields[name] = value
            form.addRow(f"{name}:", value)
        keys = QLabel("<b>Keys</b><br>" + KEY_HELP.replace(" · ", "<br>") + "<br>Esc back to the library")
        keys.setStyleSheet("color: #555;")
        keys.setWordWrap(True)

        header = QHBoxLayout()
        header.addWidget(self.back_button)
        header.addSpacing(8)
        header.addWidget(self.title)
        header.addSpacing(8)
        header.addWidget(self.folder, 1)
        header.addWidget(self.notice)
        header.addWidget(self.show_folder_button)
        header.addWidget(self.select_shot_button)
        header.addWidget(self.export_button)
        left = QVBoxLayout()
        left.addWidget(self.player, 1)
        left.addWidget(self.timeline)
        left.addWidget(self.legend)
        details = QVBoxLayout()
        details.setContentsMargins(0, 4, 0, 0)
        details.addWidget(self.metadata)
        details.addWidget(keys)
        details.addStretch(1)
        details_box = QWidget()
        details_box.setLayout(details)
        self.transcript = TranscriptWidget()
        self.side_tabs = QTabWidget()
        self.side_tabs.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.side_tabs.tabBar().setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.side_tabs.addTab(details_box, "Details")
        self.side_tabs.addTab(self.transcript, "Transcript")
        self.faces = FacesWidget()
        self.side_tabs.addTab(self.faces, "Faces")
        self.onscreen = OnScreenTextWidget()
        self.side_tabs.addTab(self.onscreen, "On-screen text")
        self.summary = SummaryWidget()
        self.side_tabs.addTab(self.summary, "Summary")
        # Five tabs with their counts: narrow padding, and wide enough that typical counts fit
        # without the tab bar's scroll arrows.
        self.side_tabs.tabBar().setStyleSheet("QTabBar::tab { padding: 4px 6px; }")
        self.side_tabs.setFixedWidth(410)
        body = QHBoxLayout()
        body.addLayout(left, 1)
        body.addWidget(self.side_tabs)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(header)
        layout.addLayout(body, 1)
        layout.addWidget(self.shots_title)
        layout.addWidget(self.shots_empty)
        layout.addWidget(self.strip)

        self.back_button.clicked.connect(self.go_back)
        self.player.position_changed.connect(self._on_position)
        self.timeline.seek_requested.connect(self.seek_to)
        self.strip.shot_clicked.connect(self._on_shot_clicked)
        self.transcript.seek_requested.connect(self._on_line_clicked)
        self.transcript.speaker_rename_requested.connect(self._on_speaker_renamed)
        self.onscreen.seek_requested.connect(self._on_line_clicked)
        self.show_folder_button.clicked.connect(self.show_in_folder)
        self.faces.seek_requested.connect(self._on_line_clicked)
        self.faces.count_changed.connect(lambda n: self._set_tab_count(self.faces, "Faces", n))
        self.summary.seek_requested.connect(self._on_line_clicked)

    # -- public API ------------------------------------------------------------------------------
    @property
    def video(self) -> Video | None:
        return self._video

    @property
    def shots(self) -> list[Shot]:
        return list(self._shots)

    @property
    def transcript_segments(self) -> list[TextSegment]:
        return list(self._transcript)

    @property
    def face_segments(self) -> list[TextSegment]:
        return list(self._faces)

    @property
    def onscreen_segments(self) -> list[TextSegment]:
        return list(self._onscreen)

    def show_face_marks(self, marks: list[FaceRejection]) -> None:
        """The operator's "Not a face" marks of the open video, as stored."""
        self.faces.set_rejections(marks)

    def show_face_mark(self, mark: FaceRejection, rejected: bool) -> None:
        """Show one face as marked "Not a face" (or not), e.g. after its change could not be saved."""
        if rejected:
            self.faces.add_rejection(mark)
        else:
            self.faces.remove_rejection(mark)

    def set_people(self, people: list[PersonOnScreen]) -> None:
        """The people stage's appearances of the open video, for the JSON export."""
        self._people = list(people)

    def _on_speaker_renamed(self, label: str, name: str) -> None:
        if self._video is not None:
            info = self._video.speakers.setdefault(label, {"name": None, "person_id": None})
            info["name"] = " ".join(name.split()) or None
            self.speaker_renamed.emit(self._video.id, label, name)

    def show_video(self, video: Video, shots: list[Shot], transcript: list[TextSegment] | None = None,
                   faces: list[TextSegment] | None = None, summary: Summary | None = None,
                   onscreen_text: list[TextSegment] | None = None,
                   translation: list[TextSegment] | None = None) -> None:
        """Show `video` paused on its first frame (or keep playing if it is already open).

        `transcript` is the video's speech segments (with their speakers), `translation` its
        translate stage's segments, `faces` its face segments and
        `onscreen_text` its OCR segments (None or empty: the tab says why there are none,
        from the stage's status). Starts a task on the running loop that decodes the
        keyframes, the sprite sheet and the face crops.
        """
        same_file = self._video is not None and (self._video.id, self._video.path) == (video.id, video.path)
        self._video = video
        self._shots = sorted(shots, key=lambda s: s.start_s)
        self._starts = [s.start_s for s in self._shots]
        media = video.media
        start_s = video.origin_s
        self.title.setText(video.name)
        self.title.setToolTip(video.path)
        folder = str(Path(video.path).parent)
        self.folder.setText(self.folder.fontMetrics().elidedText(folder, Qt.TextElideMode.ElideMiddle, 420))
        self.folder.setToolTip(video.path)
        self.notice.clear()
        self.notice.setStyleSheet("")
        self.notice.setToolTip("")
        self.show_folder_button.hide()
        for name, text in metadata_rows(video, self._shots).items():
            self._fields[name].setText(text)
        aspect = media.display_width / media.display_height if media and media.display_height else 16 / 9
        self.timeline.set_video(start_s, media.duration_s if media else 0.0, self._shots,
                                video.black_segments, video.timeline)
        self.strip.set_shots(self._shots, start_s, aspect)
        self._transcript = sorted(transcript or [], key=lambda s: s.start_s)
        self._translation = sorted(translation or [], key=lambda s: s.start_s)
        self._people = []  # set_people follows with this video's
        self.transcript.set_transcript(self._transcript, start_s,
                                       (video.stages.get("speech") or {}).get("status"),
                                       speakers=video.speaker_names(), translation=self._translation)
        self._set_tab_count(self.transcript, "Transcript", len(self._transcript))
        self._onscreen = sorted(onscreen_text or [], key=lambda s: s.start_s)
        self.onscreen.set_segments(self._onscreen, start_s, (video.stages.get(OCR_STAGE) or {}).get("status"))
        self._set_tab_count(self.onscreen, "On-screen text", len(self._onscreen))
        self._faces = list(faces or [])
        appearances = self.faces.set_faces(self._faces, self._shots, start_s,
                                           (video.stages.get("faces") or {}).get("status"))
        self._set_tab_count(self.faces, "Faces", self.faces.shown_count())
        crops = [(i, a.image_path) for i, a in enumerate(appearances) if a.image_path]
        self._summary = summary
        self.summary.set_summary(summary, start_s)
        self.shots_title.setText(f"<b>Shots ({len(self._shots)})</b>" if self._shots else "<b>Shots</b>")
        self.shots_empty.setText("No shots yet: they appear here when the analysis of this video "
                                 "has finished.")
        self.shots_empty.setVisible(not self._shots)
        self.strip.setVisible(bool(self._shots))
        self._show_exports(bool(self._shots), bool(self._transcript), summary is not None)
        if not same_file:
            self.player.load(video.path, start_s, media.fps if media else None,
                             media.duration_s if media else None, media.frame_count if media else None)
        self._on_position(self.player.position_s())
        if self._load_task is not None:
            self._load_task.cancel()
        self._load_task = self._tasks.spawn(self._load_images(video, self._shots, crops))
        self.setFocus()

    def close_video(self) -> None:
        """Stop playback, release the file and stop loading images (reopening loads it again)."""
        self.player.unload()
        self._video = None
        self.timeline.hide_preview()
        if self._load_task is not None:
            self._load_task.cancel()
            self._load_task = None

    def go_back(self) -> None:
        self.close_video()
        self.back_requested.emit()

    def seek_to(self, time_s: float) -> None:
        """Show the frame at media time `time_s` (PTS seconds, as on shots)."""
        self.player.seek(time_s)

    def play_from(self, time_s: float, panel: str | None = None) -> None:
        """Play from media time `time_s` with a side panel in front: "faces", "speech" (the
        transcript) or "text" (on-screen text); another or None leaves the tabs as they are."""
        tab = {"faces": self.faces, "speech": self.transcript, "text": self.onscreen}.get(panel or "")
        if tab is not None:
            self.side_tabs.setCurrentWidget(tab)
        self.seek_to(time_s)
        self.player.play()

    def show_problems(self, problems: list[str]) -> None:
        """Say which parts of the video could not be loaded (the rest is shown)."""
        self.notice.setText("; ".join(problems))

    def current_shot(self) -> int | None:
        """Index of the shot that contains the player's position."""
        return self._shot_index_at(self.player.position_s())

    def select_current_shot(self) -> None:
        """The shot under the playhead into the selects basket (shot_selected)."""
        index = self.current_shot()
        if self._video is not None and index is not None:
            self.shot_selected.emit(self._video, self._shots[index])

    def metadata_text(self) -> dict[str, str]:
        """The metadata panel as the operator reads it: {field: value}."""
        return {name: label.text() for name, label in self._fields.items()}

    def choose_export(self, fmt: str) -> QFileDialog:
        """Ask where to save an export (non-blocking dialog), then write it off the loop."""
        text, name_filter, suffix = ALL_EXPORTS[fmt]
        dialog = QFileDialog(self, text.rstrip("…"))
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilter(name_filter)
        dialog.setDefaultSuffix(suffix.rsplit(".", 1)[-1])
        if self._video is not None:
            video_path = Path(self._video.path)
            dialog.setDirectory(str(video_path.parent))
            dialog.selectFile(video_path.stem + suffix)
        dialog.fileSelected.connect(lambda chosen: self._tasks.spawn(self.export_to(fmt, Path(chosen))))
        dialog.open()
        self._dialog = dialog
        return dialog

    async def export_to(self, fmt: str, path: Path) -> Path:
        """Write the shot list (`csv`, `json`, `edl`), the contact sheet or the transcript (`srt`, `vtt`)."""
        if self._video is None:
            raise RuntimeError("no video is open")
        if fmt not in ALL_EXPORTS:
            raise ValueError(f"unknown export format {fmt!r}")
        if fmt in TRANSCRIPT_EXPORTS and not self._transcript:
            raise RuntimeError("this video has no transcript")
        if fmt in SUMMARY_EXPORTS and self._summary is None:
            raise RuntimeError("this video has no summary yet")
        self.notice.setStyleSheet("")
        self.notice.setText(f"Saving {path.name}…")
        self.show_folder_button.hide()
        try:
            content = await asyncio.to_thread(render, fmt, self._video, list(self._shots),
                                              list(self._transcript), self._summary,
                                              translation=list(self._translation),
                                              track="both" if self._translation else "original",
                                              people=list(self._people), on_screen=list(self._onscreen))
            written = await asyncio.to_thread(_write_file, path, content)
        except Exception as exc:
            self.notice.setStyleSheet("color: #c0392b;")
            self.notice.setText(f"Could not save {path.name}: {exc}")
            raise
        log.info("export_saved", video_id=self._video.id, format=fmt, path=str(written))
        self._saved = written
        self.notice.setText(f"Saved {written.name}")
        self.notice.setToolTip(str(written))
        self.show_folder_button.setToolTip(f"Open {written.parent}")
        self.show_folder_button.show()
        return written

    def saved_folder_url(self) -> QUrl | None:
        """What "Show in folder" opens: the folder of the last export (None before one)."""
        return QUrl.fromLocalFile(str(self._saved.parent)) if self._saved is not None else None

    def show_in_folder(self) -> None:
        """Open the folder of the last export in the desktop's file manager."""
        url = self.saved_folder_url()
        if url is None:
            return
        if not self.open_url(url):
            log.warning("show_in_folder_failed", url=url.toString())
            self.notice.setStyleSheet("color: #c0392b;")
            self.notice.setText(f"Could not open {url.toLocalFile()}")

    # -- keyboard ---------------------------------------------------------------------------
    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt API)
        if event.key() == Qt.Key.Key_Escape or (
                event.key() == Qt.Key.Key_Left and event.modifiers() == Qt.KeyboardModifier.AltModifier):
            self.go_back()
        elif event.key() == Qt.Key.Key_B and event.modifiers() == Qt.KeyboardModifier.ControlModifier:
            self.select_current_shot()
        elif not self.player.handle_key(event):
            super().keyPressEvent(event)

    # -- internals --------------------------------------------------------------------------
    def _shot_index_at(self, media_s: float) -> int | None:
        if not self._shots:
            return None
        i = bisect.bisect_right(self._starts, media_s + 1e-6) - 1
        return max(0, i) if media_s >= self._shots[0].start_s - 1e-3 else None

    def _on_position(self, media_s: float) -> None:
        self.timeline.set_position(media_s)
        self.strip.highlight(self._shot_index_at(media_s))
        self.transcript.set_position(media_s)
        self.onscreen.set_position(media_s)

    def _on_shot_clicked(self, index: int) -> None:
        if 0 <= index < len(self._shots):
            self.seek_to(self._shots[index].start_s)
            self.setFocus()

    def _set_tab_count(self, tab: QWidget, name: str, count: int) -> None:
        self.side_tabs.setTabText(self.side_tabs.indexOf(tab), f"{name} ({count})" if count else name)

    def _show_exports(self, shots: bool, transcript: bool, summary: bool) -> None:
        """List in the Export menu what the video has: the shot list (greyed out until the shots
        are in), the transcript as subtitles, the summary, the hand-off to editing software (once
        the shots are in)."""
        for fmt in EXPORTS:
            self.export_actions[fmt].setEnabled(shots)
        for (separator, actions), shown in zip(self._export_groups[1:], (transcript, summary, shots)):
            for action in [separator, *actions]:
                if action is not None:
                    action.setVisible(shown)
        self.export_button.setEnabled(shots or transcript or summary)
        self.export_button.setToolTip(_what_exports(shots, transcript, summary))

    def export_menu_texts(self) -> list[str]:
        """The Export menu's entries as the operator sees them (visible ones; separators as "—")."""
        return ["—" if a.isSeparator() else a.text() for a in self.export_menu.actions() if a.isVisible()]

    def _on_line_clicked(self, start_s: float) -> None:
        self.seek_to(start_s)
        self.setFocus()

    async def _load_images(self, video: Video, shots: list[Shot], crops: list[tuple[int, str]]) -> None:
        """Decode the sprite sheet, keyframes and face crops on worker threads; show them as they come."""
        if video.timeline and video.timeline.sprite_path:
            sprite = await asyncio.to_thread(QImage, video.timeline.sprite_path)
            if not sprite.isNull():
                self.timeline.set_sprite(QPixmap.fromImage(sprite))
            else:
                log.warning("sprite_unreadable", path=video.timeline.sprite_path)
        size: QSize = self.strip.iconSize()
        todo = [(i, s.keyframe_path) for i, s in enumerate(shots) if s.keyframe_path]
        for first in range(0, len(todo), THUMB_BATCH):
            images = await asyncio.to_thread(_read_thumbnails, todo[first:first + THUMB_BATCH], size)
            for index, image in images:
                self.strip.set_thumbnail(index, image)
        size = self.faces.grid.iconSize()
        for first in range(0, len(crops), THUMB_BATCH):
            images = await asyncio.to_thread(_read_thumbnails, crops[first:first + THUMB_BATCH], size)
            for index, image in images:
                self.faces.set_thumbnail(index, image)

    def _failed(self, exc: BaseException) -> None:
        log.warning("detail_view_task_failed", error=str(exc), exc_info=exc)
        if not self.notice.text().startswith("Could not"):
            self.notice.setStyleSheet("color: #c0392b;")
            self.notice.setText(str(exc))


def _write_file(path: Path, content: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path
