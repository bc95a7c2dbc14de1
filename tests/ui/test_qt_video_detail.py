"""The video review screen as an operator uses it: play, jump to shots, step frames, export.

No database: the Video, its shots and its timeline are built here around a real clip made
with ffmpeg (three visually different 2 s scenes, 320×240, 25 fps, h264), real keyframe
JPEGs and a real sprite sheet.

The scenarios run inside the qasync loop (the view decodes images with asyncio.to_thread),
so they wait with an async `wait_until` rather than qtbot.waitUntil, whose nested Qt event
loop would re-enter asyncio tasks.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from PySide6.QtCore import QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QLineEdit

from core.export import parse_edl
from core.models import MediaInfo, Segment, Shot, Timeline, Video, VideoStatus
from core.models.summary import LOCAL, Chapter, Summary
from tests.ui.waiting import wait_until
from core.services import ClientServices
from ui.main_controller import ControllerConfig, MainController
from ui.main_view import MainView
from ui.video_detail_view import VideoDetailView

FPS = 25
SCENES = ("testsrc2", "smptebars", "mandelbrot")  # 2 s each


@dataclass
class Clip:
    video: Video
    shots: list[Shot]


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", *args], check=True)


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Clip:
    if shutil.which("ffmpeg") is None:
        pytest.fail("ffmpeg is required for the tests: run `bash scripts/setup.sh`")
    folder = tmp_path_factory.mktemp("clip")
    path = folder / "three scenes.mp4"
    inputs: list[str] = []
    for source in SCENES:
        inputs += ["-f", "lavfi", "-i", f"{source}=size=320x240:rate={FPS}"]
    _ffmpeg(*inputs, "-filter_complex",
            "[0:v]trim=duration=2[a];[1:v]trim=duration=2[b];[2:v]trim=duration=2[c];"
            "[a][b][c]concat=n=3:v=1[v]", "-map", "[v]", "-t", "6",
            "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-pix_fmt", "yuv420p", str(path))
    shots = []
    for i, transition in enumerate(("start", "cut", "fade")):
        keyframe = folder / f"shot{i + 1}.jpg"
        _ffmpeg("-ss", f"{i * 2 + 1}", "-i", str(path), "-frames:v", "1", str(keyframe))
        shots.append(Shot(video_id="v1", index=i, start_s=2.0 * i, end_s=2.0 * (i + 1),
                          start_frame=i * 2 * FPS, end_frame=(i + 1) * 2 * FPS,
                          transition=transition, keyframe_path=str(keyframe),
                          keyframe_s=2.0 * i + 1, mean_rgb=[90, 90, 90]))
    sprite = folder / "sprite.jpg"  # one 80×60 tile per second, 3 columns × 2 rows
    _ffmpeg("-i", str(path), "-vf", "fps=1,scale=80:60,tile=3x2", "-frames:v", "1", str(sprite))
    size = path.stat().st_size
    media = MediaInfo(container="mp4", duration_s=6.0, start_s=0.0, fps=float(FPS), width=320,
                      height=240, rotation=0, display_width=320, display_height=240,
                      video_codec="h264", has_audio=False, audio_codec=None, audio_channels=None,
                      audio_sample_rate=None, bit_rate=size * 8 // 6, frame_count=6 * FPS,
                      size_bytes=size)
    video = Video(project_id="p1", path=str(path), fingerprint="f", size_bytes=size, id="v1",
                  status=VideoStatus.READY, media=media,
                  timeline=Timeline(sprite_path=str(sprite), interval_s=1.0, columns=3, rows=2,
                                    tile_width=80, tile_height=60, count=6),
                  black_segments=[Segment(5.5, 6.0)])
    return Clip(video, shots)


def near(value: float | None, expected: float, tolerance: float) -> bool:
    return value is not None and abs(value - expected) <= tolerance


def hover(widget: Any, x: int) -> None:
    point = QPointF(x, widget.height() / 2)
    event = QMouseEvent(QMouseEvent.Type.MouseMove, point, widget.mapToGlobal(point),
                        Qt.MouseButton.NoButton, Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, event)


def test_review_a_video(qloop: asyncio.AbstractEventLoop, qtbot: Any, clip: Clip, tmp_path: Path) -> None:
    view = VideoDetailView()
    qtbot.addWidget(view)
    view.resize(1280, 800)
    view.show()
    player = view.player

    async def scenario() -> None:
        view.show_video(clip.video, clip.shots)
        assert view.title.text() == "three scenes.mp4"
        info = view.metadata_text()
        assert info["Duration"] == "0:06" and info["Resolution"] == "320×240"
        assert info["Frame rate"] == "25 fps" and info["Shots"] == "3" and info["Audio"] == "none"
        await wait_until(player.is_ready, "the clip to load")
        await wait_until(lambda: near(player.displayed_frame_s(), 0.0, 0.001), "the first frame")
        assert player.time_label.text() == "0:00.00 / 0:06"
        await wait_until(lambda: all(view.strip.has_thumbnail(i) for i in range(3)), "keyframes")

        # Click the second shot: the player jumps to its start and the strip highlights it.
        strip = view.strip
        assert [strip.item(i).text() for i in range(3)] == ["#1  0:00", "#2  0:02", "#3  0:04"]
        qtbot.mouseClick(strip.viewport(), Qt.MouseButton.LeftButton,
                         pos=strip.visualItemRect(strip.item(1)).center())
        await wait_until(lambda: near(player.position_s(), 2.0, 0.1), "the seek to shot 2")
        await wait_until(lambda: near(player.displayed_frame_s(), 2.0, 0.001), "shot 2's first frame")
        assert strip.highlighted() == 1 and strip.item(1).isSelected() and view.current_shot() == 1
        assert player.time_label.text() == "0:02.00 / 0:06"

        # Right arrow: one frame (40 ms) later, on screen too; Left comes back.
        before = player.position_ms()
        qtbot.keyClick(view, Qt.Key.Key_Right)
        assert player.position_ms() == before + 40
        await wait_until(lambda: near(player.displayed_frame_s(), 2.04, 0.001), "the next frame")
        assert player.time_label.text() == "0:02.04 / 0:06"
        qtbot.keyClick(view, Qt.Key.Key_Left)
        await wait_until(lambda: near(player.displayed_frame_s(), 2.0, 0.001), "the frame before")

        # Space plays; the highlight follows playback into shot 3; K pauses.
        qtbot.keyClick(view, Qt.Key.Key_Space)
        assert player.is_playing() and player.play_button.toolTip() == "Pause (Space)"
        await wait_until(lambda: view.current_shot() == 2 and strip.highlighted() == 2,
                         "playback to reach shot 3 and highlight it")
        assert view.timeline.position_s() >= 4.0
        qtbot.keyClick(view, Qt.Key.Key_K)
        assert not player.is_playing()

        # L plays, then 2×, then 4×; K pauses at normal speed again.
        qtbot.keyClick(view, Qt.Key.Key_Home)
        assert player.position_s() < 0.05
        for expected in (1.0, 2.0, 4.0, 4.0):
            qtbot.keyClick(view, Qt.Key.Key_L)
            assert player.is_playing() and player.rate() == expected
        assert player.rate_label.text() == "4×"
        qtbot.keyClick(view, Qt.Key.Key_K)
        assert not player.is_playing() and player.rate() == 1.0

        # J jumps back 5 s from the end, then to the start.
        qtbot.keyClick(view, Qt.Key.Key_End)
        assert near(player.position_s(), 5.98, 0.001)
        await wait_until(lambda: near(player.displayed_frame_s(), 5.96, 0.001), "the last frame")
        qtbot.keyClick(view, Qt.Key.Key_J)
        assert near(player.position_s(), 0.98, 0.021)
        qtbot.keyClick(view, Qt.Key.Key_J)
        assert player.position_s() < 0.05

        # Timeline: hovering 3.4 s previews sprite tile 3 (row 1, column 0) and the time.
        timeline = view.timeline
        await wait_until(timeline.has_sprite, "the sprite sheet")
        assert timeline.tile_index(3.4) == 3
        assert timeline.tile_rect(3.4).getRect() == (0, 60, 80, 60)
        assert timeline.tile_rect(5.9).getRect() == (160, 60, 80, 60)
        hover(timeline, timeline.x_for_time(3.45))  # mid-tenth: a pixel either way still reads 0:03.4x
        assert timeline.popup.isVisible() and timeline.preview_text().startswith("0:03.4")
        assert timeline.preview_text().endswith("shot 2")
        assert not timeline.popup.image.pixmap().isNull()
        assert sorted(timeline.boundary_rects()) == [1, 2]  # the cut at 2 s and the fade at 4 s
        # …and clicking there seeks.
        qtbot.mouseClick(timeline, Qt.MouseButton.LeftButton, pos=QPoint(timeline.x_for_time(4.5), 10))
        await wait_until(lambda: near(player.position_s(), 4.5, 0.1), "the timeline seek")
        assert view.current_shot() == 2 and strip.highlighted() == 2

        # Playing to the end stops on the last frame (not a black picture); Space restarts.
        view.seek_to(5.6)
        qtbot.keyClick(view, Qt.Key.Key_Space)
        await wait_until(lambda: not player.is_playing() and near(player.displayed_frame_s(), 5.96, 0.001),
                         "playback to stop on the last frame")
        assert player.time_label.text() == "0:05.96 / 0:06"
        qtbot.keyClick(view, Qt.Key.Key_Space)
        assert player.is_playing() and player.position_s() < 0.1
        qtbot.keyClick(view, Qt.Key.Key_K)

        # Exports: CSV, EDL and JSON parse; the contact sheet is an image.
        assert view.export_menu_texts() == [
            "Shot list as CSV…", "Shot list as JSON…", "Shot list as EDL…", "Contact sheet…", "—", "Editing software: OpenTimelineIO…", "Final Cut Pro / Resolve (FCPXML)…", "Premiere Pro (XML)…",
            "Resolve markers (EDL)…", "Avid markers…", "YouTube chapters…"]
        rows = list(csv.DictReader(io.StringIO((await view.export_to("csv", tmp_path / "s.csv"))
                                               .read_text())))
        assert [(r["shot"], r["start_s"], r["transition"]) for r in rows] == [
            ("1", "0.000", "start"), ("2", "2.000", "cut"), ("3", "4.000", "fade")]
        edl = parse_edl((await view.export_to("edl", tmp_path / "s.edl")).read_text())
        assert edl == [(1, "00:00:00:00", "00:00:02:00"), (2, "00:00:02:00", "00:00:04:00"),
                       (3, "00:00:04:00", "00:00:06:00")]
        doc = json.loads((await view.export_to("json", tmp_path / "s.json")).read_text())
        assert len(doc["shots"]) == 3
        sheet = await view.export_to("contact-sheet", tmp_path / "sheet.jpg")
        with Image.open(sheet) as image:
            assert image.width > 500 and image.format == "JPEG"
        assert view.notice.text() == "Saved sheet.jpg"

        # The file dialog is non-blocking; Esc goes back to the library and stops the player.
        dialog = view.choose_export("csv")
        assert dialog.isVisible() and dialog.selectedFiles()[0].endswith("three scenes-shots.csv")
        dialog.reject()
        with qtbot.waitSignal(view.back_requested, timeout=1000):
            qtbot.keyClick(view, Qt.Key.Key_Escape)
        assert not player.is_playing()
        await wait_until(player.is_unloaded, "the player to release the file")
        assert player.player.source().isEmpty()

    qloop.run_until_complete(scenario())


class FakeLibrary:
    """The two LibraryService calls the detail view needs."""

    def __init__(self, clip: Clip) -> None:
        self.clip = clip

    async def video(self, video_id: str) -> Video | None:
        return self.clip.video if video_id == self.clip.video.id else None

    async def shots(self, video_id: str) -> list[Shot]:
        return self.clip.shots if video_id == self.clip.video.id else []


def test_double_click_in_library_opens_review_and_back_returns(
        qloop: asyncio.AbstractEventLoop, qtbot: Any, clip: Clip, tmp_path: Path) -> None:
    view = MainView()
    qtbot.addWidget(view)
    view.show()
    controller = MainController(view, ClientServices(None, None, FakeLibrary(clip), None, None),  # type: ignore[arg-type]
                                ControllerConfig(samples_dir=tmp_path, database_text="none"))

    async def scenario() -> None:
        view.library.set_videos([clip.video])
        assert not view.showing_detail()
        row = view.library.visualRect(view.library.model().index(0, 1)).center()
        # A real double-click: press/release, then the double-click press/release.
        qtbot.mouseClick(view.library.viewport(), Qt.MouseButton.LeftButton, pos=row)
        qtbot.mouseDClick(view.library.viewport(), Qt.MouseButton.LeftButton, pos=row)
        await wait_until(view.showing_detail, "the review screen")
        assert view.detail.title.text() == "three scenes.mp4"
        assert view.detail.strip.count() == 3
        await wait_until(view.detail.player.is_ready, "the clip to load")
        view.detail.back_button.click()
        assert not view.showing_detail() and view.library.isVisible()
        # Enter on the current row opens it too.
        view.library.setCurrentIndex(view.library.model().index(0, 1))
        view.library.setFocus()
        qtbot.keyClick(view.library, Qt.Key.Key_Return)
        await wait_until(view.showing_detail, "the review screen after Enter")
        view.detail.go_back()
        await controller.stop()

    qloop.run_until_complete(scenario())


def test_shot_times_of_a_stream_that_starts_late(qloop: asyncio.AbstractEventLoop, qtbot: Any,
                                                 tmp_path: Path) -> None:
    """Shots carry PTS times; the player counts from the first frame (PTS 1.0 here)."""
    path = tmp_path / "late.mp4"
    _ffmpeg("-f", "lavfi", "-i", f"testsrc2=size=320x240:rate={FPS}:duration=4", "-c:v", "libx264",
            "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-output_ts_offset", "1.0", str(path))
    media = MediaInfo(container="mp4", duration_s=4.0, start_s=1.0, fps=float(FPS), width=320,
                      height=240, rotation=0, display_width=320, display_height=240,
                      video_codec="h264", has_audio=False, audio_codec=None, audio_channels=None,
                      audio_sample_rate=None, bit_rate=None, frame_count=4 * FPS, size_bytes=1)
    video = Video(project_id="p1", path=str(path), fingerprint="f", size_bytes=1, id="late",
                  status=VideoStatus.READY, media=media)
    shots = [Shot(video_id="late", index=i, start_s=1.0 + 2 * i, end_s=3.0 + 2 * i, start_frame=50 * i,
                  end_frame=50 * (i + 1), transition="cut" if i else "start") for i in range(2)]
    view = VideoDetailView()
    qtbot.addWidget(view)
    view.show()

    async def scenario() -> None:
        view.show_video(video, shots)
        assert [view.strip.item(i).text() for i in range(2)] == ["#1  0:00", "#2  0:02"]
        await wait_until(view.player.is_ready, "the clip to load")
        assert view.current_shot() == 0
        view.seek_to(3.0)  # shot 2's start, in PTS
        await wait_until(lambda: near(view.player.displayed_frame_s(), 3.0, 0.001), "shot 2's first frame")
        assert view.current_shot() == 1 and view.strip.highlighted() == 1
        assert view.player.time_label.text() == "0:02.00 / 0:04"
        timeline = view.timeline  # the bar spans PTS 1.0 .. 5.0: 3.0 is its middle
        middle = (timeline.x_for_time(1.0) + timeline.x_for_time(5.0)) / 2
        assert abs(timeline.x_for_time(3.0) - middle) <= 1
        view.close_video()

    qloop.run_until_complete(scenario())


def test_export_the_summary_from_the_menu_then_show_the_folder(
        qloop: asyncio.AbstractEventLoop, qtbot: Any, clip: Clip, tmp_path: Path) -> None:
    opened: list[QUrl] = []
    view = VideoDetailView(open_url=lambda url: opened.append(url) or True)
    qtbot.addWidget(view)
    view.resize(1280, 800)
    view.show()
    summary = Summary(source=LOCAL, overview="Three test scenes.",
                      chapters=[Chapter(0.0, 2.0, "Colour bars"), Chapter(2.0, 6.0, "A fractal", "Zooming in.")])
    target = tmp_path / "out" / "scenes summary.md"

    async def scenario() -> None:
        view.show_video(clip.video, clip.shots, summary=summary)
        assert not view.show_folder_button.isVisible()
        assert "the summary" in view.export_button.toolTip()

        # The Export menu lists the summary; choosing it asks where to save, with a sensible name.
        menu = view.export_menu
        menu.popup(view.export_button.mapToGlobal(view.export_button.rect().bottomLeft()))
        await wait_until(menu.isVisible, "the Export menu")
        assert view.export_menu_texts() == [
            "Shot list as CSV…", "Shot list as JSON…", "Shot list as EDL…", "Contact sheet…", "—",
            "Summary as Markdown…", "Summary as JSON…", "—", "Editing software: OpenTimelineIO…", "Final Cut Pro / Resolve (FCPXML)…", "Premiere Pro (XML)…",
            "Resolve markers (EDL)…", "Avid markers…", "YouTube chapters…"]
        markdown = view.export_actions["summary-md"]
        qtbot.mouseClick(menu, Qt.MouseButton.LeftButton, pos=menu.actionGeometry(markdown).center())
        dialog = await wait_until(lambda: view._dialog if view._dialog and view._dialog.isVisible() else None,
                                  "the save dialog")
        assert dialog.selectedFiles()[0].endswith("three scenes-summary.md")
        name = dialog.findChild(QLineEdit, "fileNameEdit")
        target.parent.mkdir()
        name.setText(str(target))  # typed text would open the completer's popup, which eats the click
        save = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Save)
        qtbot.mouseClick(save, Qt.MouseButton.LeftButton)
        await wait_until(view.show_folder_button.isVisible, "the summary to be written")
        text = target.read_text(encoding="utf-8")
        assert text.startswith("# three scenes.mp4") and "Three test scenes." in text
        assert "- **0:02** A fractal — Zooming in." in text
        assert view.notice.text() == "Saved scenes summary.md"

        # "Show in folder" opens the folder the file was saved in.
        qtbot.mouseClick(view.show_folder_button, Qt.MouseButton.LeftButton)
        assert opened == [QUrl.fromLocalFile(str(target.parent))]
        assert opened[0].toLocalFile() == str(target.parent)

        # Editing software: the menu's FCPXML entry saves the clip with its cuts and chapters as markers.
        menu.popup(view.export_button.mapToGlobal(view.export_button.rect().bottomLeft()))
        await wait_until(menu.isVisible, "the Export menu")
        fcpxml = view.export_actions["fcpxml"]
        qtbot.mouseClick(menu, Qt.MouseButton.LeftButton, pos=menu.actionGeometry(fcpxml).center())
        dialog = await wait_until(lambda: view._dialog if view._dialog and view._dialog.isVisible()
                                  and view._dialog.defaultSuffix() == "fcpxml" else None, "the FCPXML save dialog")
        assert dialog.selectedFiles()[0].endswith("three scenes.fcpxml")
        handed = target.parent / "for the editor.fcpxml"
        dialog.findChild(QLineEdit, "fileNameEdit").setText(str(handed))
        qtbot.mouseClick(dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Save),
                         Qt.MouseButton.LeftButton)
        await wait_until(lambda: view.notice.text() == "Saved for the editor.fcpxml", "the FCPXML to be written")
        import xml.etree.ElementTree as ET

        clip_element = ET.fromstring(handed.read_text(encoding="utf-8").split("\n", 2)[2]).find(".//asset-clip")
        assert clip_element is not None
        assert [e.get("value") for e in clip_element if e.tag == "marker"][:3] == ["Shot 1", "Shot 2", "Shot 3"]
        assert [e.get("value") for e in clip_element if e.tag == "chapter-marker"] == ["Colour bars", "A fractal"]

        # The JSON form goes through the same export; a video without a summary does not offer it.
        doc = json.loads((await view.export_to("summary-json", tmp_path / "s.json")).read_text())
        assert [c["title"] for c in doc["chapters"]] == ["Colour bars", "A fractal"]
        view.show_video(clip.video, clip.shots)
        assert not view.show_folder_button.isVisible()
        assert "Summary as Markdown…" not in view.export_menu_texts()
        with pytest.raises(RuntimeError, match="no summary"):
            await view.export_to("summary-md", tmp_path / "none.md")
        view.close_video()

    qloop.run_until_complete(scenario())


def test_a_failed_export_offers_no_folder(qloop: asyncio.AbstractEventLoop, qtbot: Any, clip: Clip,
                                          tmp_path: Path) -> None:
    view = VideoDetailView(open_url=lambda url: True)
    qtbot.addWidget(view)
    view.show()
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder")

    async def scenario() -> None:
        view.show_video(clip.video, clip.shots)
        await view.export_to("csv", tmp_path / "ok.csv")
        assert view.show_folder_button.isVisible()
        with pytest.raises(OSError):
            await view.export_to("csv", blocker / "shots.csv")
        assert view.notice.text().startswith("Could not save shots.csv")
        assert not view.show_folder_button.isVisible()
        view.close_video()

    qloop.run_until_complete(scenario())
