"""The selects basket, as an editor uses it: Ctrl+B on a search hit and "Add shot to selects" on
the review page, then Selects… → handles, format, Export… → a timeline of subclips of the
original files."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import opentimelineio as otio
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QLineEdit

from benchmarks.scaleset import make_shots, make_video
from core.repositories import AsyncVideoRepository, DatabaseAddress, connect_async
from core.search.results import SearchHit, VideoResult
from tests.ui.harness import running_app
from tests.ui.waiting import wait_until
from ui.selects_view import SelectsDialog


def test_picks_from_search_and_review_export_as_a_timeline(qloop: asyncio.AbstractEventLoop, qtbot: Any,
                                                           vip_env: dict[str, str], tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running_app(qtbot, vip_env, exports=True) as (view, controller, _services):
            video = make_video(7, controller.project_id or "", {})  # 25 fps, in the library
            client, db = connect_async(DatabaseAddress(vip_env["VIP_MONGO_URI"], vip_env["VIP_DB_NAME"]))
            try:
                video, _ = await AsyncVideoRepository(db).add(video)
            finally:
                await client.close()
            assert video.media is not None

            # A search hit: Ctrl+B on the chosen row.
            hit = SearchHit("p1", "speech", "line", 12.0, 14.0, "the harbour is closed", (), ("keyword",), 1.0)
            result = VideoResult(video.id, video.name, video.path, video.project_id, video.media.duration_s, 1.0,
                                 [hit])
            view.search.box.setText("harbour")
            view.search.show_results("harbour", [result])
            view.search.list.setFocus()
            view.search.list.setCurrentIndex(view.search.model.index(1, 0))  # the moment under its video
            qtbot.keyClick(view.search.list, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
            assert view.selects_action.text() == "Selects (1)…"

            # A shot on the review page: the button.
            shots = make_shots(video, 4)
            view.detail.show_video(video, shots)
            view.detail.seek_to(shots[2].start_s + 0.5)
            await wait_until(lambda: view.detail.current_shot() == 2, "the playhead in shot 3")
            qtbot.mouseClick(view.detail.select_shot_button, Qt.MouseButton.LeftButton)
            assert view.selects_action.text() == "Selects (2)…"
            qtbot.keyClick(view.detail, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)  # the same, by key
            assert view.selects_action.text() == "Selects (3)…"
            controller._remove_pick(2)

            view.selects_action.trigger()
            dialog: SelectsDialog = await wait_until(
                lambda: next((d for d in controller._dialogs if isinstance(d, SelectsDialog)), None), "the basket")
            assert dialog.texts()[0] == f"1. {video.name}  0:12–0:14  the harbour is closed"
            assert dialog.texts()[1].startswith(f"2. {video.name}  ") and dialog.texts()[1].endswith("Shot 3")
            dialog.handles.selectAll()
            qtbot.keyClicks(dialog.handles, "5")
            dialog.format.setCurrentIndex(dialog.format.findData("otio"))
            qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
            chooser = await wait_until(lambda: dialog._dialog if dialog._dialog and dialog._dialog.isVisible()
                                       else None, "the save dialog")
            target = tmp_path / "for the edit.otio"
            chooser.findChild(QLineEdit, "fileNameEdit").setText(str(target))
            qtbot.mouseClick(chooser.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Save),
                             Qt.MouseButton.LeftButton)
            await wait_until(lambda: dialog.message.text() == "Saved for the edit.otio", "the export")
            timeline = otio.adapters.read_from_file(str(target))
            clips = [(c.name, c.media_reference.target_url, round(c.source_range.start_time.value),
                      round(c.source_range.duration.value)) for c in timeline.find_clips()]
            third = shots[2]
            first_frame, last_frame = int(third.start_s * 25), int(third.end_s * 25)
            assert clips == [("the harbour is closed", Path(video.path).as_uri(), 300 - 5, 50 + 10),
                             ("Shot 3", Path(video.path).as_uri(), first_frame - 5, last_frame - first_frame + 10)]

            dialog.list.setCurrentRow(0)
            qtbot.mouseClick(dialog.remove_button, Qt.MouseButton.LeftButton)
            assert len(dialog.texts()) == 1 and dialog.texts()[0].startswith("1. ") and controller.picks[0].label == "Shot 3"
            qtbot.mouseClick(dialog.clear_button, Qt.MouseButton.LeftButton)
            assert dialog.texts() == [] and dialog.message.text() == "The basket is empty."
            assert not dialog.export_button.isEnabled() and view.selects_action.text() == "Selects…"

    qloop.run_until_complete(scenario())
