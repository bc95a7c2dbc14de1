"""The main window: projects sidebar, video library, jobs panel, search, status bar."""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QToolBar,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from core.media.formats import VIDEO_EXTENSIONS
from ui.jobs_widget import JobsWidget
from ui.library_widget import LibraryWidget
from ui.search import SearchWidget

if TYPE_CHECKING:
    from core.models import Project
    from ui.people_view import PeopleView
    from ui.video_detail_view import VideoDetailView

FOCUS_RING_STYLE = """
QPushButton:focus, QToolButton:focus { border: 2px solid palette(highlight); border-radius: 4px;
    padding: 3px 10px; background: palette(button); }
QLineEdit:focus, QComboBox:focus, QAbstractSpinBox:focus { border: 2px solid palette(highlight);
    border-radius: 3px; padding: 1px 3px; }
"""
VIDEO_FILTER = "Videos (" + " ".join(f"*{e}" for e in sorted(VIDEO_EXTENSIONS)) + ");;All files (*)"


class ProjectsWidget(QWidget):
    """Sidebar listing projects; emits selections through `project_selected`."""

    project_selected = Signal(str)  # project id

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        title = QLabel("<b>Projects</b>")
        self.list = QListWidget()
        self.new_button = QPushButton("New project…")
        layout.addWidget(title)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.new_button)
        self.list.currentItemChanged.connect(self._on_current)

    def set_projects(self, projects: list[Project], current_id: str | None) -> None:
        self.list.blockSignals(True)
        self.list.clear()
        for project in projects:
            item = QListWidgetItem(project.name)
            item.setData(Qt.ItemDataRole.UserRole, project.id)
            self.list.addItem(item)
            if project.id == current_id:
                self.list.setCurrentItem(item)
        self.list.blockSignals(False)

    def names(self) -> list[str]:
        """The projects' names, in the list's order."""
        return [self.list.item(i).text() for i in range(self.list.count())]

    def _on_current(self, item: QListWidgetItem | None, _previous: QListWidgetItem | None) -> None:
        if item is not None:
            self.project_selected.emit(item.data(Qt.ItemDataRole.UserRole))


