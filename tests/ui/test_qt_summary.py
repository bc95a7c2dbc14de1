"""The Summary tab of the review screen as an operator reads and uses it.

No database: a real 20 s clip made with ffmpeg (so the player can seek), its Video and shots, and
a summary written by the real local summariser from hand-written transcript lines and on-screen
text — the bug report's case: two sentences said at 0:03 and 0:13, "PLATFORM 9 DELAY" burned in
from 0:06, and a closing "Thank you for watching."
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import Qt

from core.models import MediaInfo, Shot, TextSegment, Video, VideoStatus
from core.models.passage import Passage
from core.summary.extractive import local_summary
from core.models.summary import LOCAL, Chapter, CommentaryLine, Summary
from tests.ui.waiting import wait_until
from ui.summary_widget import NOT_RUN_TEXT, SummaryWidget
from ui.video_detail_view import VideoDetailView

SECONDS, FPS = 20, 25
SAID = [(3.0, "Platform nine is closed this morning.", [1.0, 0.1, 0.0]),
        (13.0, "Trains to the coast leave from platform four.", [0.9, 0.2, 0.0]),
        (18.5, "Thank you for watching.", [0.95, 0.15, 0.0])]


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory) -> Video:
    if shutil.which("ffmpeg") is None:
        pytest.fail("ffmpeg is required for the tests: run `bash scripts/setup.sh`")
    path = tmp_path_factory.mktemp("clip") / "station.mp4"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    f"testsrc2=size=320x240:rate={FPS}:duration={SECONDS}", "-c:v", "libx264", "-preset", "ultrafast",
                    "-g", str(FPS), "-pix_fmt", "yuv420p", str(path)], check=True)
    media = MediaInfo(container="mp4", duration_s=float(SECONDS), start_s=0.0, fps=float(FPS), width=320,
                      height=240, rotation=0, display_width=320, display_height=240,
                      video_codec="h264", has_audio=False, audio_codec=None, audio_channels=None,
                      audio_sample_rate=None, bit_rate=None, frame_count=SECONDS * FPS,
                      size_bytes=path.stat().st_size)
    return Video(project_id="p1", path=str(path), fingerprint="f", size_bytes=media.size_bytes or 1,
                 id="v1", status=VideoStatus.READY, media=media, stages={"summary": {"status": "succeeded"}})


@pytest.fixture
def shots() -> list[Shot]:
    return [Shot("v1", 0, 0.0, 9.0, 0, 225, "start"), Shot("v1", 1, 9.0, 20.0, 225, 500, "cut")]


def station_summary(shots: list[Shot]) -> Summary:
    lines = [Passage(f"p{i}", "v1", "speech", "line", start, start + 2.5, text,
                     np.asarray(vector, np.float32) / np.linalg.norm(vector))
             for i, (start, text, vector) in enumerate(SAID)]
    on_screen = [TextSegment(video_id="v1", kind="ocr", start_s=6.0, end_s=10.0, text="PLATFORM 9 DELAY"),
                 TextSegment(video_id="v1", kind="ocr", start_s=6.0, end_s=10.0, text="06.00 s")]
    return local_summary(shots, lines, on_screen, 0.0, float(SECONDS))


def row(panel: SummaryWidget, text: str) -> int:
    return next(i for i, t in enumerate(panel.section_texts()) if text in t)


def test_the_summary_tab_shows_each_sentence_once_at_its_time_with_on_screen_text_and_no_sign_off(
        qloop: asyncio.AbstractEventLoop, qtbot: Any, video: Video, shots: list[Shot]) -> None:
    view = VideoDetailView()
    qtbot.addWidget(view)
    view.resize(1280, 800)
    view.show()
    panel = view.summary

    async def scenario() -> None:
        view.show_video(video, shots, [], [], station_summary(shots))
        view.side_tabs.setCurrentWidget(panel)
        assert panel.label.text().startswith("Local extractive summary")
        assert panel.section_texts() == [
            "Overview",
            "0:03  Platform nine is closed this morning.",
            "0:13  Trains to the coast leave from platform four.",
            "Chapters",
            "0:00  Shots 1–2",
            "\u2003\u20030:06  On screen: “PLATFORM 9 DELAY”",
        ]
        everything = "\n".join([panel.overview.text() if panel.overview.isVisible() else "", *panel.section_texts()])
        assert everything.count("Platform nine is closed this morning.") == 1  # the overview, once
        assert "Thank you for watching" not in everything and "06.00 s" not in everything
        assert panel.overview_text().splitlines()[1:] == ["0:03  Platform nine is closed this morning.",
                                                          "0:13  Trains to the coast leave from platform four."]
        await wait_until(view.player.is_ready, "the clip to load")
        for text, expected in (("0:13  Trains", 13.0), ("PLATFORM 9 DELAY", 6.0), ("0:03  Platform", 3.0)):
            item = panel.sections.item(row(panel, text))
            qtbot.mouseClick(panel.sections.viewport(), Qt.MouseButton.LeftButton,
                             pos=panel.sections.visualItemRect(item).center())
            await wait_until(lambda: abs((view.player.position_s() or -1) - expected) <= 0.1, f"the seek to {text}")
        position = view.player.position_s()
        heading = panel.sections.item(row(panel, "Chapters"))
        qtbot.mouseClick(panel.sections.viewport(), Qt.MouseButton.LeftButton,
                         pos=panel.sections.visualItemRect(heading).center())
        await asyncio.sleep(0.3)
        assert abs((view.player.position_s() or 0) - (position or 0)) < 0.1  # a heading is not a time
        view.close_video()

    qloop.run_until_complete(scenario())


def test_written_prose_is_shown_once_above_its_chapters_and_commentary(qtbot: Any) -> None:
    panel = SummaryWidget()
    qtbot.addWidget(panel)
    panel.resize(310, 600)
    panel.show()
    panel.set_summary(None)
    assert panel.label.text() == NOT_RUN_TEXT and not panel.sections.isVisible() and not panel.overview.isVisible()
    panel.set_summary(Summary(source="openai/gpt-4o-mini", overview="A station announcement about delays.",
                              chapters=[Chapter(10.0, 20.0, "Closures", "Platform nine is closed."),
                                        Chapter(20.0, 30.0, "Departures")],
                              commentary=[CommentaryLine(12.0, "The board turns red.")]), start_s=10.0)
    assert panel.label.text() == "Written by openai/gpt-4o-mini"
    assert panel.overview.isVisible() and panel.overview_text() == "Overview\nA station announcement about delays."
    assert panel.section_texts() == ["Chapters", "0:00  Closures\nPlatform nine is closed.", "0:10  Departures",
                                     "Commentary", "0:02  The board turns red."]
    seeks: list[float] = []
    panel.seek_requested.connect(seeks.append)
    item = panel.sections.item(4)
    qtbot.mouseClick(panel.sections.viewport(), Qt.MouseButton.LeftButton,
                     pos=panel.sections.visualItemRect(item).center())
    assert seeks == [12.0]
    panel.set_summary(Summary(source=LOCAL, overview="No speech or on-screen text; 2 shots.",
                              chapters=[Chapter(0.0, 9.0, "Shot 1"), Chapter(9.0, 20.0, "Shot 2")]))
    assert panel.overview_text() == "Overview\nNo speech or on-screen text; 2 shots."
    assert panel.section_texts() == ["0:00  Shot 1", "0:09  Shot 2"]
    shown = [TextSegment(video_id="v1", kind="ocr", start_s=6.0, end_s=10.0, text="PLATFORM 9 DELAY")]
    panel.set_summary(local_summary([Shot("v1", 0, 0.0, 20.0, 0, 500, "start")], [], shown, 0.0, 20.0))
    assert not panel.overview.isVisible()
    assert panel.section_texts() == ["Overview — no speech", "0:06  On screen: “PLATFORM 9 DELAY”", "Chapters",
                                     "0:00  Shot 1"]
