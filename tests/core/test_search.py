"""Library search end to end: passages embedded by the embed stage, indexes synced from the real
database, hybrid queries, filters, and no stale hits after re-analysis or removal."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from core.media.fingerprint import fingerprint
from core.models import Job, JobStatus, StageRecord, Video
from core.models.segment import TextSegment
from core.pipeline import EmbedStage, ProbeStage
from core.repositories import DatabaseAddress, SegmentRepository, connect_async
from core.search.filters import SearchFilters
from core.services import ClientServices
from app.wiring import client_services
from tests.core.test_runner import make_runner
from tests.core.test_services import RecordingLauncher
from tests.media import MediaSet

T = TypeVar("T")

HARBOUR = [(0.0, 4.0, "Welcome aboard the harbour tour."),
           (5.0, 9.0, "On the left you can see the old lighthouse."),
           (10.0, 14.0, "The lighthouse was built in 1852 by local fishermen."),
           (15.0, 19.0, "Next we pass the fish market."),
           (20.0, 24.0, "Every morning the boats bring their catch here.")]
KITCHEN = [(0.0, 4.0, "Today we are baking bread at home."),
           (6.0, 10.0, "Mix the flour with water and a little yeast."),
           (12.0, 16.0, "Let the dough rise for two hours in a warm place."),
           (18.0, 22.0, "Bake it in a hot oven until the crust is golden.")]


@pytest.fixture(scope="module")
def embed_stage(tmp_path_factory: pytest.TempPathFactory) -> EmbedStage:
    return EmbedStage(tmp_path_factory.mktemp("vip-data"))


def analysed(db: Any, tmp_path: Path, clip: Path, project_id: str, lines: list[tuple[float, float, str]],
             captions: list[tuple[float, float, str]], stage: EmbedStage) -> Video:
    """A video in `project_id` whose transcript and on-screen text are `lines` and `captions`, embedded."""
    path = tmp_path / f"{project_id}-{clip.name}"
    shutil.copy(clip, path)
    fp, size = fingerprint(path)
    video = Video(project_id=project_id, path=str(path), fingerprint=fp, size_bytes=size)
    db["videos"].insert_one(video.to_doc())
    reanalyse(db, tmp_path, video, lines, captions, stage)
    return video


def reanalyse(db: Any, tmp_path: Path, video: Video, lines: list[tuple[float, float, str]],
              captions: list[tuple[float, float, str]], stage: EmbedStage) -> None:
    segments = SegmentRepository(db)
    segments.replace_for_stage(video.id, "speech", [TextSegment(video_id=video.id, kind="speech", stage="speech",
                                                                start_s=s, end_s=e, text=t) for s, e, t in lines])
    segments.replace_for_stage(video.id, "ocr", [TextSegment(video_id=video.id, kind="ocr", stage="ocr",
                                                             start_s=s, end_s=e, text=t) for s, e, t in captions])
    job = Job(kind="analyze", video_id=video.id, project_id=video.project_id, force=True,
              stages=[StageRecord("probe"), StageRecord("embed")])
    db["jobs"].insert_one(job.to_doc())
    assert make_runner(db, tmp_path, [ProbeStage(), stage]).run(job.id) == JobStatus.SUCCEEDED


def with_search(database: DatabaseAddress, data_dir: Path, body: Callable[[ClientServices], Awaitable[T]]) -> T:
    async def main() -> T:
        client, db = connect_async(database)
        try:
            return await body(client_services(db, RecordingLauncher(), ["probe", "embed"], data_dir))
        finally:
            await client.close()

    return asyncio.run(main())


@pytest.fixture
def library(sync_db: Any, tmp_path: Path, media: MediaSet, embed_stage: EmbedStage) -> dict[str, Video]:
    return {"harbour": analysed(sync_db, tmp_path, media.good, "tours", HARBOUR,
                                [(3.0, 8.0, "HARBOUR TOURS - PIER 4")], embed_stage),
            "kitchen": analysed(sync_db, tmp_path, media.mkv, "cooking", KITCHEN,
                                [(0.0, 5.0, "Grandma's Bread Recipe")], embed_stage)}


def test_a_paraphrase_finds_the_spoken_sentence_at_its_moment(database: DatabaseAddress, tmp_path: Path,
                                                              library: dict[str, Video]) -> None:
    async def body(services: ClientServices) -> Any:
        report = await services.search.sync()
        assert (report.updated, report.removed) == (2, 0)
        return await services.search.search("when was the tower by the sea constructed")

    results = with_search(database, tmp_path / "data", body)
    assert results[0].video_id == library["harbour"].id
    best = results[0].best
    assert best.start_s == 10.0 and best.seek_s == 9.0 and best.unit == "line"
    assert best.text.startswith("The lighthouse was built in 1852") and "meaning" in best.matched_by


def test_exact_words_spoken_or_on_screen_are_highlighted(database: DatabaseAddress, tmp_path: Path,
                                                         library: dict[str, Video]) -> None:
    async def body(services: ClientServices) -> Any:
        await services.search.sync()
        return (await services.search.search("fishermen"), await services.search.search("pier"),
                await services.search.search("baking"))

    fishermen, pier, baking = with_search(database, tmp_path / "data", body)
    hit = fishermen[0].best
    assert fishermen[0].video_id == library["harbour"].id and "keyword" in hit.matched_by
    assert "<b>fishermen</b>" in hit.snippet_html()
    assert pier[0].video_id == library["harbour"].id and pier[0].best.modality == "text"
    assert pier[0].best.start_s == 3.0
    assert baking[0].video_id == library["kitchen"].id  # "baking" stems to "bake"


def test_weak_meaning_only_hits_are_cut_and_moments_come_in_time_order(
        database: DatabaseAddress, sync_db: Any, tmp_path: Path, media: MediaSet, embed_stage: EmbedStage) -> None:
    """Issue 16: "invoice 4471" found the invoice on screen, then the sample videos' on-screen timers
    ("07.00 s", 0.27-0.34 similar by MiniLM) as "similar meaning" hits."""
    office = analysed(sync_db, tmp_path, media.good, "office",
                      [(1.0, 4.0, "Please send the invoice to the accounts department by Friday.")],
                      [(12.0, 16.0, "INVOICE 4471"), (3.0, 6.0, "ACCOUNTS PAYABLE")], embed_stage)
    timers = [(t, t + 1.0, f"{t:05.2f} s") for t in (1.0, 3.0, 5.0, 6.0, 7.0)]
    sample = analysed(sync_db, tmp_path, media.mkv, "samples", [], timers, embed_stage)

    async def body(services: ClientServices) -> Any:
        await services.search.sync()
        return (await services.search.search("invoice 4471"),
                await services.search.search("invoice 4471", meaning_only_min=0.3, meaning_only_of_best=0.0),
                await services.search.search("where do I send the bill"))

    invoice, before, bill = with_search(database, tmp_path / "data", body)
    assert sample.id in {r.video_id for r in before}  # what the operator saw before the thresholds
    assert [r.video_id for r in invoice] == [office.id]
    assert [h.text for h in invoice[0].hits] == ["INVOICE 4471"]  # the sentence (0.64) is < 0.75 x 1.00
    assert invoice[0].best.words == ("invoice", "4471")
    assert invoice[0].best.reason() == "words: invoice, 4471 + meaning"
    assert [r.video_id for r in bill] == [office.id]  # no word in common: found by meaning alone
    hits = bill[0].hits
    assert [h.start_s for h in hits] == sorted(h.start_s for h in hits) and len(hits) == 2  # in time order
    sentence = bill[0].best
    assert sentence.text.startswith("Please send the invoice") and sentence.matched_by == ("meaning",)
    assert sentence.similarity is not None and sentence.similarity > 0.5
    assert sentence.reason() == f"similar meaning ({sentence.similarity:.2f})"


def test_filters_by_project_and_modality(database: DatabaseAddress, tmp_path: Path, library: dict[str, Video]) -> None:
    async def body(services: ClientServices) -> Any:
        await services.search.sync()
        in_cooking = await services.search.search("old lighthouse", SearchFilters(project_id="cooking"))
        on_screen = await services.search.search("bread", SearchFilters(modalities=("text",)))
        return in_cooking, on_screen

    in_cooking, on_screen = with_search(database, tmp_path / "data", body)
    assert {r.video_id for r in in_cooking} <= {library["kitchen"].id}
    assert on_screen and all(h.modality == "text" for r in on_screen for h in r.hits)
    assert on_screen[0].best.text == "Grandma's Bread Recipe"


def test_no_stale_hits_after_reanalysis_or_removal_and_rebuild_equals_incremental(
        database: DatabaseAddress, sync_db: Any, tmp_path: Path, library: dict[str, Video], embed_stage: EmbedStage) -> None:
    data_dir = tmp_path / "data"
    queries = ["lighthouse", "bread dough", "a ferry crossing the bay", "PIER"]

    async def first(services: ClientServices) -> Any:
        await services.search.sync()
        return await services.search.search("lighthouse")

    assert [r.video_id for r in with_search(database, data_dir, first)] == [library["harbour"].id]
    reanalyse(sync_db, tmp_path, library["harbour"], [(0.0, 5.0, "This ferry crosses the bay every hour.")], [],
              embed_stage)

    async def after_reanalysis(services: ClientServices) -> Any:
        report = await services.search.sync()
        assert (report.updated, report.removed) == (1, 0)
        keyword_only = await services.search.search("fishermen", SearchFilters(project_id="tours"))
        ferry = await services.search.search("ferry")
        incremental = [[(r.video_id, [(h.passage_id, h.start_s) for h in r.hits]) for r in
                        await services.search.search(q)] for q in queries]
        await services.search.rebuild()
        rebuilt = [[(r.video_id, [(h.passage_id, h.start_s) for h in r.hits]) for r in
                    await services.search.search(q)] for q in queries]
        return keyword_only, ferry, incremental, rebuilt

    keyword_only, ferry, incremental, rebuilt = with_search(database, data_dir, after_reanalysis)
    assert all("fishermen" not in h.text for r in keyword_only for h in r.hits)  # the old transcript is gone
    assert ferry[0].video_id == library["harbour"].id and ferry[0].best.text.startswith("This ferry")
    assert rebuilt == incremental

    async def after_removal(services: ClientServices) -> Any:
        removed = await services.library.remove(library["kitchen"].id)
        assert removed.id == library["kitchen"].id
        report = await services.search.sync()
        assert report.removed == 1
        return await services.search.search("bread dough"), await services.library.video(library["kitchen"].id)

    bread, gone = with_search(database, data_dir, after_removal)
    assert gone is None and library["kitchen"].id not in {r.video_id for r in bread}
    assert sync_db["segments"].count_documents({"video_id": library["kitchen"].id}) == 0


def test_a_sync_with_nothing_changed_reads_one_counter_not_every_video(
        database: DatabaseAddress, sync_db: Any, tmp_path: Path, library: dict[str, Video], embed_stage: EmbedStage,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """5,000 videos: reading every video's search state costs the embedded server ~4 s, at each
    start and after each finished job. The library's search revision says when it is needed."""
    from core.repositories.videos import AsyncVideoRepository

    reads: list[int] = []
    real = AsyncVideoRepository.search_states

    async def counted(self: AsyncVideoRepository) -> Any:
        states = await real(self)
        reads.append(len(states))
        return states

    monkeypatch.setattr(AsyncVideoRepository, "search_states", counted)
    data_dir = tmp_path / "data"

    async def twice(services: ClientServices) -> Any:
        return await services.search.sync(), await services.search.sync()

    first, second = with_search(database, data_dir, twice)
    assert (first.updated, second.updated, second.removed) == (2, 0, 0) and reads == [2]
    reanalyse(sync_db, tmp_path, library["harbour"], [(0.0, 5.0, "A ferry crosses the bay.")], [], embed_stage)
    third, fourth = with_search(database, data_dir, twice)  # a new process: the revision is kept with the index
    assert (third.updated, fourth.updated) == (1, 0) and reads == [2, 2]
    ferry = with_search(database, data_dir, lambda services: services.search.search("ferry"))
    assert ferry[0].video_id == library["harbour"].id
    with_search(database, data_dir, lambda services: services.library.remove(library["kitchen"].id))
    removed, again = with_search(database, data_dir, twice)
    assert (removed.removed, again.removed) == (1, 0) and reads == [2, 2, 1]


