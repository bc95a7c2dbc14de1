"""Drive the main window from core services on the asyncio (qasync) loop.

Runs on the GUI thread's event loop. Never blocks it: database calls are async
(AsyncMongoClient), file work goes through asyncio.to_thread. Job progress is followed from
the job records (JobService.watch) at most 4 times a second; "analyse these paths / videos"
is core.services.analysis, rendered here. The search page has its own controller
(ui.search_controller); the search indexes are synced whenever a job finishes.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol

import structlog
from PySide6.QtGui import QImage

from core.errors import NotFound, VipError
from core.faces import FaceRejection
from core.media.samples import generate_samples
from core.models import Job, Project, Shot, TextSegment, Video
from core.models.profile import AnalysisProfile
from core.search.results import SearchHit, VideoResult
from core.services import ClientServices, ImportItem
from core.services.analysis import NothingToAnalyze, OverBudget, Queued
from core.timeutil import utc_now
from ui.api_view import ApiServerDialog
from ui.costs_view import CostsDialog
from ui.main_view import MainView
from ui.profile_view import ProfileDialog
from ui.selects_view import Pick, SelectsDialog
from ui.providers_view import ProvidersDialog
from ui.library_model import poster_images
from ui.library_widget import POSTER_SIZE
from ui.people_view import PeopleView
from ui.search_controller import SearchController
from ui.task_set import TaskSet
from ui.thumbnails import read_thumbnail
from ui.watch_view import WatchFoldersDialog

log = structlog.get_logger(__name__)

POLL_INTERVAL_S = 0.25  # job records: no faster than 4×/s
STATUS_INTERVAL_S = 2.0
WATCH_REFRESH_S = 2.0  # the watch folders page re-reads the statuses while open
FIRST_VIDEOS = 100  # library rows shown with the first paint of a project; the rest pages in
FIRST_JOBS = 40  # likewise the newest jobs ...
JOBS_SHOWN = 200  # ... of the history the jobs panel holds
WORKERS_WARM_UP = timedelta(seconds=60)  # a local worker loads its models before its first heartbeat


@dataclass
class ControllerConfig:
    samples_dir: Path
    database_text: str
    offer_samples: bool = True
    local_workers: Callable[[], int] = lambda: 0


class ApiServerPort(Protocol):
    """The REST API inside this process, given by the app (app.api_server.InProcessApiServer)."""

    url: str | None  # the base URL while it serves

    @property
    def token(self) -> str: ...

    async def start(self, host: str, port: int) -> str: ...

    async def stop(self) -> None: ...


class MainController:
    """The main window's controller over the client services: a page whose service is None
    (providers, people, profiles, watch, exports, the REST API) is left out of the menus."""

    def __init__(self, view: MainView, services: ClientServices, config: ControllerConfig,
                 api_server: ApiServerPort | None = None) -> None:
        self.view = view
        self._projects = services.projects
        self._library = services.library
        self._people = services.people
        self._jobs = services.jobs
        self._analysis = services.analysis
        self._providers = services.providers
        self._config = config
        self._paging: asyncio.Task[Any] | None = None  # reading in the selected project's videos
        self._database_away = False  # the status poll failed: the status bar says "reconnecting…"
        self.project_id: str | None = None
        self._videos: dict[str, Video] = {}
        self._tasks = TaskSet(self._failed)  # every background task: a failure is logged and shown
        self._dialogs: list[Any] = []
        self.on_job_shown: Callable[[Job], None] = lambda job: None  # hook for the benchmark
        view.projects.project_selected.connect(lambda pid: self._spawn(self.select_project(pid)))
        view.projects.new_button.clicked.connect(self._new_project)
        view.library.paths_dropped.connect(lambda paths: self._spawn(self.import_paths(paths)))
        view.library.remove_requested.connect(self._ask_remove)
        view.library.posters_wanted.connect(lambda ids: self._spawn(self._load_posters(ids)))
        view.library.analyze_requested.connect(lambda ids, force: self._spawn(self.analyze_videos(
            [self._videos[v] for v in ids if v in self._videos],
            f"{'Re-analysing' if force else 'Analysing'} {len(ids)} video(s)", force)))
        view.jobs.cancel_requested.connect(lambda job_id: self._spawn(self._jobs.cancel(job_id)))
        view.jobs.retry_requested.connect(lambda job_id: self._spawn(self._jobs.retry(job_id)))
        view.import_files_action.triggered.connect(
            lambda: self._keep(view.choose_files(lambda p: self._spawn(self.import_paths(p)))))
        view.import_folder_action.triggered.connect(
            lambda: self._keep(view.choose_folder(lambda p: self._spawn(self.import_paths(p)))))
        view.import_samples_action.triggered.connect(lambda: self._spawn(self.import_samples()))
        view.video_activated.connect(lambda video_id: self._spawn(self.open_video(video_id)))
        view.detail.back_requested.connect(view.leave_detail)
        view.detail.faces.rejected.connect(lambda mark: self._spawn(self.save_face_mark(mark, True)))
        view.detail.faces.restored.connect(lambda mark: self._spawn(self.save_face_mark(mark, False)))
        self._face_marks = asyncio.Lock()  # a mark and its undo reach the database in click order
        view.detail.speaker_renamed.connect(
            lambda video_id, label, name: self._spawn(self.name_speaker(video_id, label, name)))
        self.search = SearchController(view, services.search, lambda: self.project_id, self._tasks,
                                       services.people)
        # The People page: library-wide, built when first opened, read anew when shown and when a
        # job finishes while it is on screen.
        self.people: PeopleView | None = None
        view.people_action.triggered.connect(lambda _checked=False: self.open_people())
        view.search.person_activated.connect(lambda person_id: self.open_person(person_id))
        view.people_action.setEnabled(services.people is not None)
        view.search.moment_activated.connect(lambda result, hit: self._spawn(self.open_hit(result, hit)))
        view.providers_action.triggered.connect(self.open_providers)
        view.costs_action.triggered.connect(self.open_costs)
        view.providers_action.setEnabled(services.providers is not None)
        view.costs_action.setEnabled(services.providers is not None)
        view.show_status(config.database_text)
        self._profiles = services.profiles  # the analysis profile page (open_profile)
        view.profile_action.triggered.connect(self.open_profile)
        view.profile_action.setEnabled(services.profiles is not None)
        self._watch = services.watch  # watch folders: scanned while the app is open (start), the page (open_watch)
        view.watch_action.triggered.connect(self.open_watch)
        view.watch_action.setEnabled(services.watch is not None)
        self._api_server = api_server  # the REST API page (open_api)
        self._exports = services.exports  # the selects basket's export (open_selects)
        self.picks: list[Pick] = []  # the selects basket, in the operator's order (this session)
        view.selects_action.triggered.connect(self.open_selects)
        view.selects_action.setEnabled(services.exports is not None)
        view.search.select_added.connect(self._add_hit_pick)
        view.detail.shot_selected.connect(self._add_shot_pick)
        view.api_action.triggered.connect(self.open_api)
        view.api_action.setEnabled(api_server is not None)

    async def start(self) -> None:
        """Load projects and the library, start polling; offer samples on an empty library."""
        default = await self._projects.ensure()
        await self._reload_projects(default.id)
        await self.select_project(default.id)
        self._tasks.spawn(self._poll_jobs())
        self._tasks.spawn(self._poll_status())
        if self._watch is not None:
            self._tasks.spawn(self._watch.run(asyncio.Event()))
        self._spawn(self.sync_search())
        if self._config.offer_samples and await self._library.is_empty():
            self._keep(self.view.offer_samples(lambda: self._spawn(self.import_samples())))

    async def stop(self) -> None:
        if self.people is not None:
            self.people.stop()
        await asyncio.gather(self._tasks.close(), self.search.stop(), return_exceptions=True)
        if self._api_server is not None:
            await self._api_server.stop()  # before the services it serves are closed

    async def sync_search(self) -> None:
        """Bring the local search indexes up to date (after a job finished, a video was removed)."""
        await self.search.sync()

    # -- actions ----------------------------------------------------------------------------
    async def select_project(self, project_id: str) -> None:
        if self.view.showing_detail():
            self.view.detail.close_video()
            self.view.leave_detail()
        self.project_id = project_id
        project = await self._projects.get(project_id)
        self.view.show_library_title(project.name if project else "")
        if self._paging is not None:
            self._paging.cancel()  # the pages of the project shown before
        # The first page of videos comes at once, the rest is read in after it (_page_in): the
        # embedded server reads ~0.6 ms per video, seconds for a 5,000-video project. Where this
        # host listed the project before, that copy is shown first and the database corrects it.
        # Likewise the newest jobs first (a whole job costs the embedded server ~1.5 ms), the rest
        # of the panel's history behind them.
        listed, jobs = await asyncio.gather(self._library.listed_pages(project_id),
                                            self._jobs.recent(project_id, limit=FIRST_JOBS))
        pages = self._library.video_pages(project_id)
        if listed and len(listed[0]) > FIRST_VIDEOS:
            listed = [listed[0][:FIRST_VIDEOS], listed[0][FIRST_VIDEOS:], *listed[1:]]
        videos = listed[0] if listed else await anext(pages, [])
        # Library and jobs change together (no await between): never one project's videos beside
        # an empty or another project's jobs list.
        self._videos = {v.id: v for v in videos}
        self.view.library.set_videos(videos)
        self.view.show_library_empty(not videos)
        self.view.jobs.set_jobs([(job, self._video_name(job)) for job in jobs])
        for job in jobs:
            self.on_job_shown(job)
        if self._paging is not None:
            self._paging.cancel()  # a selection that overlapped this one
        self._paging = self._tasks.spawn(self._page_in(project_id, listed, pages, [] if listed else list(videos)))
        if self.view.search.query() and self.view.search.filters(project_id).project_id is not None:
            self.search.search_again()  # "This project" is another one now

    async def _page_in(self, project_id: str, listed: list[list[Video]], pages: AsyncIterator[list[Video]],
                       read: list[Video]) -> None:
        """Fill in the project behind its first paint, a page at a time (the loop runs between
        pages): the rest of this host's listing copy (`listed`, its first page is shown), the rest
        of the jobs panel's history, then the project as the database holds it, which updates and
        adds rows and, once read whole, removes the copy's videos it no longer has and is kept as
        the new copy. Stops when another project is selected."""
        shown_from_copy = listed
        try:
            for videos in listed[1:]:  # the first page is shown already
                if self.project_id != project_id:
                    return
                self._add_page(videos)
                await asyncio.sleep(0)
            if len(self.view.jobs.job_ids()) >= FIRST_JOBS:
                older = await self._jobs.recent(project_id, limit=JOBS_SHOWN)
                if self.project_id != project_id:
                    return
                self.view.jobs.append_older([(job, self._video_name(job)) for job in older])
                for job in older:
                    self.on_job_shown(job)
            async for videos in pages:
                if self.project_id != project_id:
                    return
                read += videos
                self._add_page(videos)
            if self.project_id != project_id:
                return
            # Rows of the copy that the database no longer has (rows added meanwhile, by an
            # import or a job of another process, stay: the read may have started before them).
            present = {v.id for v in read}
            for video_id in [v.id for page in shown_from_copy for v in page if v.id not in present]:
                self._videos.pop(video_id, None)
                self.view.library.remove_video(video_id)
            self.view.show_library_empty(not read)
            await self._library.remember_listing(project_id, read)
        finally:
            await pages.aclose()  # type: ignore[attr-defined]  # an async generator

    def _add_page(self, videos: list[Video]) -> None:
        self._videos.update((v.id, v) for v in videos)
        self.view.library.add_videos(videos)
        if videos:
            self.view.show_library_empty(False)
        self._refresh_names(videos)

    async def open_video(self, video_id: str) -> None:
        """Show one video on the review screen: player, timeline, shots, transcript, faces, exports."""
        video = await self._library.video(video_id)
        if video is None:
            self.view.show_error("Video not found", "This video is no longer in the library.")
            return
        await self._show_detail(video)
        self.view.show_detail()

    def _people_page(self) -> PeopleView | None:
        """The People page, built on first use (None without a people service)."""
        if self.people is None and self._people is not None:
            self.people = PeopleView(self._people, self._library.get_many)
            self.view.add_people_page(self.people)
            self.people.back_requested.connect(self.view.show_library)
            self.people.appearance_activated.connect(
                lambda video_id, at_s: self._spawn(self.open_video_at(video_id, at_s)))
        return self.people

    def open_people(self) -> None:
        """Show the People page with everyone read anew."""
        page = self._people_page()
        if page is not None:
            self.view.show_people()
            page.reload()

    def open_person(self, person_id: str) -> None:
        """Show the People page with `person_id` chosen and their appearances (from a search)."""
        page = self._people_page()
        if page is not None:
            self.view.show_people()
            page.spawn_refresh(choose=person_id)

    async def open_video_at(self, video_id: str, at_s: float) -> None:
        """Open a video on the review screen (a person's appearance) and play it from `at_s` (media time)."""
        await self.open_video(video_id)
        if self.view.reviewing(video_id):
            self.view.detail.play_from(at_s, "faces")

    async def open_hit(self, result: VideoResult, hit: SearchHit) -> None:
        """Open a search hit on the review screen, playing from a second before it.

        Playing lets the player's position updates reach the hit, so the transcript panel
        highlights the line being spoken there (for a spoken hit its tab comes to the front).
        """
        await self.open_video(result.video_id)
        if self.view.reviewing(result.video_id):
            self.view.detail.play_from(hit.seek_s, hit.modality)

    async def _show_detail(self, video: Video) -> None:
        """Load what the review screen shows of `video`; a part that fails to load is named."""
        shots = await self._library.shots(video.id)
        loaded: dict[str, list[TextSegment] | None] = {}
        problems = []
        for kind, what in (("speech", "transcript"), ("translation", "translation"), ("ocr", "on-screen text"),
                           ("face", "faces")):
            try:
                loaded[kind] = await self._library.segments(video.id, kind)
            except Exception as exc:  # the review screen still opens; the notice says what is missing
                log.warning("segments_load_failed", video_id=video.id, kind=kind, error=str(exc))
                loaded[kind] = None
                problems.append(f"Could not load the {what}: {exc}")
        try:
            summary = await self._library.summary(video.id)
        except Exception as exc:  # noqa: BLE001 - the review screen still opens without it
            log.warning("summary_load_failed", video_id=video.id, error=str(exc))
            summary = None
            problems.append(f"Could not load the summary: {exc}")
        marks: list[FaceRejection] = []
        if any(s.kind == "face" for s in loaded["face"] or []):
            try:
                marks = await self._library.face_rejections(video.id)
            except Exception as exc:  # noqa: BLE001 - the faces show unfiltered; the notice says so
                log.warning("face_rejections_load_failed", video_id=video.id, error=str(exc))
                problems.append(f"Could not load the “Not a face” marks: {exc}")
        self.view.detail.show_video(video, shots, loaded["speech"], loaded["face"], summary,
                                    onscreen_text=loaded["ocr"], translation=loaded["translation"])
        self.view.detail.show_face_marks(marks)
        if self._people is not None:
            try:
                self.view.detail.set_people([vp.on_screen() for vp in await self._people.in_video(video.id)])
            except Exception as exc:  # noqa: BLE001 - the review screen works without them
                log.warning("people_load_failed", video_id=video.id, error=str(exc))
                problems.append(f"Could not load who is on screen: {exc}")
        if problems:
            self.view.detail.show_problems(problems)

    async def name_speaker(self, video_id: str, label: str, name: str) -> None:
        """Store the name the operator gave a speaker in the transcript panel (it already shows it);
        a name that is exactly one person's of the People page links the speaker to that person."""
        try:
            person_id = None
            if self._people is not None and name.strip():
                wanted = " ".join(name.split()).lower()
                same = [p for p in await self._people.find(wanted) if p.display_name.lower() == wanted]
                person_id = same[0].id if len(same) == 1 else None
            await self._library.name_speaker(video_id, label, name, person_id)
        except Exception as exc:  # noqa: BLE001 - the operator sees why the name was not kept
            log.warning("speaker_name_failed", video_id=video_id, label=label, error=str(exc))
            self.view.show_error("Could not rename the speaker", str(exc))

    async def save_face_mark(self, mark: FaceRejection, rejected: bool) -> None:
        """Store an operator's "Not a face" mark (or take it back); when that fails, the faces
        panel goes back to what is stored and the operator is told."""
        async with self._face_marks:
            try:
                await (self._library.reject_face(mark) if rejected else self._library.restore_face(mark))
            except Exception as exc:  # noqa: BLE001 - shown to the operator, the panel reverted
                log.warning("face_mark_failed", video_id=mark.video_id, rejected=rejected, error=str(exc))
                self.view.detail.show_face_mark(mark, not rejected)  # back to what is stored
                self.view.show_error("Not saved", f"The “Not a face” mark could not be "
                                     f"{'saved' if rejected else 'taken back'}: {exc}")

    def _ask_remove(self, video_ids: list[str]) -> None:
        names = [self._videos[v].name for v in video_ids if v in self._videos]
        self._keep(self.view.confirm_remove(names, lambda: self._spawn(self.remove_videos(video_ids))))

    async def remove_videos(self, video_ids: list[str]) -> int:
        """Take videos out of the library (the files stay); one being analysed is refused and named."""
        refused = []
        removed = 0
        for video_id in video_ids:
            try:
                await self._library.remove(video_id)
                removed += 1
            except VipError as exc:
                refused.append(str(exc))
        if self.project_id is not None:
            await self.select_project(self.project_id)  # library and jobs without the removed videos
        self.view.statusBar().showMessage(f"Removed {removed} video{'s' if removed != 1 else ''} from the library",
                                          5000)
        if refused:
            self.view.show_error("Not removed", "\n".join(refused))
        await self.sync_search()
        return removed

    async def import_paths(self, paths: list[Path]) -> list[Job]:
        """Import files/folders into the current project and queue analysis of the new videos
        (core.services.analysis: estimate, budget gate, queue; over budget the operator is asked)."""
        assert self._analysis is not None
        self.view.statusBar().showMessage(f"Importing {len(paths)} item(s)…")
        try:
            queued = await self._analysis.import_and_analyze(await self._current_project(), paths, only_new=True)
        except NothingToAnalyze as exc:
            self.view.statusBar().showMessage(f"Imported 0 video(s): {exc}", 8000)
            return []
        except OverBudget as exc:
            self._show_imported(exc.items)
            self._ask_over_budget(exc, _imported_text(exc.items), force=False)
            return []
        self._show_imported(queued.items)
        return await self._show_queued(queued, _with_estimate(_imported_text(queued.items), queued))

    async def analyze_videos(self, videos: list[Video], done: str, force: bool = False) -> list[Job]:
        """Queue analysis of `videos` (all stages again with `force`) after the cloud cost estimate:
        over the project's budget, the operator is asked first; Cancel queues nothing."""
        assert self._analysis is not None
        try:
            queued = await self._analysis.analyze_videos(await self._current_project(), videos, force)
        except OverBudget as exc:
            self._ask_over_budget(exc, done, force)
            return []
        return await self._show_queued(queued, _with_estimate(done, queued))

    def _ask_over_budget(self, refused: OverBudget, done: str, force: bool) -> None:
        """Ask whether to queue a batch over the budget anyway; the status bar says the outcome."""
        self.view.statusBar().showMessage(f"{done} — over the project's budget: queue them?")
        self._keep(self.view.confirm_over_budget(
            refused.estimate.text(), lambda: self._spawn(self._queue_anyway(refused, done, force)),
            lambda: self.view.statusBar().showMessage(
                f"{done}; not queued for analysis: the estimated cloud cost is over the project's "
                "budget", 15000)))

    async def _queue_anyway(self, refused: OverBudget, done: str, force: bool) -> None:
        assert self._analysis is not None
        queued = await self._analysis.analyze_videos(refused.project, refused.videos, force, over_budget_ok=True)
        await self._show_queued(queued, done)

    async def _show_queued(self, queued: Queued, message: str) -> list[Job]:
        for job in queued.jobs:
            self._show_job(job)
        self.view.statusBar().showMessage(message, 15000 if len(message) > 60 else 8000)
        await self._refresh_videos([job.video_id for job in queued.jobs])  # "Queued", not "New", in the library
        return queued.jobs

    def _show_imported(self, items: list[ImportItem]) -> None:
        """Add the newly imported videos' rows at once (before any question about the budget)."""
        for item in items:
            if item.created:
                self._videos[item.video.id] = item.video
                self.view.library.show_video(item.video)
        self.view.show_library_empty(not self._videos)

    async def _current_project(self) -> Project:
        assert self.project_id is not None
        project = await self._projects.get(self.project_id)
        if project is None:
            raise NotFound("The selected project is no longer in the database")
        return project

    # -- providers and costs -------------------------------------------------------------------
    def open_providers(self) -> ProvidersDialog | None:
        """Show the Providers page (keys, the current project's routing and budget), non-modal."""
        if self._providers is None or self.project_id is None:
            return None
        for old in [d for d in self._dialogs if isinstance(d, ProvidersDialog) and d.isVisible()]:
            old.close()  # one at a time: the new one shows the current project
        dialog = ProvidersDialog(self._providers, self._projects, self.project_id, self.view)
        dialog.show()  # non-modal: the library stays usable
        dialog.raise_()
        dialog.activateWindow()  # the keyboard goes to it: Esc closes it, Tab walks its controls
        self._keep(dialog)
        self._spawn(dialog.load())
        return dialog

    def open_costs(self) -> CostsDialog | None:
        """Show the Costs view (totals per project, provider and day; recent calls), non-modal."""
        if self._providers is None:
            return None
        for old in [d for d in self._dialogs if isinstance(d, CostsDialog) and d.isVisible()]:
            old.close()  # one at a time: the new one shows the current project
        dialog = CostsDialog(self._providers, self._projects, self.view)
        dialog.show()  # non-modal: the library stays usable
        dialog.raise_()
        dialog.activateWindow()  # the keyboard goes to it: Esc closes it, Tab walks its controls
        self._keep(dialog)
        self._spawn(dialog.load())
        return dialog

    # -- the selects basket -------------------------------------------------------------------
    def _add_hit_pick(self, result: VideoResult, hit: SearchHit) -> None:
        origin = hit.start_s - result.clock_s(hit.start_s)
        label = hit.text if len(hit.text) <= 60 else hit.text[:59] + "…"
        self._add_pick(Pick(result.video_id, result.name, hit.start_s, max(hit.end_s, hit.start_s + 0.04), label,
                            origin))

    def _add_shot_pick(self, video: Video, shot: Shot) -> None:
        origin = video.origin_s
        self._add_pick(Pick(video.id, video.name, shot.start_s, shot.end_s, f"Shot {shot.index + 1}", origin))

    def _add_pick(self, pick: Pick) -> None:
        if self._exports is None:
            return
        self.picks.append(pick)
        self.view.show_selects_count(len(self.picks))
        self.view.statusBar().showMessage(f"Added to selects: {pick.text()} ({len(self.picks)} in the basket)", 5000)
        self._refresh_selects()

    def open_selects(self) -> SelectsDialog | None:
        """Show the basket; Export writes it as a timeline."""
        if self._exports is None:
            return None
        for old in [d for d in self._dialogs if isinstance(d, SelectsDialog) and d.isVisible()]:
            old.close()
        dialog = SelectsDialog(self.view)
        dialog.remove_requested.connect(lambda row: self._remove_pick(row))
        dialog.clear_requested.connect(lambda: self._remove_pick(None))
        dialog.export_requested.connect(lambda path, fmt, handles: self._spawn(
            self._export_selects(dialog, Path(path), fmt, handles)))
        dialog.show_picks(self.picks)
        self._dialogs.append(dialog)
        dialog.show()
        return dialog

    def _remove_pick(self, row: int | None) -> None:
        if row is None:
            self.picks.clear()
        elif 0 <= row < len(self.picks):
            del self.picks[row]
        self.view.show_selects_count(len(self.picks))
        self._refresh_selects()

    def _refresh_selects(self) -> None:
        for dialog in [d for d in self._dialogs if isinstance(d, SelectsDialog) and d.isVisible()]:
            dialog.show_picks(self.picks)

    async def _export_selects(self, dialog: SelectsDialog, path: Path, fmt: str, handles: int) -> None:
        assert self._exports is not None
        picks = [(p.video_id, p.start_s, p.end_s, p.label) for p in self.picks]
        try:
            exported = await self._exports.selects(picks, fmt, handles, path.stem)
            await asyncio.to_thread(path.write_bytes, exported.content)
        except (VipError, OSError) as exc:
            dialog.show_error(f"Could not export: {exc}")
            return
        dialog.show_saved(path)

    # -- the REST API -------------------------------------------------------------------------
    def open_api(self) -> ApiServerDialog | None:
        """Show the REST API page: start and stop the server in this process."""
        if self._api_server is None:
            return None
        server = self._api_server
        for old in [d for d in self._dialogs if isinstance(d, ApiServerDialog) and d.isVisible()]:
            old.close()
        dialog = ApiServerDialog(server.token, self.view)
        if server.url:
            dialog.show_running(server.url)
        dialog.start_requested.connect(lambda host, port: self._spawn(self._start_api(dialog, host, port)))
        dialog.stop_requested.connect(lambda: self._spawn(self._stop_api(dialog)))
        self._dialogs.append(dialog)
        dialog.show()
        return dialog

    async def _start_api(self, dialog: ApiServerDialog, host: str, port: int) -> None:
        assert self._api_server is not None
        try:
            url = await self._api_server.start(host, port)
        except (OSError, RuntimeError) as exc:
            dialog.show_error(f"Could not start: {exc}")
            return
        dialog.show_running(url)
        self.view.statusBar().showMessage(f"REST API on {url}", 5000)

    async def _stop_api(self, dialog: ApiServerDialog) -> None:
        assert self._api_server is not None
        await self._api_server.stop()
        dialog.show_stopped()

    # -- watch folders ------------------------------------------------------------------------
    def open_watch(self) -> WatchFoldersDialog | None:
        """Show the watch folders page, non-modal; its statuses refresh while it is open."""
        if self._watch is None:
            return None
        for old in [d for d in self._dialogs if isinstance(d, WatchFoldersDialog) and d.isVisible()]:
            old.close()
        dialog = WatchFoldersDialog(self.view.projects.names(), self.view)
        dialog.add_requested.connect(lambda path, project, recursive, extensions, settle: self._spawn(
            self._add_watch(dialog, path, project, recursive, extensions, settle)))
        dialog.remove_requested.connect(lambda folder_id: self._spawn(self._remove_watch(dialog, folder_id)))
        self._dialogs.append(dialog)
        dialog.show()
        self._spawn(self._refresh_watch(dialog))
        return dialog

    async def _refresh_watch(self, dialog: WatchFoldersDialog) -> None:
        assert self._watch is not None
        dialog.show_folders(await self._watch.folders())
        while dialog.isVisible():
            await asyncio.sleep(WATCH_REFRESH_S)
            if dialog.isVisible():
                dialog.show_folders(await self._watch.folders())

    async def _add_watch(self, dialog: WatchFoldersDialog, path: str, project: str, recursive: bool,
                         extensions: tuple[str, ...], settle_s: float) -> None:
        assert self._watch is not None
        try:
            folder = await self._watch.add(Path(path), project, recursive, extensions or None, settle_s)
        except VipError as exc:
            dialog.show_error(str(exc))
            return
        dialog.show_added(folder)
        dialog.show_folders(await self._watch.folders())
        if self.project_id is not None:
            await self._reload_projects(self.project_id)  # the folder's project may be new

    async def _remove_watch(self, dialog: WatchFoldersDialog, folder_id: str) -> None:
        assert self._watch is not None
        try:
            folder = await self._watch.remove(folder_id)
        except VipError as exc:
            dialog.show_error(str(exc))
            return
        dialog.message.setStyleSheet("")
        dialog.message.setText(f"No longer watching {folder.path}; its videos stay in the library.")
        dialog.show_folders(await self._watch.folders())

    # -- the analysis profile -----------------------------------------------------------------
    def open_profile(self) -> ProfileDialog | None:
        """Show the current project's analysis profile page, non-modal; Save stores it."""
        if self._profiles is None or self.project_id is None:
            return None
        for old in [d for d in self._dialogs if isinstance(d, ProfileDialog) and d.isVisible()]:
            old.close()  # one at a time: the new one shows the current project
        dialog = ProfileDialog(self.project_id, self._profiles.choices, self.view)
        dialog.save_requested.connect(lambda project_id, profile: self._spawn(
            self.save_profile(dialog, project_id, profile)))
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()
        self._keep(dialog)
        self._spawn(self._load_profile(dialog))
        return dialog

    async def _load_profile(self, dialog: ProfileDialog) -> None:
        assert self._profiles is not None
        project = await self._projects.get(dialog.project_id)
        profile = await self._profiles.get(dialog.project_id)
        dialog.show_profile(project.name if project else dialog.project_id, profile)

    async def save_profile(self, dialog: ProfileDialog, project_id: str, profile: AnalysisProfile) -> None:
        """Store the profile the page asked to save; the page says what was saved or what is wrong."""
        assert self._profiles is not None
        try:
            saved = await self._profiles.save(project_id, profile)
        except VipError as exc:
            dialog.show_error(str(exc))
            return
        dialog.show_saved(saved)
        log.info("analysis_profile_saved", project_id=project_id, enabled=sorted(saved.enabled),
                 disabled=sorted(saved.disabled), translate_to=saved.translate_to)

    async def import_samples(self) -> list[Job]:
        self.view.statusBar().showMessage("Generating sample videos…")
        paths = await asyncio.to_thread(generate_samples, self._config.samples_dir)
        return await self.import_paths(paths)

    def _new_project(self) -> None:
        self._keep(self.view.ask_project_name(lambda name: self._spawn(self._create_project(name))))

    async def _create_project(self, name: str) -> None:
        project = await self._projects.create(name)
        await self._reload_projects(project.id)
        await self.select_project(project.id)

    async def _reload_projects(self, current_id: str) -> None:
        projects = await self._projects.all()
        self.view.projects.set_projects(projects, current_id)
        self.view.search.set_project_names({p.id: p.name for p in projects})

    # -- polling -------------------------------------------------------------------------------
    async def _poll_jobs(self) -> None:
        """Follow the job records for the app's life (JobService.watch, every failure tolerated:
        the database may be restarting): show what changed; a job that ended syncs the search
        indexes and reloads the People page on screen (a people stage may have added someone)."""
        async for changed in self._jobs.watch(interval_s=POLL_INTERVAL_S, tolerate=lambda exc: True):
            if any(job.status.finished for job in changed):
                self._spawn(self.sync_search())
                if self.people is not None and self.view.showing_people():
                    self.people.reload()
            await self._show_changed_jobs(changed)

    async def _show_changed_jobs(self, changed: list[Job]) -> None:
        """Show the changed jobs of the current project, and refresh their videos' rows when
        there is something new to see: a video queued by another process (`vip analyze`) is
        named and listed, a finished probe fills duration, resolution and poster at once, a
        finished job shows its result."""
        new: list[Job] = []
        to_refresh: dict[str, bool] = {}  # video id -> the job's status changed
        for job in changed:
            shown = self.view.jobs.job(job.id)
            if job.project_id != self.project_id or (shown and shown.updated_at >= job.updated_at
                                                     and shown.status == job.status):
                continue
            new.append(job)
            status_changed = shown is None or shown.status != job.status
            known = self._videos.get(job.video_id)
            if (status_changed or known is None or known.media is None  # metadata not read yet
                    or _stage_name(shown) != _stage_name(job)):
                to_refresh[job.video_id] = to_refresh.get(job.video_id, False) or status_changed
        videos = await self._fetch_videos(list(to_refresh)) if to_refresh else []
        for job in new:
            self._show_job(job)
        if videos:
            await self._after_refresh([v for v in videos if to_refresh[v.id]])

    async def _poll_status(self) -> None:
        warm_until = utc_now() + WORKERS_WARM_UP  # local workers still starting say so, not "0 online"
        while True:
            try:
                if not await self._library.database_responds():
                    raise ConnectionError("the database did not answer within 2 s")
                alive = await self._library.workers_alive()
                local = self._config.local_workers()
                busy = sum(1 for w in alive if w.current_job)
                self.view.show_status(f"{self._config.database_text} ✓",
                                      workers_text(len(alive), local, busy, warming_up=utc_now() < warm_until))
                if self._database_away:
                    self._database_away = False
                    self.view.statusBar().showMessage("Database reconnected", 5000)
            except Exception:  # noqa: BLE001 - restarting (the embedded one restarts itself) or cut off
                self.view.show_status(f"{self._config.database_text} — reconnecting…")
                if not self._database_away:
                    self._database_away = True
                    self.view.statusBar().showMessage("The database is not responding — reconnecting…")
                log.warning("status_poll_failed", exc_info=True)
            await asyncio.sleep(STATUS_INTERVAL_S)

    async def _refresh_videos(self, video_ids: list[str]) -> None:
        videos = await self._fetch_videos(video_ids)
        await self._after_refresh(videos)

    async def _fetch_videos(self, video_ids: list[str]) -> list[Video]:
        """Read the videos again and show their library rows (new ones are added)."""
        videos = [v for v in await self._library.get_many(sorted(set(video_ids)))
                  if v.project_id == self.project_id]
        for video in videos:
            self._videos[video.id] = video
            self.view.library.show_video(video)
        if videos:
            self.view.show_library_empty(False)
        return videos

    async def _after_refresh(self, finished: list[Video]) -> None:
        """Reload the review screen when the video under review ended a job; posters of finished
        jobs are read again when on screen (a new poster file is read when its row is shown)."""
        reviewed = self.view.detail.video if self.view.showing_detail() else None
        for video in finished:  # analysis finished while the operator reviews it: show the shots
            if reviewed is not None and video.id == reviewed.id:
                await self._show_detail(video)
        self.view.library.reload_posters([v.id for v in finished])

    async def _load_posters(self, video_ids: list[str]) -> None:
        """Read the posters the library asks for (rows coming into view), off the GUI thread."""
        paths = {v: video.poster_path for v in video_ids if (video := self._videos.get(v)) and video.poster_path}
        # Decoded and framed for the list and the grid in the thread; only pixmaps are made here.
        images = await asyncio.to_thread(
            lambda: {v: poster_images(read_thumbnail(p, POSTER_SIZE)) for v, p in paths.items()})
        for video_id in video_ids:
            self.view.library.set_poster(video_id, images.get(video_id) or QImage())

    def _show_job(self, job: Job) -> None:
        self.view.jobs.show_job(job, self._video_name(job))
        self.on_job_shown(job)

    def _video_name(self, job: Job) -> str:
        video = self._videos.get(job.video_id)
        return video.name if video else job.video_id

    def _refresh_names(self, videos: list[Video]) -> None:
        """Name the shown jobs of videos that were just read in (they showed the video's id)."""
        for job in self.view.jobs.jobs_of({v.id for v in videos}):
            self.view.jobs.show_job(job, self._video_name(job))

    # -- plumbing ------------------------------------------------------------------------------
    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        self._tasks.spawn(coro)

    def _failed(self, exc: BaseException) -> None:
        log.error("ui_action_failed", error=str(exc), exc_info=exc)
        self.view.show_error("Something went wrong", str(exc))

    def _keep(self, dialog: Any) -> None:
        self._dialogs = [d for d in self._dialogs if d.isVisible()] + [dialog]


def _imported_text(items: list[ImportItem]) -> str:
    added = sum(1 for item in items if item.created)
    note = f" ({len(items) - added} already in the project)" if len(items) > added else ""
    return f"Imported {added} video(s){note}"


def _with_estimate(done: str, queued: Queued) -> str:
    """The status bar's line for a queued batch: the estimate follows when a step runs in the cloud."""
    return f"{done} — {queued.estimate.text()}" if queued.estimate.routes_to_cloud else done


def _stage_name(job: Job | None) -> str | None:
    stage = job.current_stage if job is not None else None
    return stage.name if stage is not None else None


def workers_text(online: int, local: int, busy: int, warming_up: bool) -> str:
    """The status bar's worker count; local workers not online yet read as starting."""
    starting = local - online if warming_up and local > online else 0
    if starting and not online:
        return f"Workers: starting {local} local…"
    text = f"Workers: {online} online"
    if starting:
        text += f", {starting} starting…"
    elif local:
        text += f" ({local} local)"
    return text + (f", {busy} busy" if busy else "")
