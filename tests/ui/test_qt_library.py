"""The library as an operator uses it: sort by a column, filter, switch to the poster grid,
read why a video failed. Drives the real widgets inside the real MainView."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QImage

from core.models import MediaInfo, Video, VideoStatus
from ui.main_view import MainView

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def make_video(name: str, duration_s: float, size_bytes: int, codec: str = "h264", *, days_ago: int = 0,
               folder: str = "/videos", width: int = 1920, height: int = 1080) -> Video:
    media = MediaInfo(container="mov,mp4,m4a", duration_s=duration_s, start_s=0.0, fps=25.0, width=width,
                      height=height, rotation=0, display_width=width, display_height=height,
                      video_codec=codec, has_audio=True, audio_codec="aac", audio_channels=2,
                      audio_sample_rate=48000, bit_rate=None, frame_count=None, size_bytes=size_bytes)
    return Video(project_id="p1", path=f"{folder}/{name}", fingerprint=name, size_bytes=size_bytes,
                 status=VideoStatus.READY, media=media, poster_path=f"/posters/{name}.jpg",
                 imported_at=T0 - timedelta(days=days_ago))


def failed_text_file() -> Video:
    path = "/videos/notes.txt"
    return Video(project_id="p1", path=path, fingerprint="notes", size_bytes=2300, status=VideoStatus.FAILED,
                 stages={"probe": {"status": "failed", "version": 1}},
                 error=f"{path}: not a readable video: FFmpeg found no valid media data (Invalid data found "
                       "when processing input) — the file may be damaged, incomplete or not a video; "
                       "copy or export it again",
                 imported_at=T0 - timedelta(days=9))


@pytest.fixture
def videos() -> list[Video]:
    # Text order and real order differ: "1:02:05" < "1:05" < "10:00" < "0:09" as text.
    return [
        make_video("river.mp4", 600, 210_000_000, "hevc", days_ago=3),
        make_video("board meeting.mp4", 3725, 4_500_000_000, "h264", days_ago=1, folder="/videos/Meetings"),
        make_video("Drone lake.mkv", 65, 5_200_000, "vp9", days_ago=7),
        make_video("kitchen demo.mp4", 9, 950_000, "HEVC", days_ago=5),
        make_video("snow.webm", 140, 168_000_000, "vp9", days_ago=2),
    ]


def shown_names(view: MainView) -> list[str]:
    """The names in the list, top to bottom, as painted (the view's own model)."""
    model = view.library.model()
    return [model.index(row, 0).data() for row in range(model.rowCount())]


def click_header(qtbot: Any, view: MainView, title: str) -> None:
    header = view.library.horizontalHeader()
    column = [view.library.model().headerData(c, Qt.Orientation.Horizontal)
              for c in range(header.count())].index(title)
    x = header.sectionViewportPosition(column) + header.sectionSize(column) // 2
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, header.height() // 2))


def test_clicking_a_column_header_sorts_by_the_real_value(qtbot: Any, window: MainView, videos: list[Video]) -> None:
    window.library.set_videos(videos)
    assert shown_names(window) == [v.name for v in videos]  # the order they were added

    click_header(qtbot, window, "Duration")
    assert shown_names(window) == ["kitchen demo.mp4", "Drone lake.mkv", "snow.webm", "river.mp4",
                                   "board meeting.mp4"]
    assert [window.library.row_text(v)["Duration"] for v in window.library.video_ids()] == [
        "0:09", "1:05", "2:20", "10:00", "1:02:05"]
    click_header(qtbot, window, "Duration")  # again: longest first
    assert shown_names(window)[0] == "board meeting.mp4" and shown_names(window)[-1] == "kitchen demo.mp4"

    click_header(qtbot, window, "Size")  # bytes, not "950 KB" < "4.5 GB" < "5.2 MB" as text
    assert [window.library.row_text(v)["Size"] for v in window.library.video_ids()] == [
        "950 KB", "5.2 MB", "168 MB", "210 MB", "4.5 GB"]

    click_header(qtbot, window, "Imported")  # newest first
    assert shown_names(window) == ["board meeting.mp4", "snow.webm", "river.mp4", "kitchen demo.mp4",
                                   "Drone lake.mkv"]

    click_header(qtbot, window, "Name")  # case-insensitive
    assert shown_names(window) == ["board meeting.mp4", "Drone lake.mkv", "kitchen demo.mp4", "river.mp4",
                                   "snow.webm"]

    # A video that changes keeps the list sorted: the river becomes the shortest once probed again.
    click_header(qtbot, window, "Duration")
    river = videos[0]
    assert river.media is not None
    river.media.duration_s = 3
    window.library.show_video(river)
    assert shown_names(window)[0] == "river.mp4"


def test_typing_in_the_filter_box_leaves_the_matching_videos(qtbot: Any, window: MainView,
                                                             videos: list[Video]) -> None:
    library = window.library
    library.set_videos(videos)
    assert library.count_label.text() == "5 videos"

    qtbot.keyClicks(library.filter_box, "hevc")  # the codec, whatever its case
    assert shown_names(window) == ["river.mp4", "kitchen demo.mp4"]
    assert library.count_label.text() == "2 of 5 videos"

    library.filter_box.clear()
    qtbot.keyClicks(library.filter_box, "DRONE")  # the name
    assert shown_names(window) == ["Drone lake.mkv"]

    library.filter_box.clear()
    qtbot.keyClicks(library.filter_box, "meetings/")  # the folder
    assert shown_names(window) == ["board meeting.mp4"]

    library.filter_box.clear()
    qtbot.keyClicks(library.filter_box, "no such thing")
    assert shown_names(window) == [] and library.count_label.text() == "0 of 5 videos"

    library.filter_box.clear()
    assert len(shown_names(window)) == 5 and library.count_label.text() == "5 videos"


def test_the_grid_toggle_shows_the_videos_as_posters(qtbot: Any, window: MainView, videos: list[Video]) -> None:
    library = window.library
    asked: list[str] = []

    def load(video_ids: list[str]) -> None:
        asked.extend(video_ids)
        for video_id in video_ids:
            image = QImage(320, 180, QImage.Format.Format_RGB32)
            image.fill(QColor("#3366aa"))
            library.set_poster(video_id, image)

    library.posters_wanted.connect(load)
    library.set_videos(videos)
    opened: list[str] = []
    window.video_activated.connect(opened.append)
    removed: list[list[str]] = []
    library.remove_requested.connect(removed.append)
    assert library.isVisible() and not library.grid.isVisible()

    qtbot.mouseClick(library.grid_button, Qt.MouseButton.LeftButton)
    grid = library.grid
    assert grid.isVisible() and not library.isVisible() and library.grid_button.isChecked()
    qtbot.waitUntil(lambda: len(asked) == len(videos))
    tiles = [grid.visualRect(grid.model().index(row, 0)) for row in range(grid.model().rowCount())]
    assert len(tiles) == 5 and all(grid.viewport().rect().contains(tile) for tile in tiles)
    assert len({tile.y() for tile in tiles}) == 1  # one row of posters side by side
    assert [grid.model().index(row, 0).data() for row in range(5)] == [v.name for v in videos]
    assert all(library.has_poster(v.id) for v in videos)
    assert tiles[0].width() > 150 and tiles[0].height() > 130  # posters, not icons

    # The grid is sorted and filtered like the list.
    qtbot.keyClicks(library.filter_box, "vp9")
    assert [grid.model().index(row, 0).data() for row in range(grid.model().rowCount())] == [
        "Drone lake.mkv", "snow.webm"]
    library.filter_box.clear()

    # Click a poster, press Delete: that video is asked to be removed. Double-click opens it.
    snow = tiles[4].center()
    qtbot.mouseClick(grid.viewport(), Qt.MouseButton.LeftButton, pos=snow)
    qtbot.keyClick(grid, Qt.Key.Key_Delete)
    assert removed == [[videos[4].id]]
    qtbot.mouseDClick(grid.viewport(), Qt.MouseButton.LeftButton, pos=snow)
    assert opened == [videos[4].id]

    # Back to the list: the selection made in the grid is still there.
    qtbot.mouseClick(library.list_button, Qt.MouseButton.LeftButton)
    assert library.isVisible() and not grid.isVisible()
    assert library.selected_ids() == [videos[4].id]


def test_a_failed_video_says_why(qtbot: Any, window: MainView, videos: list[Video]) -> None:
    library = window.library
    failed = failed_text_file()
    no_reason = Video(project_id="p1", path="/videos/old.mp4", fingerprint="old", size_bytes=10,
                      status=VideoStatus.FAILED)
    library.set_videos([*videos, failed, no_reason])

    status = library.row_text(failed.id)["Status"]
    assert status.startswith("Failed — probe: not a readable video: FFmpeg found no valid media data")
    assert "/videos/notes.txt" not in status  # the row already names the file
    tooltip = library.row_tooltip(failed.id, "Status")
    assert tooltip.startswith("Analysis failed in the probe stage:\n/videos/notes.txt: not a readable video")
    assert tooltip.endswith("copy or export it again")
    assert "probe stage" in library.row_tooltip(failed.id, "Name")  # hovering the name says it too
    assert library.row_text(failed.id)["Duration"] == "—" and library.row_text(failed.id)["Size"] == "2.3 KB"
    assert library.row_text(no_reason.id)["Status"] == "Failed"
    assert library.row_text(videos[0].id)["Status"] == "Ready"

    # Sorting by status puts the failed videos first.
    click_header(qtbot, window, "Status")
    assert sorted(shown_names(window)[:2]) == ["notes.txt", "old.mp4"]


def test_posters_are_asked_for_only_when_their_row_is_on_screen(qtbot: Any, window: MainView) -> None:
    library = window.library
    asked: list[str] = []
    library.posters_wanted.connect(asked.extend)
    many = [make_video(f"clip {i:04d}.mp4", 30 + i, 1_000_000 + i, days_ago=i) for i in range(2000)]
    library.set_videos(many)
    qtbot.waitUntil(lambda: len(asked) > 0)
    on_screen = library.viewport().height() // library.verticalHeader().defaultSectionSize() + 1
    assert on_screen >= 15  # at least 15 rows at 1280×800
    assert 15 <= len(asked) <= on_screen + 1
    assert asked == [v.id for v in many[:len(asked)]]  # the top rows

    library.scrollToBottom()
    qtbot.waitUntil(lambda: many[-1].id in asked)
    assert len(asked) <= 2 * (on_screen + 1)  # not the 2,000 in between

    # A poster that arrives is shown; one that cannot be read is not asked for again.
    image = QImage(64, 36, QImage.Format.Format_RGB32)
    image.fill(QColor("#aa3333"))
    library.set_poster(many[-1].id, image)
    library.set_poster(many[-2].id, QImage())
    assert library.has_poster(many[-1].id) and not library.has_poster(many[-2].id)
    before = len(asked)
    library.viewport().update()
    qtbot.wait(50)
    assert many[-2].id not in asked[before:]
