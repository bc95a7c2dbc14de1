"""The desktop app on a damaged library database: one message that says what to do, no traceback;
on a database that goes away: "reconnecting…", then back by itself."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import json
import os
import signal

from PySide6.QtWidgets import QMessageBox

from app.settings import Settings
from tests.app.test_db_cli import _damage, _fill
from tests.ui.harness import run_gui_session
from tests.ui.waiting import wait_until
from ui.main_view import MainView


def test_damage_found_after_the_server_started_is_shown_with_the_fix(
        qloop: asyncio.AbstractEventLoop, qtbot: Any, qapp: Any, tmp_path: Path) -> None:
    data = tmp_path / "data"
    _fill(data, [f"v{i}" for i in range(300)])
    _damage(data / "db" / "sqlite" / "vip.sqlite")  # the header stays valid: the start check passes
    settings = Settings.load({"VIP_DATA_DIR": str(data), "VIP_WORKERS": "0"})
    view = MainView()
    qtbot.addWidget(view)
    view.show()

    async def look() -> tuple[str, str, str]:
        box = await wait_until(lambda: next((w for w in view.findChildren(QMessageBox) if w.isVisible()), None),
                               "the error box", 60)
        return box.windowTitle(), box.text(), view.statusBar().currentMessage()

    title, text, status = run_gui_session(qloop, qapp, settings, view, look, exit_code=3)
    assert title == "Database unavailable"
    assert text.startswith(f"The library database {data / 'db' / 'sqlite'} is damaged (database disk image is "
                           "malformed)"), text
    assert "Traceback" not in text and "vip db check" in text
    assert status == "Database unavailable — close the window"
    assert view.db_label.text() == "Database: unavailable"
    assert not (data / "db" / "server.json").exists()  # the session stopped the server it started


def test_a_database_that_dies_shows_reconnecting_and_comes_back_by_itself(
        qloop: asyncio.AbstractEventLoop, qtbot: Any, qapp: Any, tmp_path: Path) -> None:
    from app.embedded_db import _FileLock

    data = tmp_path / "data"
    settings = Settings.load({"VIP_DATA_DIR": str(data), "VIP_WORKERS": "0"})
    view = MainView()
    qtbot.addWidget(view)
    view.show()

    async def kill_the_server() -> tuple[str, str, str, dict[str, int], dict[str, int]]:
        await wait_until(lambda: view.db_label.text().endswith("✓"), "the database to be up", 60)
        state = data / "db" / "server.json"
        before = json.loads(state.read_text())
        # Hold the start lock, so the app's keeper cannot restart the server at once.
        with _FileLock(data / "db" / "start.lock"):
            os.kill(before["pid"], signal.SIGKILL)
            await wait_until(lambda: "reconnecting" in view.statusBar().currentMessage(), "reconnecting…", 30)
            away = view.db_label.text()
        await wait_until(lambda: view.db_label.text().endswith("✓"), "the database to be back", 30)
        after = json.loads(state.read_text())
        return away, view.statusBar().currentMessage(), view.db_label.text(), before, after

    away, status, label, before, after = run_gui_session(qloop, qapp, settings, view, kill_the_server, exit_code=0)
    assert away.startswith("Database: embedded FerretDB") and away.endswith("— reconnecting…")
    assert status == "Database reconnected"
    assert after["pid"] != before["pid"] and after["socket"] == before["socket"]  # restarted where clients look
