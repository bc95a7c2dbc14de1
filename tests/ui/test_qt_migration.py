"""The desktop app upgrades an older release's database at start and shows it in the window."""

from __future__ import annotations

import asyncio
from typing import Any

from PySide6.QtCore import Qt

from app.settings import Settings
from core.repositories import DatabaseAddress, SegmentRepository, connect
from core.repositories import segment_sets as sets
from core.repositories.jobs import MIGRATIONS
from tests.app.test_migration import write_previous_release
from tests.ui.harness import run_gui_session
from tests.ui.waiting import wait_until
from ui.main_view import MainView


def test_the_window_shows_the_storage_upgrade_and_then_the_library(qloop: asyncio.AbstractEventLoop, qtbot: Any,
                                                                     qapp: Any, vip_env: dict[str, str]) -> None:
    database = DatabaseAddress(vip_env["VIP_MONGO_URI"], vip_env["VIP_DB_NAME"])
    client, db = connect(database)
    try:
        before = write_previous_release(db)
    finally:
        client.close()
    view = MainView()
    qtbot.addWidget(view)
    view.show()
    messages: list[str] = []
    bar_values: list[tuple[int, int]] = []
    view.statusBar().messageChanged.connect(messages.append)
    view.progress_bar.valueChanged.connect(lambda value: bar_values.append((value, view.progress_bar.maximum())))

    async def open_the_project() -> None:
        items = await wait_until(lambda: view.projects.list.findItems("Archive", Qt.MatchFlag.MatchExactly),
                                 "the migrated project in the sidebar", 60)
        rect = view.projects.list.visualItemRect(items[0])
        qtbot.mouseClick(view.projects.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        await wait_until(lambda: len(view.library.video_ids()) == 3, "the three videos in the library", 20)

    run_gui_session(qloop, qapp, Settings.load(vip_env), view, open_the_project, exit_code=0)

    upgrade = [m for m in messages if m.startswith("Upgrading the library's storage")]
    assert upgrade[0] == ("Upgrading the library's storage, step 1 of 3: "
                          "Converting transcripts, on-screen text and search passages")
    assert "Library storage upgraded" in messages
    assert (3, 3) in bar_values and not view.progress_bar.isVisible()
    client, db = connect(database)
    try:
        assert db[MIGRATIONS].find_one({"_id": sets.SEGMENT_SETS_MARK}) is not None
        for video in before["videos"]:
            assert SegmentRepository(db).for_video(video.id) == before["segments"][video.id]
    finally:
        client.close()
