"""Searching the library from the main window as an operator does: type, read, choose a moment.

No database and no index: a stand-in search service answers with hand-made VideoResults (as
the other UI tests use a FakeLibrary), and the review screen opens a real 6 s clip made with
ffmpeg, so the player can seek and play. The scenarios run inside the qasync loop and wait
with the async `wait_until` (see tests/ui/waiting.py).
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image
from PySide6.QtCore import Qt

from core.models import Shot, Video
from core.models.video import MediaInfo
from core.search.filters import SearchFilters
from core.search.passage import IndexHit
from core.models.passage import DIM
from core.search.results import SearchHit, VideoResult
from core.search.service import SearchService
from core.search.sync import SyncReport
from tests.ui.test_qt_transcript import LINES, FakeLibrary, _segments, near, shots, video  # noqa: F401 (fixtures)
from tests.ui.waiting import wait_until
from core.services import ClientServices
from ui.main_controller import ControllerConfig, MainController
from ui.main_view import MainView
from ui.search import RESULT_LIMIT


def _hit(start: float, end: float, text: str, word: str, modality: str = "speech",
         matched_by: tuple[str, ...] = ("keyword", "meaning"), score: float = 0.03,
         similarity: float | None = None) -> SearchHit:
    at = text.casefold().find(word.casefold())
    spans = ((at, at + len(word)),) if at >= 0 else ()
    return SearchHit(passage_id=f"p-{start}", modality=modality, unit="line" if modality == "speech" else "ocr",
                     start_s=start, end_s=end, text=text, highlights=spans, matched_by=matched_by, score=score,
                     similarity=similarity, words=(word.casefold(),) if "keyword" in matched_by else ())


class FakeSearch:
    """The SearchService calls the GUI makes; answers come from `answers` (query -> results)."""

    def __init__(self, answers: dict[str, list[VideoResult]], delays: dict[str, float] | None = None) -> None:
        self.answers = answers
        self.delays = delays or {}
        self.calls: list[tuple[str, SearchFilters, int]] = []
        self.cancelled: list[str] = []
        self.error: Exception | None = None

    async def search(self, query: str, filters: SearchFilters | None = None, limit: int = 20) -> list[VideoResult]:
        self.calls.append((query, filters or SearchFilters(), limit))
        try:
            await asyncio.sleep(self.delays.get(query, 0.01))
        except asyncio.CancelledError:
            self.cancelled.append(query)
            raise
        if self.error is not None:
            raise self.error
        return self.answers.get(query, [])

    async def sync(self) -> SyncReport:
        return SyncReport(0, 0, 0)


@pytest.fixture
def answers(video: Video, tmp_path: Path) -> dict[str, list[VideoResult]]:
    keyframe = tmp_path / "keyframe.png"
    Image.new("RGB", (320, 180), (200, 40, 40)).save(keyframe)
    harbour = VideoResult(
        video_id="v1", name="harbour tour.mp4", path=video.path, project_id="p1", duration_s=6.0, score=0.05,
        hits=[_hit(1.6, 2.8, LINES[1][2], "lighthouse", score=0.02), _hit(3.0, 4.4, LINES[2][2], "lighthouse")],
        keyframe_path=str(keyframe))  # moments in time order, as the search service gives them
    city = VideoResult(
        video_id="v2", name="city walk.mp4", path="/videos/city walk.mp4", project_id="p2", duration_s=754.0,
        score=0.02, hits=[_hit(72.5, 75.0, "LIGHTHOUSE CAFE — open daily", "lighthouse", "text", ("keyword",))])
    by_meaning = VideoResult(  # found by meaning alone: no word of the query is in the text
        video_id="v1", name="harbour tour.mp4", path=video.path, project_id="p1", duration_s=6.0, score=0.01,
        hits=[_hit(1.6, 2.8, LINES[1][2], "-", matched_by=("meaning",), score=0.02, similarity=0.41),
              _hit(3.0, 4.4, LINES[2][2], "-", matched_by=("meaning",), similarity=0.58)])
    return {"lighthouse": [harbour, city], "light": [city], "the old tower by the sea": [by_meaning]}


@pytest.fixture
def window(qtbot: Any, video: Video, shots: list[Shot], answers: dict[str, list[VideoResult]],  # noqa: F811
           tmp_path: Path) -> tuple[MainView, MainController, FakeSearch]:
    view = MainView()
    qtbot.addWidget(view)
    view.resize(1280, 800)
    view.show()
    search = FakeSearch(answers)
    controller = MainController(view, ClientServices(None, None, FakeLibrary(video, shots, _segments("v1", LINES)),  # type: ignore[arg-type]
                                                     None, search),  # type: ignore[arg-type]
                                ControllerConfig(samples_dir=tmp_path, database_text="none"))
    controller.project_id = "p1"
    return view, controller, search


def test_typing_shows_results_grouped_per_video_with_highlighted_snippets(
        qloop: asyncio.AbstractEventLoop, qtbot: Any, window: tuple[MainView, MainController, FakeSearch]) -> None:
    view, controller, search = window
    page = view.search

    async def scenario() -> None:
        view.activateWindow()
        await wait_until(view.isActiveWindow, "the window to be active")
        qtbot.keyClick(view, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)  # Ctrl+F focuses the box
        assert page.box.hasFocus()
        qtbot.keyClicks(page.box, "lighthouse")
        assert search.calls == []  # typing: nothing asked yet (debounced)
        await wait_until(lambda: page.visible_rows(), "the results")
        assert [c[0] for c in search.calls] == ["lighthouse"]  # one search for the whole word, not per key
        assert view.showing_search()
        assert page.visible_rows() == [
            "harbour tour.mp4 — 2 moments · best at 0:03 · 0:06 long",
            "0:01 · spoken · On the left you can see the old <b>lighthouse</b>. · words: lighthouse + meaning",
            "0:03 · spoken · The <b>lighthouse</b> was built in 1852. · words: lighthouse + meaning",
            "city walk.mp4 — 1 moment · 12:34 long",
            "1:12 · on screen · “<b>LIGHTHOUSE</b> CAFE — open daily” · words: lighthouse",
        ]
        assert page.status.text() == "2 videos · 3 moments for “lighthouse” — click a moment to play it"
        await wait_until(lambda: page.has_thumbnail("v1"), "the keyframe of the first video")
        assert not page.has_thumbnail("v2")  # no keyframe: a placeholder says so
        assert str(page.model.data(page.model.index(4), Qt.ItemDataRole.ToolTipRole)).startswith(
            "1:12 – 1:15, matched by its words (words: lighthouse)")

        # Nothing matches: the page says so and suggests wider choices.
        page.box.setText("submarine")
        await wait_until(lambda: page.message.isVisible(), "the no-results text")
        assert page.message.text().startswith("No results for “submarine”")
        assert "All projects" in page.message.text() and page.visible_rows() == []

        # Clearing the box returns to the library.
        qtbot.keyClick(page.box, Qt.Key.Key_Escape)
        assert page.box.text() == "" and not view.showing_search() and not view.showing_detail()
        await controller.stop()

    qloop.run_until_complete(scenario())


def test_clicking_a_moment_opens_the_player_at_the_hit_with_its_line_highlighted(
        qloop: asyncio.AbstractEventLoop, qtbot: Any, window: tuple[MainView, MainController, FakeSearch]) -> None:
    view, controller, _search = window
    page, detail = view.search, view.detail
    positions: list[float] = []
    detail.player.position_changed.connect(positions.append)

    async def scenario() -> None:
        page.box.setText("lighthouse")
        await wait_until(lambda: page.visible_rows(), "the results")

        # "0:03 · spoken · The lighthouse was built in 1852." (the 3rd transcript line)
        qtbot.mouseClick(page.list.viewport(), Qt.MouseButton.LeftButton, pos=page.moment_rect(0, 1).center())
        await wait_until(view.showing_detail, "the review screen")
        assert detail.video is not None and detail.video.id == "v1"
        assert near(positions[0], 2.0, 0.05)  # a second before the hit at 3.0 s
        assert detail.side_tabs.currentWidget() is detail.transcript
        await wait_until(lambda: detail.transcript.highlighted() == 2, "the matching line to be highlighted")
        assert detail.transcript.line_text(2) == "0:03  The lighthouse was built in 1852."
        assert near(detail.player.position_s(), 3.0, 1.0)

        # Esc (or "← Results") goes back to the results, which are still there.
        assert detail.back_button.text() == "← Results"
        qtbot.keyClick(detail, Qt.Key.Key_Escape)
        assert view.showing_search() and len(page.visible_rows()) == 5

        # The other moment of the same video: it opens again (the file reloads) at 0.6 s, line 2.
        positions.clear()
        qtbot.mouseClick(page.list.viewport(), Qt.MouseButton.LeftButton, pos=page.moment_rect(0, 0).center())
        await wait_until(view.showing_detail, "the review screen again")
        assert near(positions[0], 0.6, 0.05)
        await wait_until(lambda: detail.transcript.highlighted() == 1, "the second line to be highlighted")
        await wait_until(lambda: detail.player.position_s() > 1.0, "the reopened clip to play")
        detail.go_back()
        await controller.stop()

    qloop.run_until_complete(scenario())


def test_enter_in_the_box_goes_to_the_results_and_enter_there_plays_the_moment(
        qloop: asyncio.AbstractEventLoop, qtbot: Any, window: tuple[MainView, MainController, FakeSearch]) -> None:
    view, controller, search = window
    page, detail = view.search, view.detail
    positions: list[float] = []
    detail.player.position_changed.connect(positions.append)

    def current_row() -> str:
        return page.visible_rows()[page.list.currentIndex().row()]

    async def scenario() -> None:
        view.activateWindow()
        await wait_until(view.isActiveWindow, "the window to be active")
        # Enter before the results are in: the keyboard goes to the results when they come,
        # onto the first video's best moment; nothing opens by itself.
        qtbot.keyClicks(page.box, "lighthouse")
        qtbot.keyClick(page.box, Qt.Key.Key_Return)
        await wait_until(page.list.hasFocus, "the results list to take the keyboard")
        assert current_row() == ("0:03 · spoken · The <b>lighthouse</b> was built in 1852. "
                                 "· words: lighthouse + meaning")
        assert page.list.selectionModel().isSelected(page.list.currentIndex())
        await asyncio.sleep(0.3)
        assert view.showing_search() and not view.showing_detail() and positions == []
        assert len(search.calls) == 1

        # Enter in the list plays the selected moment from a second before it.
        qtbot.keyClick(page.list, Qt.Key.Key_Return)
        await wait_until(view.showing_detail, "the moment to open")
        assert detail.video is not None and detail.video.id == "v1" and near(positions[0], 2.0, 0.05)
        await wait_until(lambda: detail.transcript.highlighted() == 2, "its line to be highlighted")
        detail.go_back()
        assert view.showing_search()

        # Enter once the results are on screen goes to them at once; Esc there returns to the box.
        page.focus_box()
        qtbot.keyClick(page.box, Qt.Key.Key_Enter)
        assert page.list.hasFocus() and current_row().startswith("0:03 · spoken")
        assert not view.showing_detail()
        qtbot.keyClick(page.list, Qt.Key.Key_Escape)
        assert page.box.hasFocus() and page.box.text() == "lighthouse"

        # ↓ from the box goes to the first moment (the earliest), ↓ again to the next.
        qtbot.keyClick(page.box, Qt.Key.Key_Down)
        assert current_row().startswith("0:01 · spoken")
        qtbot.keyClick(page.list, Qt.Key.Key_Down)
        assert current_row().startswith("0:03 · spoken")
        positions.clear()
        qtbot.keyClick(page.list, Qt.Key.Key_Return)
        await wait_until(view.showing_detail, "the second moment to open")
        assert near(positions[0], 2.0, 0.05)
        detail.go_back()
        await controller.stop()

    qloop.run_until_complete(scenario())


def test_scope_and_kind_choices_reach_the_search_filters(
        qloop: asyncio.AbstractEventLoop, window: tuple[MainView, MainController, FakeSearch]) -> None:
    view, controller, search = window
    page = view.search
    page.set_project_names({"p1": "Harbour", "p2": "City"})

    async def scenario() -> None:
        page.box.setText("lighthouse")
        await wait_until(lambda: page.visible_rows(), "the results")
        assert search.calls[-1] == ("lighthouse", SearchFilters(project_id="p1"), RESULT_LIMIT)
        assert page.scope.currentText() == "This project" and page.kinds.currentText() == "All kinds"

        page.scope.setCurrentText("All projects")
        await wait_until(lambda: len(search.calls) == 2, "a search of all projects")
        assert search.calls[-1][1] == SearchFilters(project_id=None)
        await wait_until(lambda: "in City" in " ".join(page.visible_rows()), "the project names")
        assert page.visible_rows()[0] == "harbour tour.mp4 — 2 moments · best at 0:03 · 0:06 long · in Harbour"

        page.kinds.setCurrentText("Spoken words")
        await wait_until(lambda: len(search.calls) == 3, "a search of spoken words")
        assert search.calls[-1][1] == SearchFilters(project_id=None, modalities=("speech",))
        page.kinds.setCurrentText("On-screen text")
        page.scope.setCurrentText("This project")
        await wait_until(lambda: search.calls[-1][1] == SearchFilters(project_id="p1", modalities=("text",)),
                         "a search of this project's on-screen text")

        # Length and import date narrow the videos.
        page.lengths.setCurrentText("1–10 min")
        await wait_until(lambda: search.calls[-1][1].min_duration_s == 60.0, "a search of 1-10 min videos")
        assert search.calls[-1][1].max_duration_s == 600.0
        page.imported.setCurrentText("In the last 7 days")
        await wait_until(lambda: search.calls[-1][1].imported_after is not None, "a search of recent imports")
        since = search.calls[-1][1].imported_after
        assert since is not None and since.tzinfo is not None
        assert timedelta(days=6) <= datetime.now(timezone.utc) - since < timedelta(days=7, hours=1)
        await controller.stop()

    qloop.run_until_complete(scenario())


def test_a_newer_query_wins_over_an_older_one_still_running(
        qloop: asyncio.AbstractEventLoop, qtbot: Any, window: tuple[MainView, MainController, FakeSearch]) -> None:
    view, controller, search = window
    page = view.search
    search.delays = {"light": 1.0}

    async def scenario() -> None:
        qtbot.keyClicks(page.box, "light")
        await wait_until(lambda: search.calls, "the search for 'light'")
        assert page.status.text() == "Searching for “light”…"
        qtbot.keyClicks(page.box, "house")
        await wait_until(lambda: page.visible_rows(), "the results for 'lighthouse'")
        assert search.cancelled == ["light"]
        await asyncio.sleep(1.2)  # the slow, older answer would have come by now
        assert page.visible_rows()[0].startswith("harbour tour.mp4") and len(page.visible_rows()) == 5
        assert page.status.text().endswith("for “lighthouse” — click a moment to play it")
        await controller.stop()

    qloop.run_until_complete(scenario())


def test_a_failing_search_says_so_and_the_app_keeps_working(
        qloop: asyncio.AbstractEventLoop, qtbot: Any, window: tuple[MainView, MainController, FakeSearch]) -> None:
    view, controller, search = window
    page = view.search
    search.error = RuntimeError("Search index not ready")

    async def scenario() -> None:
        page.box.setText("lighthouse")
        await wait_until(lambda: page.message.isVisible(), "the error text")
        assert page.message.text() == ("Search failed: Search index not ready\n"
                                       "Nothing was searched for “lighthouse”; try again in a moment.")
        assert view.showing_search() and page.visible_rows() == []

        # The next search works, and the results open as usual.
        search.error = None
        page.box.setText("the old tower by the sea")
        await wait_until(lambda: page.visible_rows(), "the results after the failure")
        assert not page.message.isVisible() and page.status.text().startswith("1 video · 2 moments")
        assert page.visible_rows()[1:] == [  # found by meaning alone: no word of the query in them
            "0:01 · spoken · On the left you can see the old lighthouse. · similar meaning (0.41)",
            "0:03 · spoken · The lighthouse was built in 1852. · similar meaning (0.58)"]
        qtbot.mouseClick(page.list.viewport(), Qt.MouseButton.LeftButton, pos=page.moment_rect(0, None).center())
        await wait_until(view.showing_detail, "the video's best moment to open")
        view.detail.go_back()
        page.box.clear()
        assert not view.showing_search() and not view.showing_detail()
        await controller.stop()

    qloop.run_until_complete(scenario())


def test_results_follow_the_index_when_a_job_finishes(
        qloop: asyncio.AbstractEventLoop, window: tuple[MainView, MainController, FakeSearch],
        answers: dict[str, list[VideoResult]]) -> None:
    view, controller, search = window
    page = view.search
    synced: list[SyncReport] = []

    async def sync() -> SyncReport:
        synced.append(SyncReport(1, 0, 12))  # a video's analysis finished: its passages are new
        return synced[-1]

    search.sync = sync  # type: ignore[method-assign]

    async def scenario() -> None:
        page.box.setText("light")
        await wait_until(lambda: page.visible_rows(), "the results for 'light'")
        assert [r.name for r in page.results()] == ["city walk.mp4"]
        search.answers["light"] = answers["lighthouse"]
        await controller.sync_search()
        await wait_until(lambda: len(page.results()) == 2, "the results to include the new video")
        assert synced and [c[0] for c in search.calls] == ["light", "light"]
        assert view.showing_search()
        await controller.stop()

    qloop.run_until_complete(scenario())


# -- the real SearchService over a stand-in index --------------------------------------------------
# What the two indexes answer is given per query (as IndexHits with their own scores: BM25 for
# words, cosine similarity for meaning); fusion, the weak-hit threshold, grouping and the
# order of moments are the app's own.

def _passage(video_id: str, start: float, text: str, score: float, modality: str = "text") -> IndexHit:
    return IndexHit(passage_id=f"{video_id}-{modality}-{start}", video_id=video_id, modality=modality,
                    unit="ocr" if modality == "text" else "line", start_s=start, end_s=start + 1.0, text=text,
                    score=score)


def _clip(video_id: str, name: str, seconds: float) -> Video:
    media = MediaInfo(container="mp4", duration_s=seconds, start_s=0.0, fps=25.0, width=640, height=360,
                      rotation=0, display_width=640, display_height=360, video_codec="h264", has_audio=True,
                      audio_codec="aac", audio_channels=1, audio_sample_rate=44100, bit_rate=None,
                      frame_count=None, size_bytes=1000)
    return Video(project_id="p1", path=f"/videos/{name}", fingerprint=video_id, size_bytes=1000, id=video_id,
                 media=media)


SAMPLES = ("sample-1-city-cuts.mp4", "sample-2-portrait-phone.mp4", "sample-3-studio.mkv")
# The on-screen timer of the app's sample videos, read by OCR: MiniLM rates it 0.27-0.34 similar to
# "invoice 4471" (measured), above the 0.30 every vector hit needs, so 14 of them used to follow.
TIMERS = [_passage(f"s{i % 3}", float(i // 3 * 2 + i % 3), f"{i // 3 * 2 + i % 3:05.2f} s", 0.34 - 0.005 * i)
          for i in range(14)]
KEYWORD = {
    "invoice 4471": [_passage("office", 2.0, "INVOICE 4471", 9.1)],
    "scene": [_passage("city", t, f"VIP sample - scene {int(t) // 2 + 1} of 4", 5.0 - i)  # best first: 0:07 ...
              for i, t in enumerate((7.0, 6.0, 5.0, 1.0, 3.0))],
}
SENTENCE = "Please send the invoice to the accounts department by Friday."
MEANING = {  # similarities as MiniLM gives them
    "invoice 4471": [_passage("office", 2.0, "INVOICE 4471", 1.0), _passage("office", 1.0, SENTENCE, 0.64, "speech"),
                     *TIMERS],
    "where do I send the bill": [_passage("office", 1.0, SENTENCE, 0.55, "speech"),
                                 _passage("office", 2.0, "INVOICE 4471", 0.46), *TIMERS[8:]],
    "submarine": TIMERS[6:],
}


class StandInIndex:
    """The index lookups SearchService makes; the query reaches `vector` as a one-hot vector."""

    queries = ["invoice 4471", "scene", "submarine", "where do I send the bill"]

    def keyword(self, query: str, k: int, filters: SearchFilters) -> list[IndexHit]:
        return KEYWORD.get(query, [])[:k]

    def vector(self, query_vector: npt.NDArray[np.float32], k: int, filters: SearchFilters) -> list[IndexHit]:
        return MEANING.get(self.queries[int(np.argmax(query_vector))], [])[:k]

    def stats(self) -> dict[str, Any]:
        return {}

    @classmethod
    def embed(cls, query: str) -> npt.NDArray[np.float32]:
        vector = np.zeros(DIM, np.float32)
        vector[cls.queries.index(query) if query in cls.queries else DIM - 1] = 1.0
        return vector


class StandInVideos:
    def __init__(self, videos: list[Video]) -> None:
        self.videos = {v.id: v for v in videos}

    async def get_many(self, video_ids: list[str]) -> list[Video]:
        return [self.videos[i] for i in video_ids if i in self.videos]


class NoShots:
    async def for_video(self, video_id: str) -> list[Shot]:
        return []


class NoSync:
    async def sync(self) -> SyncReport:
        return SyncReport(0, 0, 0)


@pytest.fixture
def searching(qtbot: Any, video: Video, shots: list[Shot],  # noqa: F811
              tmp_path: Path) -> tuple[MainView, MainController]:
    videos = [_clip("office", "office.mp4", 30.0), _clip("city", SAMPLES[0], 8.0),
              *(_clip(f"s{i}", name, 10.0) for i, name in enumerate(SAMPLES))]
    service = SearchService(StandInIndex(), StandInIndex.embed, StandInVideos(videos),  # type: ignore[arg-type]
                            NoShots(), NoSync())  # type: ignore[arg-type]
    view = MainView()
    qtbot.addWidget(view)
    view.resize(1280, 800)
    view.show()
    controller = MainController(view, ClientServices(None, None, FakeLibrary(video, shots, _segments("v1", LINES)),  # type: ignore[arg-type]
                                                     None, service),  # type: ignore[arg-type]
                                ControllerConfig(samples_dir=tmp_path, database_text="none"))
    controller.project_id = "p1"
    return view, controller


def test_weak_meaning_only_hits_are_left_out_and_each_moment_says_why_it_matched(
        qloop: asyncio.AbstractEventLoop, qtbot: Any, searching: tuple[MainView, MainController]) -> None:
    view, controller = searching
    page = view.search

    async def scenario() -> None:
        qtbot.keyClicks(page.box, "invoice 4471")
        await wait_until(lambda: page.visible_rows(), "the results")
        # The invoice on screen; not the sample videos' on-screen timers ("07.00 s", 0.27-0.34
        # similar), nor the sentence about invoices (0.64: under 0.75 x the best, 1.00).
        assert page.visible_rows() == [
            "office.mp4 — 1 moment · 0:30 long",
            "0:02 · on screen · “<b>INVOICE</b> <b>4471</b>” · words: invoice, 4471 + meaning",
        ]
        assert page.status.text() == "1 video · 1 moment for “invoice 4471” — click a moment to play it"

        # No word in common: what is close in meaning shows, saying so and how close.
        page.box.clear()
        qtbot.keyClicks(page.box, "where do I send the bill")
        await wait_until(lambda: page.visible_rows() and page.visible_rows()[0].startswith("office.mp4 — 2"),
                         "the results by meaning")
        assert page.visible_rows() == [
            "office.mp4 — 2 moments · best at 0:01 · 0:30 long",
            "0:01 · spoken · Please <b>send</b> the invoice to the accounts department by Friday. "
            "· similar meaning (0.55)",
            "0:02 · on screen · “INVOICE 4471” · similar meaning (0.46)",
        ]

        # Only weak hits by meaning: nothing is shown, and the page says so.
        page.box.clear()
        qtbot.keyClicks(page.box, "submarine")
        await wait_until(lambda: page.message.isVisible(), "the no-results text")
        assert page.message.text().startswith("No results for “submarine”") and page.visible_rows() == []
        await controller.stop()

    qloop.run_until_complete(scenario())


def test_a_videos_moments_are_listed_in_time_order_and_its_header_names_the_best(
        qloop: asyncio.AbstractEventLoop, qtbot: Any, searching: tuple[MainView, MainController]) -> None:
    view, controller = searching
    page = view.search

    async def scenario() -> None:
        qtbot.keyClicks(page.box, "scene")
        await wait_until(lambda: page.visible_rows(), "the results")
        # The index ranks them 0:07, 0:06, 0:05, 0:01, 0:03; the page reads them as they happen.
        rows = page.visible_rows()
        assert rows[0] == "sample-1-city-cuts.mp4 — 5 moments · best at 0:07 · 0:08 long"
        assert [row.split(" · ")[0] for row in rows[1:]] == ["0:01", "0:03", "0:05", "0:06", "0:07"]
        assert rows[1] == "0:01 · on screen · “VIP sample - <b>scene</b> 1 of 4” · words: scene"
        assert str(page.model.data(page.model.index(0), Qt.ItemDataRole.ToolTipRole)).endswith(
            "Click (or Enter) to play its best moment, at 0:07")
        # Enter goes to the list onto that best moment, however far down it is.
        qtbot.keyClick(page.box, Qt.Key.Key_Return)
        assert page.list.hasFocus() and page.list.currentIndex().row() == 5
        await controller.stop()

    qloop.run_until_complete(scenario())