class MainView(QMainWindow):
    """Widgets only; MainController decides what they show and what their actions do."""

    closed = Signal()  # the window was closed: the session ends (app.gui_session)
    video_activated = Signal(str)  # video id: double-click or Enter on a library row

    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle("VIP Desktop")
        self.resize(1280, 800)
        # Closing the window ends the session (app.gui_session connects `closed`); no asyncio
        # here: this module is imported before the window's first paint (start-up time).
        self.was_closed = False
        self.projects = ProjectsWidget()
        self.library = LibraryWidget()
        self.jobs = JobsWidget()
        self.library_title = QLabel("<b>Library</b>")
        self.empty_hint = QLabel("Drop video files or folders here, or use Import files / Import folder.")
        self.empty_hint.setStyleSheet("color: palette(mid);")

        center = QWidget()
        center_layout = QVBoxLayout(center)
        center_layout.setContentsMargins(6, 6, 6, 6)
        title_row = QHBoxLayout()  # the title, then the count, filter box and List/Grid toggle
        title_row.addWidget(self.library_title, 1)
        title_row.addWidget(self.library.controls)
        center_layout.addLayout(title_row)
        center_layout.addWidget(self.empty_hint)
        center_layout.addWidget(self.library, 1)
        center_layout.addWidget(self.library.grid, 1)  # shown instead of the list by the Grid toggle
        jobs_box = QWidget()
        jobs_layout = QVBoxLayout(jobs_box)
        jobs_layout.setContentsMargins(6, 0, 6, 6)
        jobs_layout.addWidget(QLabel("<b>Jobs</b>"))
        jobs_layout.addWidget(self.jobs, 1)
        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(center)
        right.addWidget(jobs_box)
        right.setSizes([580, 180])  # 15 library rows at 1280×800; the jobs panel below scrolls
        # The library + jobs page, the search results and the video review page share the
        # space right of projects. The review page (player, QtMultimedia) is built on first use.
        self._detail: VideoDetailView | None = None
        self.people_page: PeopleView | None = None
        self._back_to_people = False  # the review screen was opened from the People page
        self.search = SearchWidget()
        self.library_page = right
        self.pages = QStackedWidget()
        self.pages.addWidget(self.library_page)
        self.pages.addWidget(self.search)
        self.library.activated.connect(self._on_library_activated)
        main = QSplitter(Qt.Orientation.Horizontal)
        main.addWidget(self.projects)
        main.addWidget(self.pages)
        main.setSizes([220, 1060])
        self.setCentralWidget(main)

        self.quit_action = QAction("Quit", self)
        self.quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        self.quit_action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        self.quit_action.triggered.connect(self.close)
        self.addAction(self.quit_action)  # the shortcut works without the menu bar (e.g. full screen)

        toolbar = QToolBar("Main")
        toolbar.setMovable(False)
        self.addToolBar(toolbar)
        self.import_files_action = QAction("Import files…", self)
        self.import_files_action.setShortcut(QKeySequence.StandardKey.Open)
        self.import_folder_action = QAction("Import folder…", self)
        self.import_samples_action = QAction("Add sample videos", self)
        for action in (self.import_files_action, self.import_folder_action, self.import_samples_action):
            toolbar.addAction(action)
        toolbar.addSeparator()
        # The People page (ui/people_view.py): the controller adds it with add_people_page.
        self.people_action = QAction("People", self)
        self.people_action.setShortcut(QKeySequence("Ctrl+Shift+P"))
        self.people_action.setToolTip("Everyone the People stage found across the library: name, merge, split")
        toolbar.addAction(self.people_action)
        toolbar.addSeparator()
        self.providers_action = QAction("Providers…", self)
        self.providers_action.setToolTip("API keys, which provider does each analysis step, the project's budget")
        self.costs_action = QAction("Costs…", self)
        self.costs_action.setToolTip("What cloud providers cost, per project, provider and day")
        toolbar.addAction(self.providers_action)
        toolbar.addAction(self.costs_action)
        # -- the selects basket (ui/selects_view.py) --
        self.selects_action = QAction("Selects…", self)
        self.selects_action.setToolTip("Search hits and shots picked with Ctrl+B, exported as a timeline for "
                                       "editing software")
        toolbar.addAction(self.selects_action)
        # -- the REST API page (ui/api_view.py) --
        self.api_action = QAction("REST API…", self)
        self.api_action.setToolTip("Start or stop the local REST API (as vip serve) while the app is open")
        # -- the watch folders page (ui/watch_view.py) --
        self.watch_action = QAction("Watch folders…", self)
        self.watch_action.setToolTip("Folders whose new video files are analysed on their own")
        # -- the analysis profile page (ui/profile_view.py) --
        self.profile_action = QAction("Analysis profile…", self)
        self.profile_action.setToolTip("Which analysis stages this project's jobs run; the translation's language")
        toolbar.addAction(self.profile_action)
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        toolbar.addWidget(spacer)
        toolbar.addWidget(self.search.box)
        self.find_action = QAction("Search", self)
        self.find_action.setShortcut(QKeySequence.StandardKey.Find)
        # Ctrl+F works from any window of the app (a Costs or Providers window, or after a file
        # dialog took the focus) and brings the main window forward.
        self.find_action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        self.find_action.triggered.connect(self.focus_search)
        self.addAction(self.find_action)
        self._build_menus()
        # A visible focus ring for the keyboard (Fusion's own is a faint outline). A style sheet,
        # not a QFocusFrame subclass: one of those crashed the interpreter when the garbage
        # collector deleted a window it followed. It cascades to the dialogs this window owns.
        self.setStyleSheet(FOCUS_RING_STYLE)

        self.db_label = QLabel("Database: connecting…")
        self.workers_label = QLabel("Workers: starting…")
        self.progress_bar = QProgressBar()  # long start-up work (a storage upgrade); hidden otherwise
        self.progress_bar.setMaximumWidth(260)
        self.progress_bar.hide()
        self.statusBar().addPermanentWidget(self.progress_bar)
        self.statusBar().addPermanentWidget(self.db_label)
        self.statusBar().addPermanentWidget(self.workers_label)

    def _build_menus(self) -> None:
        """File (imports, Quit), Tools (Providers, Costs, Analysis profile) and Go (Search) menus: every toolbar
        action has a menu entry with its shortcut, so the keyboard reaches all of them."""
        menus = self.menuBar()
        file_menu = menus.addMenu("&File")
        for action in (self.import_files_action, self.import_folder_action, self.import_samples_action):
            file_menu.addAction(action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        tools = menus.addMenu("&Tools")
        tools.addAction(self.providers_action)
        tools.addAction(self.costs_action)
        tools.addAction(self.profile_action)
        tools.addAction(self.watch_action)
        tools.addAction(self.api_action)
        go = menus.addMenu("&Go")
        go.addAction(self.find_action)
        go.addAction(self.people_action)

    def focus_search(self) -> None:
        """Ctrl+F: the main window comes forward with the keyboard in the search box."""
        self.raise_()
        self.activateWindow()
        self.search.focus_box()

    @property
    def detail(self) -> VideoDetailView:
        """The video review page, built on first use: the window shows without waiting for
        QtMultimedia and its FFmpeg plugin (start-up time)."""
        if self._detail is None:
            from ui.video_detail_view import VideoDetailView

            self._detail = VideoDetailView()
            self.pages.addWidget(self._detail)
        return self._detail

    def close_media(self) -> None:
        """Stop the player and release its file (queued; see ui.player_widget)."""
        if self._detail is not None:
            self._detail.close_video()

    def media_released(self) -> bool:
        """True when the player holds no file and no decoder thread (safe to tear down)."""
        return self._detail is None or self._detail.player.is_unloaded()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt API)
        self.close_media()
        self.was_closed = True
        self.closed.emit()
        event.accept()

    # -- pages: the library, or one video under review --------------------------------------
    def _on_library_activated(self, index: QModelIndex) -> None:
        video_id = self.library.video_id_at(index)
        if video_id:
            self.video_activated.emit(video_id)

    def add_people_page(self, page: PeopleView) -> None:
        """Add the People page beside the others (the controller builds it over its service)."""
        self.people_page = page
        self.pages.addWidget(page)

    def show_people(self) -> None:
        if self.people_page is not None:
            self.pages.setCurrentWidget(self.people_page)
            self.people_page.cards.setFocus()

    def showing_people(self) -> bool:
        return self.people_page is not None and self.pages.currentWidget() is self.people_page

    def show_detail(self) -> None:
        self._back_to_people = self.showing_people() or (self.showing_detail() and self._back_to_people)
        if self._back_to_people:
            self.detail.back_button.setText("← People")
            self.detail.back_button.setToolTip("Back to the People page (Esc)")
            self.pages.setCurrentWidget(self.detail)
            self.detail.setFocus()
            return
        to_results = bool(self.search.query())  # where leave_detail() goes
        self.detail.back_button.setText("← Results" if to_results else "← Library")
        self.detail.back_button.setToolTip("Back to the search results (Esc)" if to_results
                                           else "Back to the library (Esc)")
        self.pages.setCurrentWidget(self.detail)
        self.detail.setFocus()

    def show_library(self) -> None:
        self.pages.setCurrentWidget(self.library_page)
        self.library.focus_view()

    def show_search(self) -> None:
        """Show the search results (the query box keeps the keyboard)."""
        self.pages.setCurrentWidget(self.search)

    def leave_detail(self) -> None:
        """Back from the review screen: to the People page when it came from there, to the search
        results while there is a query, else the library."""
        if self._back_to_people:
            self._back_to_people = False
            self.show_people()
        elif self.search.query():
            self.show_search()
            self.search.list.setFocus()
        else:
            self.show_library()

    def showing_detail(self) -> bool:
        return self._detail is not None and self.pages.currentWidget() is self._detail

    def reviewing(self, video_id: str) -> bool:
        """True when the review screen is shown with `video_id` on it."""
        return self.showing_detail() and self.detail.video is not None and self.detail.video.id == video_id

    def show_library_title(self, project_name: str) -> None:
        """Title the library with the project's name and how to open a video."""
        self.library_title.setText(f"<b>Library — {html.escape(project_name)}</b>&nbsp;&nbsp;"
                                   "<span style='color:#666'>double-click a video (or press Enter) to review it</span>")

    def show_library_empty(self, empty: bool) -> None:
        """Offer the ways to add videos while the project shown has none."""
        self.empty_hint.setVisible(empty)

    def show_status(self, database: str, workers: str | None = None) -> None:
        """The status bar's database line, and its workers line when given."""
        self.db_label.setText(f"Database: {database}")
        if workers is not None:
            self.workers_label.setText(workers)

    def show_selects_count(self, count: int) -> None:
        """How many picks the selects basket holds, on its menu entry."""
        self.selects_action.setText(f"Selects ({count})…" if count else "Selects…")

    def showing_search(self) -> bool:
        return self.pages.currentWidget() is self.search

    # -- dialogs (non-blocking: the asyncio loop keeps running) ----------------------------
    def _file_dialog(self, title: str) -> QFileDialog:
        """A file dialog in detail view, large enough that names, sizes, types and dates read whole."""
        dialog = QFileDialog(self, title)
        dialog.setViewMode(QFileDialog.ViewMode.Detail)
        dialog.resize(min(1000, self.width() - 40), min(600, self.height() - 60))
        for tree in dialog.findChildren(QTreeView):  # Qt's own dialog (no native one on this desktop)
            header = tree.header()
            header.setStretchLastSection(False)
            header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
            for column in range(1, header.count()):
                header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        return dialog

    def choose_files(self, on_chosen: Callable[[list[Path]], None]) -> QFileDialog:
        dialog = self._file_dialog("Import video files")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
        dialog.setNameFilter(VIDEO_FILTER)
        dialog.filesSelected.connect(lambda files: on_chosen([Path(f) for f in files]))
        dialog.open()
        return dialog

    def choose_folder(self, on_chosen: Callable[[list[Path]], None]) -> QFileDialog:
        dialog = self._file_dialog("Import a folder of videos (searched recursively)")
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
        dialog.fileSelected.connect(lambda folder: on_chosen([Path(folder)]))
        dialog.open()
        return dialog

    def ask_project_name(self, on_named: Callable[[str], None]) -> QInputDialog:
        dialog = QInputDialog(self)
        dialog.setWindowTitle("New project")
        dialog.setLabelText("Project name:")
        dialog.textValueSelected.connect(on_named)
        dialog.open()
        return dialog

    def offer_samples(self, on_accept: Callable[[], None]) -> QMessageBox:
        box = QMessageBox(self)
        box.setWindowTitle("Your library is empty")
        box.setText("Import three short generated sample videos to see the whole flow — "
                    "import, analysis with live progress, posters and metadata — in under a minute?")
        box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
        box.button(QMessageBox.StandardButton.Yes).setText("Import samples")
        box.button(QMessageBox.StandardButton.No).setText("Not now")
        yes = box.button(QMessageBox.StandardButton.Yes)
        box.buttonClicked.connect(lambda button: on_accept() if button is yes else None)
        box.open()
        return box

    def confirm_remove(self, names: list[str], on_confirmed: Callable[[], None]) -> QMessageBox:
        """Ask before taking videos out of the library (their files stay on disk)."""
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Remove from library")
        what = f"“{names[0]}”" if len(names) == 1 else f"{len(names)} videos"
        box.setText(f"Remove {what} from the library?")
        box.setInformativeText("Its analysis (shots, transcript, text, faces, search entries) is deleted, "
                               "and this cannot be undone. The video file itself stays where it is: "
                               "import it again to analyse it anew.")
        box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel)
        box.button(QMessageBox.StandardButton.Yes).setText("Remove")
        yes = box.button(QMessageBox.StandardButton.Yes)
        box.buttonClicked.connect(lambda button: on_confirmed() if button is yes else None)
        box.open()
        return box

    def confirm_over_budget(self, estimate_text: str, on_queue: Callable[[], None],
                            on_cancel: Callable[[], None]) -> QMessageBox:
        """Ask before queueing a batch whose estimated cloud cost would exceed the project's budget."""
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("Over budget")
        box.setText("Analysing these videos would take the project over its budget.")
        box.setInformativeText(estimate_text + "\n\nQueue the analysis anyway? Paid calls stop when the "
                               "budget is reached (raise it on the Providers page). With Cancel the "
                               "videos stay in the library, not analysed.")
        box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel)
        box.button(QMessageBox.StandardButton.Yes).setText("Queue anyway")
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        yes = box.button(QMessageBox.StandardButton.Yes)
        box.buttonClicked.connect(lambda button: on_queue() if button is yes else on_cancel())
        box.open()
        return box

    def show_progress(self, text: str, done: int, total: int) -> None:
        """Start-up work the operator waits for: `text` in the status bar and a bar (busy when
        `total` is 0); `done` < 0 ends it, leaving `text` for a few seconds."""
        if done < 0:
            self.progress_bar.hide()
            self.statusBar().showMessage(text, 8000)
            return
        self.statusBar().showMessage(text)
        self.progress_bar.setRange(0, max(total, 0))
        if total > 0:
            self.progress_bar.setValue(done)
            self.progress_bar.setFormat("%v of %m videos")
        self.progress_bar.show()

    def show_error(self, title: str, text: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, self)
        box.open()
