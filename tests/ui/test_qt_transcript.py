"""The transcript and on-screen text panels of the review screen as an operator uses them: read,
click, follow, search.

No database: a real 6 s clip made with ffmpeg (so the player can seek), its Video and shots,
and hand-written speech and OCR segments. The scenarios run inside the qasync loop and wait with the
async `wait_until` (see tests/ui/waiting.py).
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QLineEdit

from core.models import MediaInfo, Shot, TextSegment, Video, VideoStatus, Word
from core.search.results import SearchHit, VideoResult
from core.subtitles import parse_srt
from core.models.summary import LOCAL, Chapter, Summary
from tests.ui.waiting import wait_until
from core.services import ClientServices
from ui.main_controller import ControllerConfig, MainController
from ui.main_view import MainView
from ui.onscreen_text_widget import OnScreenTextWidget
from ui.transcript_widget import NO_SPEECH_TEXT, NOT_RUN_TEXT, TranscriptWidget
from ui.video_detail_view import VideoDetailView

FPS = 25
LINES = [  # (start_s, end_s, text)
    (0.2, 1.4, "Welcome to the harbour tour."),
    (1.6, 2.8, "On the left you can see the old lighthouse."),
    (3.0, 4.4, "The lighthouse was built in 1852."),
    (4.6, 5.8, "Thank you for watching."),
]


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", *args], check=True)


def _segments(video_id: str, lines: list[tuple[float, float, str]]) -> list[TextSegment]:
    return [TextSegment(video_id=video_id, kind="speech", start_s=start, end_s=end, text=text,
                        language="en", confidence=0.9,
                        words=[Word(w, start, end, 0.9) for w in text.split()])
            for start, end, text in lines]


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory) -> Video:
    if shutil.which("ffmpeg") is None:
        pytest.fail("ffmpeg is required for the tests: run `bash scripts/setup.sh`")
    path = tmp_path_factory.mktemp("clip") / "harbour tour.mp4"
    _ffmpeg("-f", "lavfi", "-i", f"testsrc2=size=320x240:rate={FPS}:duration=6", "-c:v", "libx264",
            "-preset", "ultrafast", "-g", "25", "-pix_fmt", "yuv420p", str(path))
    media = MediaInfo(container="mp4", duration_s=6.0, start_s=0.0, fps=float(FPS), width=320,
                      height=240, rotation=0, display_width=320, display_height=240,
                      video_codec="h264", has_audio=False, audio_codec=None, audio_channels=None,
                      audio_sample_rate=None, bit_rate=None, frame_count=6 * FPS,
                      size_bytes=path.stat().st_size)
    return Video(project_id="p1", path=str(path), fingerprint="f", size_bytes=media.size_bytes or 1,
                 id="v1", status=VideoStatus.READY, media=media,
                 stages={"speech": {"status": "succeeded", "version": 1}})


@pytest.fixture
def shots() -> list[Shot]:
    return [Shot(video_id="v1", index=i, start_s=3.0 * i, end_s=3.0 * (i + 1), start_frame=75 * i,
                 end_frame=75 * (i + 1), transition="cut" if i else "start") for i in range(2)]


def near(value: float | None, expected: float, tolerance: float) -> bool:
    return value is not None and abs(value - expected) <= tolerance


def test_read_click_follow_and_search_the_transcript(qloop: asyncio.AbstractEventLoop, qtbot: Any,
                                                     video: Video, shots: list[Shot], tmp_path: Path) -> None:
    view = VideoDetailView()
    qtbot.addWidget(view)
    view.resize(1200, 760)
    view.show()
    panel = view.transcript
    player = view.player

    async def scenario() -> None:
        view.show_video(video, shots, _segments("v1", LINES))
        view.side_tabs.setCurrentWidget(panel)
        assert view.side_tabs.tabText(1) == "Transcript (4)"
        assert panel.visible_lines() == ["0:00  Welcome to the harbour tour.",
                                         "0:01  On the left you can see the old lighthouse.",
                                         "0:03  The lighthouse was built in 1852.",
                                         "0:04  Thank you for watching."]
        assert panel.count_label.text().startswith("4 lines")
        assert not panel.empty_label.isVisible()
        await wait_until(player.is_ready, "the clip to load")

        # Clicking the 3rd line plays from its start; it becomes the highlighted line.
        qtbot.mouseClick(panel.lines.viewport(), Qt.MouseButton.LeftButton, pos=panel.line_rect(2).center())
        await wait_until(lambda: near(player.position_s(), 3.0, 0.1), "the seek to line 3")
        assert panel.highlighted() == 2

        # Seeking into the 2nd line's time highlights it; between lines nothing is.
        view.seek_to(2.0)
        await wait_until(lambda: near(player.position_s(), 2.0, 0.1), "the seek to 2.0 s")
        assert panel.highlighted() == 1
        view.seek_to(2.9)
        assert panel.highlighted() is None

        # Playback moves the highlight along.
        view.seek_to(4.0)
        player.play()
        await wait_until(lambda: panel.highlighted() == 3, "playback to reach the last line")
        player.pause()

        # Searching narrows the lines (case-insensitive) and says how many match.
        qtbot.keyClicks(panel.search, "LIGHTHOUSE")
        assert panel.visible_lines() == ["0:01  On the left you can see the old lighthouse.",
                                         "0:03  The lighthouse was built in 1852."]
        assert panel.count_label.text() == "2 of 4 lines"
        panel.search.setText("submarine")
        assert panel.visible_lines() == []
        assert panel.count_label.text() == "No line contains “submarine”"
        qtbot.keyClick(panel.search, Qt.Key.Key_Escape)  # Esc clears the search
        assert panel.search.text() == "" and len(panel.visible_lines()) == 4

        # The Export menu offers the transcript as subtitles (no summary here: none offered).
        assert view.export_menu_texts() == [
            "Shot list as CSV…", "Shot list as JSON…", "Shot list as EDL…", "Contact sheet…", "—",
            "Transcript as SRT…", "Transcript as VTT…", "—", "Editing software: OpenTimelineIO…",
            "Final Cut Pro / Resolve (FCPXML)…", "Premiere Pro (XML)…", "Resolve markers (EDL)…", "Avid markers…",
            "YouTube chapters…"]
        srt = parse_srt((await view.export_to("srt", tmp_path / "t.srt")).read_text(encoding="utf-8"))
        assert [(c.start_s, c.text) for c in srt] == [(start, text) for start, _end, text in LINES]
        vtt = (await view.export_to("vtt", tmp_path / "t.vtt")).read_text(encoding="utf-8")
        assert vtt.startswith("WEBVTT") and "00:00:03.000 --> 00:00:04.400" in vtt
        view.close_video()

    qloop.run_until_complete(scenario())


def test_empty_transcript_says_why(qtbot: Any) -> None:
    panel = TranscriptWidget()
    qtbot.addWidget(panel)
    panel.show()
    panel.set_transcript([], speech_status=None)
    assert panel.empty_label.isVisible() and panel.empty_label.text() == NOT_RUN_TEXT
    assert NOT_RUN_TEXT == "No transcript yet — the speech stage has not run"
    assert not panel.search.isVisible() and not panel.lines.isVisible()
    panel.set_transcript([], speech_status="succeeded")
    assert panel.empty_label.text() == NO_SPEECH_TEXT == "No speech in this video"
    panel.set_transcript(_segments("v1", LINES[:1]), speech_status="succeeded")
    assert not panel.empty_label.isVisible() and panel.visible_lines() == ["0:00  Welcome to the harbour tour."]


def test_detail_view_without_transcript_and_old_callers(qloop: asyncio.AbstractEventLoop, qtbot: Any,
                                                        video: Video, shots: list[Shot]) -> None:
    view = VideoDetailView()
    qtbot.addWidget(view)
    view.show()
    not_run = Video(project_id="p1", path=video.path, fingerprint="f", size_bytes=1, id="v2",
                    status=VideoStatus.READY, media=video.media)

    async def scenario() -> None:
        view.show_video(not_run, shots)  # the two-argument form still works
        view.side_tabs.setCurrentWidget(view.transcript)
        assert view.side_tabs.tabText(1) == "Transcript"
        assert "Transcript as SRT…" not in view.export_menu_texts()
        assert view.transcript.empty_label.text() == NOT_RUN_TEXT
        view.show_video(video, shots, [])
        assert view.transcript.empty_label.text() == NO_SPEECH_TEXT
        view.close_video()

    qloop.run_until_complete(scenario())


def test_four_thousand_lines_stay_cheap(qtbot: Any) -> None:
    lines = [(i * 2.0, i * 2.0 + 1.8, f"Line number {i} of a long talk about harbours and ships.")
             for i in range(4000)]
    panel = TranscriptWidget()
    qtbot.addWidget(panel)
    panel.resize(320, 600)
    panel.show()
    started = time.perf_counter()
    panel.set_transcript(_segments("v1", lines))
    assert time.perf_counter() - started < 2.0
    assert panel.line_text(3999).startswith("2:13:18  Line number 3999")
    started = time.perf_counter()
    for step in range(2000):  # what an hour of position updates does, compressed
        panel.set_position(step * 3.7)
    assert time.perf_counter() - started < 2.0
    assert panel.highlighted() == int(1999 * 3.7 // 2)
    started = time.perf_counter()
    qtbot.keyClicks(panel.search, "number 39")
    assert time.perf_counter() - started < 2.0
    assert panel.count_label.text() == "111 of 4000 lines"


def test_times_count_from_the_first_frame(qtbot: Any) -> None:
    """Segments carry PTS times; lines show time since the first frame, like the player."""
    panel = TranscriptWidget()
    qtbot.addWidget(panel)
    panel.set_transcript(_segments("v1", [(1.0, 2.0, "Hello"), (63.5, 65.0, "Later")]), start_s=1.0)
    assert [panel.line_text(i) for i in range(2)] == ["0:00  Hello", "1:02  Later"]
    assert panel.line_at(1.5) == 0 and panel.line_at(64.0) == 1 and panel.line_at(10.0) is None


class FakeLibrary:
    """The LibraryService calls the review screen needs; segments of a kind in `failing` raise."""

    def __init__(self, video: Video, shots: list[Shot], segments: list[TextSegment],
                 failing: tuple[str, ...] = ()) -> None:
        self.clip, self.clip_shots, self.clip_segments = video, shots, segments
        self.failing = failing
        self.asked: list[tuple[str, str | None]] = []

    async def video(self, video_id: str) -> Video | None:
        return self.clip if video_id == self.clip.id else None

    async def shots(self, video_id: str) -> list[Shot]:
        return self.clip_shots

    async def segments(self, video_id: str, kind: str | None = None) -> list[TextSegment]:
        self.asked.append((video_id, kind))
        if kind in self.failing:
            raise ConnectionError("the database did not answer")
        return [s for s in self.clip_segments if kind is None or s.kind == kind]

    async def summary(self, video_id: str) -> Summary | None:
        return Summary(source=LOCAL, overview="A harbour tour past the old lighthouse.",
                       chapters=[Chapter(0.0, 3.0, "Welcome to the harbour tour."),
                                 Chapter(3.0, 6.0, "The lighthouse was built in 1852.", "Thank you for watching.")])


def test_opening_a_video_loads_its_transcript(qloop: asyncio.AbstractEventLoop, qtbot: Any, video: Video,
                                              shots: list[Shot], tmp_path: Path) -> None:
    view = MainView()
    qtbot.addWidget(view)
    view.show()
    library = FakeLibrary(video, shots, _segments("v1", LINES))
    controller = MainController(view, ClientServices(None, None, library, None, None),  # type: ignore[arg-type]
                                ControllerConfig(samples_dir=tmp_path, database_text="none"))

    async def scenario() -> None:
        await controller.open_video("v1")
        assert view.showing_detail() and library.asked == [("v1", "speech"), ("v1", "translation"), ("v1", "ocr"), ("v1", "face")]
        assert view.detail.side_tabs.tabText(1) == "Transcript (4)"
        assert view.detail.transcript.visible_lines()[0] == "0:00  Welcome to the harbour tour."
        assert view.detail.notice.text() == ""
        summary = view.detail.summary
        view.detail.side_tabs.setCurrentWidget(summary)
        assert summary.label.text().startswith("Local extractive summary")
        assert "A harbour tour past the old lighthouse." in summary.overview.text()
        assert summary.section_texts() == ["0:00  Welcome to the harbour tour.",
                                           "0:03  The lighthouse was built in 1852.\nThank you for watching."]
        await wait_until(view.detail.player.is_ready, "the clip to load")
        item = summary.sections.item(1)
        qtbot.mouseClick(summary.sections.viewport(), Qt.MouseButton.LeftButton,
                         pos=summary.sections.visualItemRect(item).center())
        await wait_until(lambda: near(view.detail.player.position_s(), 3.0, 0.1), "the seek to chapter 2")
        view.detail.go_back()
        await controller.stop()

    qloop.run_until_complete(scenario())


ON_SCREEN = [  # (start_s, end_s, text): a sign, a caption over it, a short one inside the caption
    (0.5, 2.5, "HARBOUR TOURS\nDaily 10:00"),
    (1.0, 5.5, "Lighthouse 1852"),
    (3.2, 4.0, "EXIT"),
]


def _ocr(video_id: str, lines: list[tuple[float, float, str]]) -> list[TextSegment]:
    return [TextSegment(video_id=video_id, kind="ocr", stage="ocr", start_s=start, end_s=end, text=text,
                        confidence=0.93) for start, end, text in lines]


def test_onscreen_text_tab_lists_the_text_seeks_follows_and_filters(
        qloop: asyncio.AbstractEventLoop, qtbot: Any, video: Video, shots: list[Shot], tmp_path: Path) -> None:
    view = MainView()
    qtbot.addWidget(view)
    view.resize(1280, 800)
    view.show()
    read = Video(**{**video.__dict__, "stages": {**video.stages, "ocr": {"status": "succeeded", "version": 2}}})
    library = FakeLibrary(read, shots, _segments("v1", LINES) + _ocr("v1", ON_SCREEN))
    controller = MainController(view, ClientServices(None, None, library, None, None),  # type: ignore[arg-type]
                                ControllerConfig(samples_dir=tmp_path, database_text="none"))
    detail = view.detail
    panel = detail.onscreen

    async def scenario() -> None:
        await controller.open_video("v1")
        tabs = detail.side_tabs
        index = tabs.indexOf(panel)
        assert tabs.tabText(index) == "On-screen text (3)"
        qtbot.mouseClick(tabs.tabBar(), Qt.MouseButton.LeftButton, pos=tabs.tabBar().tabRect(index).center())
        assert tabs.currentWidget() is panel and panel.isVisible()
        assert panel.visible_lines() == ["0:00  HARBOUR TOURS Daily 10:00", "0:01  Lighthouse 1852",
                                         "0:03  EXIT"]
        assert panel.count_label.text() == "3 texts · click a text to play from there"
        assert panel.line_tip(2) == "On screen 0:03 – 0:04, read with 93% confidence\nClick to play from here"
        assert detail.transcript.line_count() == 4  # the speech stays in its own tab
        assert detail.notice.text() == ""
        await wait_until(detail.player.is_ready, "the clip to load")

        # A click on a line plays from its start, and that line is the one highlighted.
        qtbot.mouseClick(panel.lines.viewport(), Qt.MouseButton.LeftButton, pos=panel.line_rect(2).center())
        await wait_until(lambda: near(detail.player.position_s(), 3.2, 0.1), "the seek to “EXIT”")
        assert panel.highlighted() == 2

        # Texts overlap: the one that appeared last among those on screen is highlighted.
        for at, expected in ((2.0, 1), (0.7, 0), (4.5, 1), (5.8, None)):
            detail.seek_to(at)
            await wait_until(lambda at=at: near(detail.player.position_s(), at, 0.1), f"the seek to {at} s")
            assert panel.highlighted() == expected, at

        # The filter box narrows the lines, like the transcript's; Esc clears it.
        qtbot.keyClicks(panel.search, "light")
        assert panel.visible_lines() == ["0:01  Lighthouse 1852"]
        assert panel.count_label.text() == "1 of 3 texts"
        qtbot.keyClick(panel.search, Qt.Key.Key_Escape)
        assert len(panel.visible_lines()) == 3

        # An "on screen" search hit opens this tab; a spoken one the transcript.
        detail.go_back()
        hit = SearchHit(passage_id="p", modality="text", unit="ocr", start_s=3.2, end_s=4.0, text="EXIT",
                        highlights=(), matched_by=("keyword",), score=1.0)
        result = VideoResult(video_id="v1", name=read.name, path=read.path, project_id="p1", duration_s=6.0,
                             score=1.0, hits=[hit])
        tabs.setCurrentIndex(0)
        await controller.open_hit(result, hit)
        assert view.showing_detail() and tabs.currentWidget() is panel
        await wait_until(lambda: panel.highlighted() == 2, "the hit's line to be highlighted")
        detail.go_back()
        await controller.stop()

    qloop.run_until_complete(scenario())


def test_onscreen_text_that_fails_to_load_is_named(qloop: asyncio.AbstractEventLoop, qtbot: Any, video: Video,
                                                    shots: list[Shot], tmp_path: Path) -> None:
    view = MainView()
    qtbot.addWidget(view)
    view.show()
    library = FakeLibrary(video, shots, _segments("v1", LINES) + _ocr("v1", ON_SCREEN), failing=("ocr",))
    controller = MainController(view, ClientServices(None, None, library, None, None),  # type: ignore[arg-type]
                                ControllerConfig(samples_dir=tmp_path, database_text="none"))

    async def scenario() -> None:
        await controller.open_video("v1")
        detail = view.detail
        assert view.showing_detail()
        assert detail.notice.text() == "Could not load the on-screen text: the database did not answer"
        assert detail.side_tabs.tabText(detail.side_tabs.indexOf(detail.onscreen)) == "On-screen text"
        assert detail.transcript.line_count() == 4  # the rest still opens
        detail.go_back()
        await controller.stop()

    qloop.run_until_complete(scenario())


def test_empty_onscreen_text_says_why(qtbot: Any) -> None:
    panel = OnScreenTextWidget()
    qtbot.addWidget(panel)
    panel.show()
    panel.set_segments([], stage_status=None)
    assert panel.empty_label.isVisible()
    assert panel.empty_label.text() == "No on-screen text yet — the on-screen text stage has not run"
    panel.set_segments([], stage_status="succeeded")
    assert panel.empty_label.text() == "No on-screen text in this video"
    panel.set_segments([], stage_status="failed")
    assert panel.empty_label.text().startswith("No on-screen text — the on-screen text stage failed")
    panel.set_segments(_ocr("v1", [(3725.0, 3727.0, "CREDITS")]), stage_status="succeeded")
    assert not panel.empty_label.isVisible() and panel.visible_lines() == ["1:02:05  CREDITS"]


GERMAN = [(1.0, 3.0, "Guten Tag.", "S1"), (3.5, 5.0, "Wie geht es dir?", "S2"), (5.5, 6.0, "Danke.", None)]
ENGLISH = [(1.1, 3.1, "Good day."), (3.4, 5.1, "How are you?"), (5.4, 6.0, "Thanks.")]


def _spoken(lines: list[tuple[float, float, str, str | None]]) -> list[TextSegment]:
    return [TextSegment(video_id="v1", kind="speech", start_s=start, end_s=end, text=text, speaker=speaker,
                        language="de") for start, end, text, speaker in lines]


def _translated(lines: list[tuple[float, float, str]]) -> list[TextSegment]:
    return [TextSegment(video_id="v1", kind="translation", stage="translate", start_s=start, end_s=end,
                        text=text, language="en") for start, end, text in lines]


def _right_click(panel: TranscriptWidget, line: int) -> None:
    """What a right-click on line `line` sends the list (offscreen Qt makes no context event of a click)."""
    viewport = panel.lines.viewport()
    at = panel.line_rect(line).center()
    QApplication.sendEvent(viewport, QContextMenuEvent(QContextMenuEvent.Reason.Mouse, at, viewport.mapToGlobal(at)))


def test_speakers_translation_toggle_and_renaming_a_speaker(qtbot: Any) -> None:
    panel = TranscriptWidget()
    qtbot.addWidget(panel)
    panel.resize(480, 600)
    panel.show()
    panel.set_transcript(_spoken(GERMAN), speakers={"S2": "Anna"})
    assert panel.visible_lines() == ["0:01  Speaker 1: Guten Tag.", "0:03  Anna: Wie geht es dir?", "0:05  Danke."]
    assert not panel.translation_bar.isVisible()  # no translation track: no toggle
    assert "Right-click to rename Anna" in panel.line_tip(1)

    # With a translation track the toggle shows it under each line, then instead of it.
    panel.set_transcript(_spoken(GERMAN), speakers={"S2": "Anna"}, translation=_translated(ENGLISH))
    assert panel.translation_bar.isVisible() and panel.translation_toggle.text() == "Show the English translation"
    assert not panel.translation_toggle.isChecked() and not panel.translation_only.isEnabled()
    assert panel.visible_lines()[0] == "0:01  Speaker 1: Guten Tag."
    qtbot.mouseClick(panel.translation_toggle, Qt.MouseButton.LeftButton)
    assert panel.visible_lines() == ["0:01  Speaker 1: Guten Tag.\nGood day.",
                                     "0:03  Anna: Wie geht es dir?\nHow are you?", "0:05  Danke.\nThanks."]
    qtbot.mouseClick(panel.translation_only, Qt.MouseButton.LeftButton)
    assert panel.visible_lines() == ["0:01  Speaker 1: Good day.", "0:03  Anna: How are you?", "0:05  Thanks."]
    qtbot.keyClicks(panel.search, "how are")  # the search finds what is shown
    assert panel.visible_lines() == ["0:03  Anna: How are you?"]
    qtbot.keyClick(panel.search, Qt.Key.Key_Escape)

    # Right-click a line → "Rename Speaker 1…" → type a name → OK: the lines show it, the owner is told.
    _right_click(panel, 0)
    menu = panel.context_menu
    assert menu is not None and menu.isVisible()
    assert [a.text() for a in menu.actions()] == ["Rename Speaker 1…"]
    menu.actions()[0].trigger()
    dialog = panel.rename_dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.labelText() == "Name for Speaker 1, on every line of theirs in this video:"
    edit = dialog.findChild(QLineEdit)
    assert edit is not None
    qtbot.keyClicks(edit, "Jonas")
    buttons = dialog.findChild(QDialogButtonBox)
    assert buttons is not None
    ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
    with qtbot.waitSignal(panel.speaker_rename_requested, timeout=2000) as renamed:
        qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    assert renamed.args == ["S1", "Jonas"]
    assert panel.visible_lines()[0] == "0:01  Jonas: Good day."
    assert panel.speaker_names() == {"S1": "Jonas", "S2": "Anna"}

    # A line without a speaker offers nothing to rename.
    menu.close()
    _right_click(panel, 2)
    assert panel.context_menu is menu and not menu.isVisible()
