"""Drive the search page: one query at a time, re-run when filters or the indexes change.

Part of the main window's controller (ui.main_controller), on the GUI thread's asyncio
(qasync) loop: a newer query cancels the search still running; after an index sync that
changed something, the query on screen runs again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import structlog

from core.search.service import SearchService
from core.search.who import parse_who
from core.services.people import PeopleService
from ui.main_view import MainView
from ui.people_view import count_text
from ui.search import RESULT_LIMIT, THUMB, read_thumbnails
from ui.task_set import TaskSet

log = structlog.get_logger(__name__)


class SearchController:
    def __init__(self, view: MainView, search: SearchService | None, project_id: Callable[[], str | None],
                 tasks: TaskSet, people: PeopleService | None = None) -> None:
        """`tasks`: the controller's (a failure is shown to the operator); `people`: also offer
        the people whose names match the query (None: videos only)."""
        self._people = people
        self.view = view
        self._search = search
        self._project_id = project_id  # the project shown: "This project" filters on it
        self._tasks = tasks
        self._task: asyncio.Task[Any] | None = None
        view.search.search_requested.connect(self.on_search_requested)
        if search is None:
            view.search.box.setEnabled(False)
            view.search.box.setPlaceholderText("Search is not available")

    def on_search_requested(self, query: str) -> None:
        """Start searching `query` (cancelling the search still running); empty: back to the library."""
        if self._task is not None:
            self._task.cancel()
            self._task = None
        if not query:
            if self.view.showing_search():
                self.view.show_library()
            return
        if self.view.showing_detail():
            self.view.detail.close_video()
        if not self.view.showing_search():
            self.view.show_search()
        self.search_again()

    def search_again(self) -> None:
        """Run the query in the box again (new filters or index), leaving the page shown as it is."""
        if self._task is not None:
            self._task.cancel()
        query = self.view.search.query()
        self._task = None
        if query:
            self._task = self._tasks.spawn(self.run(query))

    async def run(self, query: str) -> None:
        """Search `query` with the page's filters, show the results, then their keyframes."""
        page = self.view.search
        if self._search is None:
            page.show_error(query, "Search is not available in this session")
            return
        filters = page.filters(self._project_id())
        try:
            results = await self._search.search(query, filters, RESULT_LIMIT)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - shown on the page; the app keeps working
            log.warning("search_failed", query=query, error=str(exc), error_type=type(exc).__name__)
            page.show_error(query, str(exc) or type(exc).__name__)
            return
        page.show_results(query, results)
        await self._show_people(query)
        todo = [(r.video_id, r.keyframe_path) for r in results if r.keyframe_path]
        for first in range(0, len(todo), 4):
            for video_id, image in await asyncio.to_thread(read_thumbnails, todo[first:first + 4], THUMB):
                page.set_thumbnail(video_id, image)

    async def _show_people(self, query: str) -> None:
        """The people named like the query's words (not its `person:`/`speaker:` parts)."""
        words = parse_who(query)[0]
        found = []
        if self._people is not None and len(words) >= 2:
            try:
                found = await self._people.find(words)
            except Exception:  # noqa: BLE001 - the videos found are still shown
                log.warning("people_search_failed", query=query, exc_info=True)
        self.view.search.show_people(query, [(p.id, f"{p.display_name} · {count_text(p)}") for p in found[:8]])

    async def sync(self) -> None:
        """Bring the local search indexes up to date; re-run the query on screen if they changed."""
        if self._search is None:
            return
        try:
            report = await self._search.sync()
        except Exception:  # noqa: BLE001 - searching still works on the indexes as they are
            log.warning("search_sync_failed", exc_info=True)
            return
        if report.changed and self.view.search.query():
            self.search_again()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
