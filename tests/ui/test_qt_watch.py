"""The Watch folders page, as an operator uses it: type a folder, Add; a file copied in is
analysed (queued) by the app's own watch loop; a folder that goes away says so; Remove."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from tests.media import MediaSet
from tests.ui.harness import running_app
from tests.ui.waiting import wait_until
from ui.watch_view import WatchFoldersDialog


def test_add_a_watch_folder_and_its_files_are_queued(qloop: asyncio.AbstractEventLoop, qtbot: Any,
                                                     vip_env: dict[str, str], media: MediaSet, tmp_path: Path) -> None:
    ingest = tmp_path / "ingest"
    ingest.mkdir()

    async def scenario() -> None:
        async with running_app(qtbot, vip_env, watch=True) as (view, controller, services):
            view.watch_action.trigger()
            dialog: WatchFoldersDialog = await wait_until(
                lambda: next((d for d in controller._dialogs if isinstance(d, WatchFoldersDialog)), None),
                "the watch folders page")
            await wait_until(dialog.empty_label.isVisible, "the empty list")
            qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)  # no folder yet: says what to do
            assert dialog.message.text() == "Choose the folder to watch first (Browse…)."
            qtbot.keyClicks(dialog.folder_edit, str(ingest))
            dialog.project_combo.setEditText("")
            qtbot.keyClicks(dialog.project_combo.lineEdit(), "Ingest")
            dialog.settle_spin.selectAll()
            qtbot.keyClicks(dialog.settle_spin, "0")
            qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)
            await wait_until(lambda: dialog.message.text() == f"Watching {ingest} for project “Ingest”.",
                             "the folder to be added")
            await wait_until(lambda: dialog.table.rowCount() == 1, "the folder in the list")
            assert dialog.table.item(0, 1).text() == "Ingest"
            await wait_until(lambda: "Ingest" in view.projects.names(), "the new project in the list")
            qtbot.keyClicks(dialog.folder_edit, str(ingest))
            qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)
            await wait_until(lambda: "is watched already" in dialog.message.text(), "the refusal")

            shutil.copy(media.good, ingest / "arrived.mp4")  # the app's watch loop takes it
            await wait_until(lambda: dialog.statuses().get(str(ingest)) == "Watching: 1 file analysed",
                             "the file to be queued", timeout=20)
            (job,) = await services.jobs.recent()
            video = await services.library.video(job.video_id)
            assert video is not None and video.name == "arrived.mp4"

            shutil.rmtree(ingest)
            await wait_until(lambda: dialog.statuses()[str(ingest)].startswith("Folder not found"),
                             "the missing folder's status", timeout=20)
            dialog.table.selectRow(0)
            qtbot.mouseClick(dialog.remove_button, Qt.MouseButton.LeftButton)
            await wait_until(lambda: dialog.table.rowCount() == 0, "the folder to be removed")
            assert dialog.message.text() == f"No longer watching {ingest}; its videos stay in the library."
            assert await services.watch.folders() == []

    qloop.run_until_complete(scenario())
