"""Speakers on the review screen: the transcript shows who says each line, and a speaker renamed
there (right-click → "Rename Speaker 1…") is stored for the video and shown when it is reopened;
a name that is a person's on the People page links the speaker to that person."""

from __future__ import annotations

import asyncio
from typing import Any

from PySide6.QtWidgets import QDialogButtonBox, QLineEdit

from core.models.person import Person
from core.models.segment import TextSegment
from core.repositories import DatabaseAddress, SegmentRepository, VideoRepository, connect
from core.repositories.people import PeopleRepository
from tests.media import MediaSet
from tests.ui.harness import running_app
from tests.ui.test_qt_transcript import _right_click
from tests.ui.waiting import wait_until

LINES = [(1.0, 2.5, "Good morning.", "S1"), (3.0, 4.5, "Morning, how are you?", "S2"), (5.0, 6.0, "Fine.", "S1")]


def test_renaming_a_speaker_in_the_transcript_is_kept(qloop: asyncio.AbstractEventLoop, qtbot: Any,
                                                      media: MediaSet, vip_env: dict[str, str]) -> None:
    async def scenario() -> None:
        async with running_app(qtbot, vip_env, people=True) as (view, controller, services):
            [job] = await controller.import_paths([media.good])
            client, db = connect(DatabaseAddress(vip_env["VIP_MONGO_URI"], vip_env["VIP_DB_NAME"]))
            try:  # what the speech and speakers stages would have stored
                SegmentRepository(db).replace_for_stage(job.video_id, "speech", [
                    TextSegment(video_id=job.video_id, kind="speech", stage="speech", start_s=s, end_s=e, text=t,
                                speaker=who) for s, e, t, who in LINES])
                VideoRepository(db).save_speakers(job.video_id, ["S1", "S2"])
                reed = Person(number=1, centroid=[0.0] * 128, name="Dr. Reed", count=1, videos=1)
                PeopleRepository(db).add(reed)  # on the People page: the speaker's name links to her
            finally:
                client.close()
            await controller.open_video(job.video_id)
            panel = view.detail.transcript
            await wait_until(lambda: len(panel.visible_lines()) == 3, "the transcript to show", 10)
            assert [line.split("  ", 1)[1] for line in panel.visible_lines()] == [
                "Speaker 1: Good morning.", "Speaker 2: Morning, how are you?", "Speaker 1: Fine."]

            _right_click(panel, 0)
            assert panel.context_menu is not None
            [rename] = panel.context_menu.actions()
            assert rename.text() == "Rename Speaker 1…"
            rename.trigger()
            dialog = panel.rename_dialog
            assert dialog is not None
            edit = dialog.findChild(QLineEdit)
            assert edit is not None
            qtbot.keyClicks(edit, "Dr. Reed")
            buttons = dialog.findChild(QDialogButtonBox)
            assert buttons is not None
            buttons.accepted.emit()

            async def stored() -> str | None:
                video = await services.library.video(job.video_id)
                return (video.speakers.get("S1") or {}).get("name") if video else None

            for _ in range(50):
                if await stored() == "Dr. Reed":
                    break
                await asyncio.sleep(0.1)
            assert await stored() == "Dr. Reed"
            video = await services.library.video(job.video_id)
            assert video is not None and video.speakers["S1"]["person_id"] == reed.id
            view.show_library()
            await controller.open_video(job.video_id)  # read back from the database
            await wait_until(lambda: len(panel.visible_lines()) == 3, "the transcript to show again", 10)
            assert [line.split("  ", 1)[1] for line in panel.visible_lines()] == [
                "Dr. Reed: Good morning.", "Speaker 2: Morning, how are you?", "Dr. Reed: Fine."]

    qloop.run_until_complete(scenario())
