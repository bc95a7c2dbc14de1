"""The REST API page: Start serves the library over HTTP with the token, Stop ends it; a port in
use says so."""

from __future__ import annotations

import asyncio
import json
import socket
import urllib.error
import urllib.request
from typing import Any

from PySide6.QtCore import Qt

from tests.ui.harness import running_app
from tests.ui.waiting import wait_until
from ui.api_view import ApiServerDialog


def _get(url: str, token: str | None) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=5) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_start_and_stop_the_api_from_the_app(qloop: asyncio.AbstractEventLoop, qtbot: Any,
                                             vip_env: dict[str, str]) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    async def scenario() -> None:
        async with running_app(qtbot, vip_env, api=True) as (view, controller, _services):
            view.api_action.trigger()
            dialog: ApiServerDialog = await wait_until(
                lambda: next((d for d in controller._dialogs if isinstance(d, ApiServerDialog)), None), "the page")
            assert dialog.status.text() == "Stopped" and not dialog.stop_button.isEnabled()
            token = dialog.token_edit.text()
            assert len(token) >= 40
            dialog.port_spin.selectAll()
            qtbot.keyClicks(dialog.port_spin, str(port))
            qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
            await wait_until(lambda: dialog.status.text().startswith(f"Serving on http://127.0.0.1:{port}/api/v1"),
                             "the server to start")
            status, projects = await asyncio.to_thread(_get, f"http://127.0.0.1:{port}/api/v1/projects", token)
            assert status == 200 and [p["name"] for p in projects] == ["Default"]
            assert (await asyncio.to_thread(_get, f"http://127.0.0.1:{port}/api/v1/projects", None))[0] == 401
            qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
            from PySide6.QtGui import QGuiApplication

            assert QGuiApplication.clipboard().text() == token
            qtbot.mouseClick(dialog.stop_button, Qt.MouseButton.LeftButton)
            await wait_until(lambda: dialog.status.text() == "Stopped", "the server to stop")
            try:
                await asyncio.to_thread(_get, f"http://127.0.0.1:{port}/api/v1/projects", token)
                raise AssertionError("the API still answers after Stop")
            except urllib.error.URLError:
                pass
            with socket.socket() as taken:  # a port in use: the page says so, nothing else breaks
                taken.bind(("127.0.0.1", 0))
                taken.listen()
                dialog.port_spin.setValue(taken.getsockname()[1])
                qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
                await wait_until(lambda: dialog.status.text().startswith("Could not start"), "the error")
            assert dialog.start_button.isEnabled()

    qloop.run_until_complete(scenario())
