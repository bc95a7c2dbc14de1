"""The faces panel of the review screen: one thumbnail per appearance, a click plays from there."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from PIL import Image
from PySide6.QtCore import Qt

from core.models import Shot, TextSegment, Video
from core.models.segment import Box
from tests.ui.test_qt_transcript import near, shots, video  # noqa: F401 (fixtures)
from tests.ui.waiting import wait_until
from ui.faces_widget import NO_FACES_TEXT, NOT_RUN_TEXT, FacesWidget
from ui.video_detail_view import VideoDetailView


def _face(tmp_path: Path, start: float, x: int, colour: str) -> TextSegment:
    crop = tmp_path / f"face-{start}-{x}.jpg"
    Image.new("RGB", (64, 64), colour).save(crop)
    return TextSegment(video_id="v1", kind="face", stage="faces", start_s=start, end_s=start + 2.0,
                       boxes=[Box(x, 40, 60, 60)], image_path=str(crop))


def test_face_thumbnails_show_each_appearance_and_seek_on_click(
        qloop: asyncio.AbstractEventLoop, qtbot: Any, video: Video, shots: list[Shot], tmp_path: Path) -> None:
    view = VideoDetailView()
    qtbot.addWidget(view)
    view.resize(1200, 760)
    view.show()
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