def test_person_and_speaker_filters_keep_only_their_moments(database: DatabaseAddress, sync_db: Any, tmp_path: Path,
                                                            library: dict[str, Video]) -> None:
    import numpy as np

    from core.models.person import Person, PersonAppearance
    from core.models.segment import Box
    from core.repositories import VideoRepository
    from core.repositories.people import PeopleRepository

    harbour = library["harbour"]
    people = PeopleRepository(sync_db)
    guide = Person(number=1, centroid=[0.0] * 128, name="Ann Guide", count=1, videos=1)
    people.add(guide)  # on screen 14-20 s: with the lighthouse's second line (10-14 s), not its first (5-9 s)
    people.save_prints(harbour.id, [PersonAppearance(harbour.id, 0, 14.0, 20.0, Box(0, 0, 90, 90), None, guide.id)],
                       np.zeros((1, 128), np.float32))
    segments = SegmentRepository(sync_db)
    lines = segments.for_video(harbour.id, "speech")
    for line in lines:
        line.speaker = "S1" if line.start_s < 10.0 else "S2"
    segments.replace_for_stage(harbour.id, "speech", lines)
    VideoRepository(sync_db).save_speakers(harbour.id, ["S1", "S2"])

    async def body(services: ClientServices) -> dict[str, Any]:
        await services.search.sync()
        await services.library.name_speaker(harbour.id, "S2", "Captain Reed")

        async def moments(query: str, **filters: Any) -> list[tuple[str, float, str]]:
            found = await services.search.search(query, SearchFilters(**filters))
            return [(r.video_id, h.start_s, h.reason()) for r in found for h in r.hits]

        return {"plain": await moments("lighthouse"),
                "with_guide": await moments("person:guide lighthouse"),
                "guide_alone": await moments('person:"ann guide"'),
                "guide_filter": await moments("lighthouse", person="Ann"),
                "nobody": await moments("person:nobody lighthouse"),
                "other_video": await moments("person:guide bread"),
                "captain": await moments("speaker:captain lighthouse"),
                "speaker_1": await moments('speaker:"speaker 1" lighthouse')}

    seen = with_search(database, tmp_path / "data", body)
    spoken = [t for v, t, _ in seen["plain"] if v == harbour.id]
    assert 5.0 in spoken and 10.0 in spoken
    assert [t for _, t, _ in seen["with_guide"] if t in (5.0, 10.0)] == [10.0]
    assert seen["guide_alone"] == [(harbour.id, 14.0, "on screen")]
    assert [t for _, t, _ in seen["guide_filter"] if t in (5.0, 10.0)] == [10.0]
    assert seen["nobody"] == [] and seen["other_video"] == []
    assert [t for _, t, _ in seen["captain"]] == [10.0]
    assert [t for _, t, _ in seen["speaker_1"]] == [5.0]
