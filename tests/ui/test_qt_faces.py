"""The faces panel of the review screen: one thumbnail per appearance, a click plays from there;
a thumbnail marked "Not a face" leaves the panel, and stays gone after a re-analysis."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMenu

from core.faces import FaceRejection
from core.models import Shot, TextSegment, Video
from core.models.segment import Box
from core.repositories import DatabaseAddress, SegmentRepository, connect_async
from app.wiring import client_services
from tests.core.test_services import RecordingLauncher
from tests.ui.test_qt_transcript import near, shots, video  # noqa: F401 (fixtures)
from tests.ui.waiting import wait_until
from ui.faces_widget import ALL_HIDDEN_TEXT, NO_FACES_TEXT, NOT_RUN_TEXT, FacesWidget
from tests.ui.harness import controller_services
from ui.main_controller import ControllerConfig, MainController
from ui.main_view import MainView
from ui.video_detail_view import VideoDetailView


def _shown_detail(qtbot: Any) -> VideoDetailView:
    view = VideoDetailView()
    qtbot.addWidget(view)
    view.resize(1200, 760)
    view.show()
    return view


def _face(tmp_path: Path, start: float, x: int, colour: str) -> TextSegment:
    crop = tmp_path / f"face-{start}-{x}.jpg"
    Image.new("RGB", (64, 64), colour).save(crop)
    return TextSegment(video_id="v1", kind="face", stage="faces", start_s=start, end_s=start + 2.0,
                       boxes=[Box(x, 40, 60, 60)], image_path=str(crop))


def test_face_thumbnails_show_each_appearance_and_seek_on_click(
        qloop: asyncio.AbstractEventLoop, qtbot: Any, video: Video, shots: list[Shot], tmp_path: Path) -> None:
    view = _shown_detail(qtbot)
    panel = view.faces
    # one person from 0 to 4 s (seen twice), another from 3.5 s on
    faces = [_face(tmp_path, 0.0, 20, "red"), _face(tmp_path, 2.0, 24, "red"), _face(tmp_path, 3.5, 200, "blue")]
    faced = Video(**{**video.__dict__, "stages": {**video.stages, "faces": {"status": "succeeded", "version": 1}}})

    async def scenario() -> None:
        view.show_video(faced, shots, [], faces)
        view.side_tabs.setCurrentWidget(panel)
        assert view.side_tabs.tabText(2) == "Faces (2)"
        assert panel.labels() == ["0:00", "0:03"]
        assert panel.header.text().startswith("2 appearances")
        assert not panel.empty_label.isVisible()
        # the crops are decoded off the loop and replace the grey placeholders
        await wait_until(lambda: panel.grid.item(1).icon().pixmap(panel.grid.iconSize()).toImage()
                         .pixelColor(30, 30).blue() > 200, "the second face's crop")
        await wait_until(view.player.is_ready, "the clip to load")
        qtbot.mouseClick(panel.grid.viewport(), Qt.MouseButton.LeftButton, pos=panel.item_rect(1).center())
        await wait_until(lambda: near(view.player.position_s(), 3.5, 0.1), "the seek to the second face")
        view.close_video()

    qloop.run_until_complete(scenario())


def test_no_faces_says_why(qtbot: Any) -> None:
    panel = FacesWidget()
    qtbot.addWidget(panel)
    panel.show()
    panel.set_faces([], [], 0.0, None)
    assert panel.empty_label.isVisible() and panel.empty_label.text() == NOT_RUN_TEXT
    panel.set_faces([], [], 0.0, "succeeded")
    assert panel.empty_label.text() == NO_FACES_TEXT and panel.count() == 0


def _with_faces(video: Video) -> Video:
    return Video(**{**video.__dict__, "stages": {**video.stages, "faces": {"status": "succeeded", "version": 1}}})


async def _choose_from_menu(qtbot: Any, panel: FacesWidget, row: int, text: str) -> None:
    """Right-click thumbnail `row` and click the menu entry that starts with `text`.

    The clicks go to the windows, as the platform's would: that is what makes Qt send the
    context menu event (a click sent to the widget itself does not), and it sees the pointer
    go to the menu (so the next right-click is not taken for a double click). They run as
    plain loop callbacks, not inside this task: a window click delivers its events at once,
    and a task stepped from inside another one is an error in qasync."""
    loop = asyncio.get_running_loop()
    window = panel.window()
    at = panel.grid.viewport().mapTo(window, panel.item_rect(row).center())
    loop.call_soon(QTest.mouseClick, window.windowHandle(), Qt.MouseButton.RightButton,
                   Qt.KeyboardModifier.NoModifier, at)
    await wait_until(lambda: panel.menu is not None and panel.menu.isVisible(), "the thumbnail's menu")
    menu: QMenu = panel.menu  # type: ignore[assignment]
    action = next(a for a in menu.actions() if a.text().startswith(text))
    loop.call_soon(QTest.mouseClick, menu.windowHandle(), Qt.MouseButton.LeftButton,
                   Qt.KeyboardModifier.NoModifier, menu.actionGeometry(action).center())
    await wait_until(lambda: not menu.isVisible(), "the menu to close")


def test_not_a_face_from_the_thumbnail_menu_hides_it_and_undo_brings_it_back(
        qloop: asyncio.AbstractEventLoop, qtbot: Any, video: Video, shots: list[Shot], tmp_path: Path) -> None:
    view = _shown_detail(qtbot)
    panel = view.faces
    faces = [_face(tmp_path, 0.0, 20, "red"), _face(tmp_path, 2.0, 24, "red"), _face(tmp_path, 3.5, 200, "blue")]
    marks: list[FaceRejection] = []
    taken_back: list[FaceRejection] = []
    panel.rejected.connect(marks.append)
    panel.restored.connect(taken_back.append)
    tab = view.side_tabs.indexOf(panel)

    async def scenario() -> None:
        view.show_video(_with_faces(video), shots, [], faces)
        view.side_tabs.setCurrentWidget(panel)
        assert view.side_tabs.tabText(tab) == "Faces (2)" and panel.labels() == ["0:00", "0:03"]
        assert panel.not_face_button.isVisible() and not panel.not_face_button.isEnabled()  # nothing chosen

        await _choose_from_menu(qtbot, panel, 1, "Not a face")
        assert panel.labels() == ["0:00"]  # the blue "face" at 0:03 is gone
        assert view.side_tabs.tabText(tab) == "Faces (1)"
        assert panel.header.text().startswith("1 appearance · 1 hidden")
        assert [(m.video_id, m.start_s, m.end_s, m.box.x) for m in marks] == [("v1", 3.5, 5.5, 200)]
        assert panel.show_hidden_box.text() == "Show hidden (1)" and panel.undo_button.isEnabled()

        # Show hidden: it is back, greyed and struck through, and its menu takes the mark back
        qtbot.mouseClick(panel.show_hidden_box, Qt.MouseButton.LeftButton)
        assert panel.labels() == ["0:00", "0:03"] and panel.grid.item(1).font().strikeOut()
        assert not panel.grid.item(0).font().strikeOut()
        assert view.side_tabs.tabText(tab) == "Faces (1)"
        await _choose_from_menu(qtbot, panel, 1, "It is a face")
        assert taken_back == marks and view.side_tabs.tabText(tab) == "Faces (2)"
        assert not panel.grid.item(1).font().strikeOut()
        qtbot.mouseClick(panel.show_hidden_box, Qt.MouseButton.LeftButton)

        # the button under the header acts on the chosen thumbnail; Undo takes the mark back
        qtbot.mouseClick(panel.grid.viewport(), Qt.MouseButton.LeftButton, pos=panel.item_rect(0).center())
        assert panel.not_face_button.isEnabled()
        qtbot.mouseClick(panel.not_face_button, Qt.MouseButton.LeftButton)
        assert panel.labels() == ["0:03"] and view.side_tabs.tabText(tab) == "Faces (1)" and len(marks) == 2
        qtbot.mouseClick(panel.undo_button, Qt.MouseButton.LeftButton)
        assert panel.labels() == ["0:00", "0:03"] and taken_back[-1] is marks[-1]
        assert not panel.undo_button.isEnabled()
        view.close_video()

    qloop.run_until_complete(scenario())


def test_not_a_face_with_the_keyboard(qtbot: Any, tmp_path: Path) -> None:
    panel = FacesWidget()
    qtbot.addWidget(panel)
    panel.resize(300, 400)
    panel.show()
    panel.set_faces([_face(tmp_path, 0.0, 20, "red"), _face(tmp_path, 4.0, 200, "blue")], [], 0.0, "succeeded")
    marks: list[FaceRejection] = []
    panel.rejected.connect(marks.append)
    shown: list[int] = []
    panel.count_changed.connect(shown.append)
    panel.grid.setFocus()
    qtbot.keyClick(panel.grid, Qt.Key.Key_Home)
    qtbot.keyClick(panel.grid, Qt.Key.Key_Right)
    qtbot.keyClick(panel.grid, Qt.Key.Key_Delete)
    assert panel.labels() == ["0:00"] and [m.start_s for m in marks] == [4.0] and shown[-1] == 1
    qtbot.keyClick(panel.grid, Qt.Key.Key_Delete)
    assert panel.labels() == [] and panel.empty_label.isVisible() and panel.empty_label.text() == ALL_HIDDEN_TEXT
    assert shown[-1] == 0
    # Show hidden (a key on the box), then the Menu key opens the chosen thumbnail's menu
    panel.show_hidden_box.setFocus()
    qtbot.keyClick(panel.show_hidden_box, Qt.Key.Key_Space)
    assert panel.labels() == ["0:00", "0:04"]
    panel.grid.setFocus()
    qtbot.keyClick(panel.grid, Qt.Key.Key_End)
    qtbot.keyClick(panel.grid, Qt.Key.Key_Menu)
    assert panel.menu is not None and panel.menu.isVisible()
    assert [a.text().split("\t")[0] for a in panel.menu.actions()] == ["Play from here", "It is a face (show again)"]
    panel.menu.close()


def test_a_face_marked_not_a_face_stays_hidden_after_a_re_analysis(
        qloop: asyncio.AbstractEventLoop, qtbot: Any, database: DatabaseAddress, sync_db: Any, video: Video,
        tmp_path: Path) -> None:
    """Through the controller and FerretDB: the mark is stored, and hides the face when the
    faces stage has replaced the segments (new ids, same detections) and the video is reopened."""
    faced = _with_faces(video)
    sync_db["videos"].insert_one(faced.to_doc())
    detections = [_face(tmp_path, 0.0, 20, "red"), _face(tmp_path, 3.5, 200, "blue")]
    segments = SegmentRepository(sync_db)
    segments.replace_for_stage("v1", "faces", detections)
    view = MainView()
    qtbot.addWidget(view)
    view.resize(1280, 800)
    view.show()
    panel = view.detail.faces

    async def scenario() -> None:
        client, db = connect_async(database)
        services = client_services(db, RecordingLauncher(), ["probe", "faces"], tmp_path / "data")
        controller = MainController(view, controller_services(services, people=None),
                                    ControllerConfig(samples_dir=tmp_path, database_text="test"))
        try:
            await controller.open_video("v1")
            view.detail.side_tabs.setCurrentWidget(panel)
            assert panel.labels() == ["0:00", "0:03"]
            await _choose_from_menu(qtbot, panel, 0, "Not a face")
            assert panel.labels() == ["0:03"]
            await wait_until(lambda: sync_db["face_rejections"].count_documents({}) == 1, "the mark to be stored")

            # a re-analysis replaces the face segments: same detections, new ids
            segments.replace_for_stage("v1", "faces", [_face(tmp_path, 0.0, 20, "red"),
                                                       _face(tmp_path, 3.5, 200, "blue")])
            view.detail.close_video()
            await controller.open_video("v1")
            assert panel.labels() == ["0:03"]
            tabs = view.detail.side_tabs
            assert tabs.tabText(tabs.indexOf(panel)) == "Faces (1)"
            assert panel.header.text().startswith("1 appearance · 1 hidden")
            assert [len(s.boxes) for s in await services.library.faces("v1")] == [1]
            view.detail.close_video()
        finally:
            await controller.stop()
            await client.close()

    qloop.run_until_complete(scenario())
