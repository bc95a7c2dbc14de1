"""The Analysis profile page, as an operator uses it: untick stages, pick a language, Save; the
project's next job runs only the ticked stages. Real services against the test database."""

from __future__ import annotations

import asyncio
from typing import Any

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QCheckBox

from app.wiring import Services
from core.models import Video
from core.models.profile import AnalysisProfile
from core.pipeline import default_stages
from core.repositories import AsyncVideoRepository, DatabaseAddress, connect_async
from tests.ui.harness import running_app
from tests.ui.waiting import wait_until
from ui.main_controller import MainController
from ui.main_view import MainView
from ui.profile_view import ProfileDialog

STAGES = [s.name for s in default_stages()]


def click(qtbot: Any, box: QCheckBox) -> None:
    """Click the box's tick square, as a mouse would."""
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))


async def open_page(view: MainView, controller: MainController) -> ProfileDialog:
    view.profile_action.trigger()
    dialog: ProfileDialog = await wait_until(lambda: next((d for d in controller._dialogs if isinstance(d, ProfileDialog)), None),
                              "the profile page")
    await wait_until(dialog.save_button.isEnabled, "the profile to load")
    return dialog


async def new_job_stages(vip_env: dict[str, str], services: Services, project_id: str, name: str) -> list[str]:
    client, db = connect_async(DatabaseAddress(vip_env["VIP_MONGO_URI"], vip_env["VIP_DB_NAME"]))
    try:
        video, _ = await AsyncVideoRepository(db).add(Video(project_id=project_id, path=f"/clips/{name}.mp4",
                                                            fingerprint=f"fp-{name}", size_bytes=10))
    finally:
        await client.close()
    jobs = await services.jobs.analyze([video])
    return [s.name for s in jobs[0].stages]


def test_untick_stages_and_save(qloop: asyncio.AbstractEventLoop, qtbot: Any, vip_env: dict[str, str]) -> None:
    async def scenario() -> None:
        async with running_app(qtbot, vip_env, profiles=True) as (view, controller, services):
            assert services.profiles is not None and controller.project_id is not None
            project_id = controller.project_id
            dialog = await open_page(view, controller)
            assert dialog.stages_box.title() == "Project “Default”: analysis stages"
            assert list(dialog.boxes) == STAGES
            assert not dialog.boxes["probe"].isEnabled() and dialog.boxes["probe"].isChecked()
            assert dialog.notes["visual"].text() == "always runs"
            assert all(dialog.boxes[n].isChecked() for n in STAGES if n != "translate")
            assert dialog.language.currentText() == "en"

            # An essential box does not change when clicked.
            click(qtbot, dialog.boxes["probe"])
            assert dialog.boxes["probe"].isChecked()
            click(qtbot, dialog.boxes["ocr"])
            click(qtbot, dialog.boxes["summary"])
            assert not dialog.boxes["ocr"].isChecked() and not dialog.boxes["summary"].isChecked()
            if "speakers" in STAGES:  # a stage whose input is off says so, and stays out of jobs
                click(qtbot, dialog.boxes["speech"])
                assert dialog.notes["speakers"].text() == "not run: needs Speech transcript"
                click(qtbot, dialog.boxes["speech"])
                assert dialog.notes["speakers"].text() == ""
            dialog.language.setEditText("fr")
            qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
            await wait_until(lambda: dialog.message.text().startswith("Saved."), "the saved message")
            assert "On-screen text" not in dialog.message.text() and "Speech transcript" in dialog.message.text()

            stored = await services.profiles.get(project_id)
            assert not stored.is_on("ocr") and not stored.is_on("summary") and stored.is_on("speech")
            assert stored.translate_to == "fr"
            assert await new_job_stages(vip_env, services, project_id, "a") == [
                n for n in STAGES if n not in ("ocr", "summary", "translate")]

            # A language that is not a code is refused; the stored profile stays as it was.
            dialog.language.setEditText("French please")
            qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
            await wait_until(lambda: "not a language code" in dialog.message.text(), "the language error")
            assert await services.profiles.get(project_id) == stored

            # Reopened, the page shows what was saved; ticking OCR again brings it back to jobs.
            dialog.close()
            again = await open_page(view, controller)
            assert again is not dialog
            assert not again.boxes["ocr"].isChecked() and again.boxes["speech"].isChecked()
            assert again.language.currentText() == "fr"
            click(qtbot, again.boxes["ocr"])
            qtbot.mouseClick(again.save_button, Qt.MouseButton.LeftButton)
            await wait_until(lambda: again.message.text().startswith("Saved."), "the second save")
            assert await new_job_stages(vip_env, services, project_id, "b") == [
                n for n in STAGES if n not in ("summary", "translate")]
            assert (await services.profiles.get(project_id)) != AnalysisProfile()

    qloop.run_until_complete(scenario())
