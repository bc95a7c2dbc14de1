"""The local extractive summary: chapters at shot boundaries, titled by what was said or shown."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from core.models import Job, JobStatus, StageRecord
from core.models.segment import TextSegment
from core.models.shot import Shot
from core.pipeline import CaptionsStage, EmbedStage, JobRunner, ProbeStage, SummaryStage, VisualStage
from core.pipeline.runner import RunnerConfig
from core.providers import PriceTable, ProviderGateway
from core.models.routing import Routing
from core.providers.base import BudgetExceeded, ProviderRequest, ProviderResponse
from core.providers.budgets import BudgetChecker
from core.models.routing import Route
from core.providers.stage_access import GatewayAccess
from core.repositories import (
    ApiCacheRepository,
    JobRepository,
    ProjectRepository,
    ProviderCallRepository,
    SegmentRepository,
    ShotRepository,
    VideoRepository,
)
from core.repositories.routing import RoutingRepository
from core.models.passage import Passage
from core.summary.extractive import chapter_spans, local_summary
from core.summary.filler import is_filler, strip_filler
from core.models.summary import LOCAL_LABEL, ON_SCREEN, SPOKEN, Moment, Summary, to_json, to_markdown
from tests.core.test_runner import add_video_job, make_runner
from tests.media import MediaSet


def _shot(index: int, start: float, end: float) -> Shot:
    return Shot("v", index, start, end, 0, 0, "cut" if index else "start")


def _line(start: float, text: str, vector: list[float]) -> Passage:
    v = np.asarray(vector, np.float32)
    return Passage(id=f"p{start}", video_id="v", modality="speech", unit="line", start_s=start, end_s=start + 3,
                   text=text, vector=v / np.linalg.norm(v))


def _shown(start: float, end: float, text: str) -> TextSegment:
    return TextSegment(video_id="v", kind="ocr", start_s=start, end_s=end, text=text)


def _said(summary: Summary) -> list[tuple[float, str]]:
    """Every sentence the summary shows, overview and chapters, with its time."""
    moments = list(summary.overview_points) + [m for c in summary.chapters for m in c.points]
    return sorted((m.start_s, m.display_text) for m in moments)


def test_chapters_start_at_shot_boundaries_and_list_what_was_said_and_shown_at_its_own_time() -> None:
    shots = [_shot(0, 0, 25), _shot(1, 25, 42), _shot(2, 42, 70), _shot(3, 70, 90)]
    assert chapter_spans(shots, 0.0, 90.0) == [(0.0, 25.0), (25.0, 42.0), (42.0, 70.0), (70.0, 90.0)]
    assert chapter_spans(shots[:2] + [_shot(2, 44, 90)], 0.0, 50.0) == [(0.0, 25.0), (25.0, 50.0)]
    lines = [_line(2, "We visit the old harbour.", [1, 0.2, 0]), _line(10, "The harbour is busy with boats.", [1, 0.1, 0]),
             _line(45, "Boats bring fish to the harbour.", [0.9, 0.3, 0.1]), _line(60, "Unrelated noise.", [0, 0, 1])]
    on_screen = [_shown(75, 85, "THE END")]
    summary = local_summary(shots, lines, on_screen, 0.0, 90.0)
    assert summary.source == "local-extractive" and summary.label == LOCAL_LABEL
    # the three most central sentences, in the order they were said, each at its time
    assert summary.overview == "We visit the old harbour. The harbour is busy with boats. Boats bring fish to the harbour."
    assert [(m.start_s, m.text) for m in summary.overview_points] == [
        (2.0, "We visit the old harbour."), (10.0, "The harbour is busy with boats."),
        (45.0, "Boats bring fish to the harbour.")]
    # chapters are named by their shots and list what the overview did not say, at its own time
    assert [(c.start_s, c.title, [(m.start_s, m.display_text) for m in c.points]) for c in summary.chapters] == [
        (0.0, "Shot 1", []), (25.0, "Shot 2", []), (42.0, "Shot 3", [(60.0, "Unrelated noise.")]),
        (70.0, "Shot 4", [(75.0, "On screen: “THE END”")])]
    silent = local_summary(shots, [], [], 0.0, 90.0)
    assert [c.title for c in silent.chapters] == ["Shot 1", "Shot 2", "Shot 3", "Shot 4"]
    assert silent.overview == "No speech or on-screen text; 4 shots." and silent.overview_points == []


def test_a_short_talk_shows_each_sentence_once_at_the_time_it_was_said() -> None:
    """The bug report: two sentences at 0:03 and 0:13 were both stamped 0:00, and shown twice."""
    shots = [_shot(0, 0, 9), _shot(1, 9, 20)]
    lines = [_line(3.0, "Platform nine is closed this morning.", [1, 0.1, 0]),
             _line(13.0, "Trains to the coast leave from platform four.", [0.9, 0.2, 0])]
    summary = local_summary(shots, lines, [], 0.0, 20.0)
    assert [(m.start_s, m.text) for m in summary.overview_points] == [
        (3.0, "Platform nine is closed this morning."), (13.0, "Trains to the coast leave from platform four.")]
    assert len(summary.chapters) == 1 and summary.chapters[0].points == ()  # nothing said twice
    markdown = to_markdown("station.mp4", summary)
    assert "- **0:03** Platform nine is closed this morning." in markdown
    assert "- **0:13** Trains to the coast leave from platform four." in markdown
    assert markdown.count("Platform nine is closed") == 1


@pytest.mark.parametrize("filler", ["Thank you for watching!", "Thanks for watching, guys.", "Please subscribe.",
                                    "Like and subscribe!", "See you next time.", "Don't forget to subscribe to my channel.",
                                    "Thank you.", "Bye!"])
def test_sign_off_filler_is_never_picked(filler: str) -> None:
    assert is_filler(filler)
    shots = [_shot(0, 0, 30)]
    # the filler is the most "central" line (its vector sits between the others): it must still not be picked
    lines = [_line(1.0, "The harbour opens at dawn.", [1, 0, 0]), _line(8.0, "Fishing boats come in.", [0, 1, 0]),
             _line(15.0, "The market sells the catch.", [0, 0, 1]), _line(25.0, filler, [1, 1, 1]),
             _line(27.0, f"Nets dry in the sun. {filler}", [1, 0.5, 0.5])]
    summary = local_summary(shots, lines, [_shown(26, 29, "SUBSCRIBE")], 0.0, 30.0)
    shown = " ".join(text for _, text in _said(summary)) + " " + summary.overview
    assert filler not in shown and "SUBSCRIBE" not in shown
    assert (27.0, "Nets dry in the sun.") in _said(summary)


@pytest.mark.parametrize("sentence", ["Platform 9 is delayed by twenty minutes.",
                                      "Thank you for your patience while the train is delayed.",
                                      "We subscribe to the view that trains run late.",
                                      "Goodbye to the old station building."])
def test_sentences_that_only_look_like_filler_stay(sentence: str) -> None:
    assert not is_filler(sentence) and strip_filler(sentence) == sentence


def test_on_screen_text_appears_at_its_time_with_or_without_speech() -> None:
    shots = [_shot(0, 0, 12), _shot(1, 12, 30)]
    on_screen = [_shown(2.0, 3.0, "PLATFORM 9 DELAY"), _shown(3.0, 9.0, "PLATFORM 9 DELAY"),  # one text, two samples
                 _shown(4.0, 5.0, "00:04"), _shown(20.0, 24.0, "Next train 10:42")]
    spoken = local_summary(shots, [_line(5.0, "Passengers wait on the platform.", [1, 0, 0])], on_screen, 0.0, 30.0)
    assert spoken.overview_points == [Moment(5.0, "Passengers wait on the platform.", SPOKEN)]
    assert [(m.start_s, m.display_text) for m in spoken.chapters[0].points] == [
        (2.0, "On screen: “PLATFORM 9 DELAY”"), (20.0, "On screen: “Next train 10:42”")]
    assert "- **0:02** On screen: “PLATFORM 9 DELAY”" in to_markdown("platform.mp4", spoken)
    silent = local_summary(shots, [], on_screen, 0.0, 30.0)
    assert silent.overview == "No speech. On screen: PLATFORM 9 DELAY; Next train 10:42"
    assert silent.overview_points == [Moment(2.0, "PLATFORM 9 DELAY", ON_SCREEN), Moment(20.0, "Next train 10:42", ON_SCREEN)]
    assert silent.chapters[0].points == ()  # the overview already shows both


def test_markdown_and_json_exports_show_times_on_the_player_clock() -> None:
    shots = [_shot(0, 10, 40), _shot(1, 40, 75)]
    lines = [_line(12, "Hello there.", [1, 0, 0]), _line(13, "Welcome aboard.", [1, 0, 0]),
             _line(14, "Mind the gap.", [1, 0, 0]), _line(53, "Doors are closing.", [0.5, 0.5, 0])]
    summary = local_summary(shots, lines, [], 10.0, 75.0)
    markdown = to_markdown("talk.mp4", summary, origin_s=10.0)
    assert markdown.startswith("# talk.mp4\n\n*Local extractive summary")
    assert "## Overview\n\n- **0:02** Hello there.\n- **0:03** Welcome aboard.\n- **0:04** Mind the gap.\n" in markdown
    assert "- **0:00** Shot 1\n- **0:30** Shot 2\n  - **0:43** Doors are closing.\n" in markdown
    doc = json.loads(to_json(summary))
    assert doc["source"] == "local-extractive" and [c["start_s"] for c in doc["chapters"]] == [10.0, 40.0]
    assert doc["overview_points"][0] == {"start_s": 12.0, "text": "Hello there.", "kind": "spoken"}
    assert doc["chapters"][1]["points"] == [{"start_s": 53.0, "text": "Doors are closing.", "kind": "spoken"}]


@pytest.fixture(scope="module")
def embed_stage(tmp_path_factory: pytest.TempPathFactory) -> EmbedStage:
    return EmbedStage(tmp_path_factory.mktemp("vip-data"))


def test_summary_stage_stores_overview_and_chapters(sync_db: Any, media: MediaSet, tmp_path: Path,
                                                     embed_stage: EmbedStage) -> None:
    video, job = add_video_job(sync_db, media.black_start, ("probe", "visual", "embed", "summary"))
    segments = SegmentRepository(sync_db)
    segments.replace_for_stage(video.id, "speech", [
        TextSegment(video_id=video.id, kind="speech", stage="speech", start_s=0.5, end_s=2.5,
                    text="A dark start to the day."),
        TextSegment(video_id=video.id, kind="speech", stage="speech", start_s=4.0, end_s=5.5,
                    text="Thanks for watching!")])
    segments.replace_for_stage(video.id, "ocr", [TextSegment(
        video_id=video.id, kind="ocr", stage="ocr", start_s=3.2, end_s=5.0, text="PLATFORM 9 DELAY")])
    runner = make_runner(sync_db, tmp_path, [ProbeStage(), VisualStage(), embed_stage, SummaryStage()])
    assert runner.run(job.id) == JobStatus.SUCCEEDED
    done = JobRepository(sync_db).get(job.id)
    assert done and done.stages[3].message.endswith("chapters (local extractive)")
    stored = segments.summaries.for_video(video.id)
    assert stored is not None and stored.source == "local-extractive"
    assert stored.overview == "A dark start to the day."  # the sign-off is left out
    assert stored.overview_points == [Moment(0.5, "A dark start to the day.", SPOKEN)]
    assert stored.chapters and stored.chapters[0].start_s == 0.0
    assert stored.chapters[0].points == (Moment(3.2, "PLATFORM 9 DELAY", ON_SCREEN),)


def test_without_embeddings_the_summary_still_picks_from_the_transcript(
        sync_db: Any, media: MediaSet, tmp_path: Path) -> None:
    video, job = add_video_job(sync_db, media.black_start, ("probe", "visual", "summary"))
    segments = SegmentRepository(sync_db)
    segments.replace_for_stage(video.id, "speech", [TextSegment(
        video_id=video.id, kind="speech", stage="speech", start_s=3.4, end_s=5.0, text="Colour bars at last.")])
    runner = make_runner(sync_db, tmp_path, [ProbeStage(), VisualStage(), SummaryStage()])
    assert runner.run(job.id) == JobStatus.SUCCEEDED
    stored = segments.summaries.for_video(video.id)
    assert stored is not None and stored.overview_points == [Moment(3.4, "Colour bars at last.", SPOKEN)]


class StandInProviders:
    """The ProviderAccess port: the project's routing, and scripted gateway answers (the gateway
    itself is tested in test_gateway.py)."""

    def __init__(self, route: Route, answer: Any) -> None:
        self._route, self._answer = route, answer
        self.requests: list[ProviderRequest] = []

    def route(self, project_id: str, capability: str) -> Route:
        return self._route if capability in ("summarizer", "captioner") else Route()

    def call(self, request: ProviderRequest) -> dict[str, Any]:
        self.requests.append(request)
        if isinstance(self._answer, Exception):
            raise self._answer
        return {"text": self._answer}


ANSWER = """Here you are:
```json
{"overview": "Grey frames, then colour bars.",
 "chapters": [{"start_s": 0, "title": "Darkness", "text": "Three black seconds."},
              {"start_s": 3.0, "title": "Bars", "text": ""}],
 "commentary": [{"start_s": 0.5, "text": "We open in the dark."}, {"start_s": 3.2, "text": "And now, colour."}]}
```"""


@pytest.mark.parametrize("answer, expected", [
    (ANSWER, "2 chapters, 2 commentary lines"),
    (BudgetExceeded("Project p1 has spent $4.99 of its $5.00 budget; this call would cost about $0.02"),
     "local summary instead"),
    ("Sorry, I cannot help with that.", "did not answer with JSON"),
    ('{"overview": "x", "chapters": [{"start_s": 999, "title": "Later"}]}', "a time outside the video: 999 s"),
])
def test_a_routed_llm_writes_summary_and_commentary_or_the_local_one_says_why(
        sync_db: Any, media: MediaSet, tmp_path: Path, answer: Any, expected: str) -> None:
    providers = StandInProviders(Route("openai", "gpt-4o-mini"), answer)
    video, job = add_video_job(sync_db, media.black_start, ("probe", "visual", "summary"))
    runner = make_runner(sync_db, tmp_path, [ProbeStage(), VisualStage(), SummaryStage(providers)])
    assert runner.run(job.id) == JobStatus.SUCCEEDED
    done = JobRepository(sync_db).get(job.id)
    assert done and expected in done.stages[2].message
    request = providers.requests[0]
    assert (request.provider, request.model, request.operation) == ("openai", "gpt-4o-mini", "chat")
    assert request.project_id == "p1" and request.video_id == video.id and request.estimate["input_tokens"] > 0
    stored = SegmentRepository(sync_db).summaries.for_video(video.id)
    assert stored is not None
    if answer is ANSWER:
        assert stored.source == "openai/gpt-4o-mini" and stored.label == "Written by openai/gpt-4o-mini"
        assert [(c.start_s, c.end_s, c.title) for c in stored.chapters] == [(0.0, 3.0, "Darkness"),
                                                                             (3.0, 6.0, "Bars")]
        assert [(c.start_s, c.text) for c in stored.commentary] == [(0.5, "We open in the dark."),
                                                                    (3.2, "And now, colour.")]
    else:
        assert stored.source == "local-extractive"
        if isinstance(answer, BudgetExceeded):
            assert "budget" in done.stages[2].message


def test_captions_from_a_routed_vision_provider_become_searchable_visual_passages(
        sync_db: Any, media: MediaSet, tmp_path: Path, embed_stage: EmbedStage) -> None:
    providers = StandInProviders(Route("openai", "gpt-4o-mini"), None)
    providers.call = lambda request: (providers.requests.append(request)  # type: ignore[method-assign]
                                      or {"text": "A dark room.", "labels": ["night", "room"]})
    video, job = add_video_job(sync_db, media.black_start, ("probe", "visual", "captions", "embed"))
    runner = make_runner(sync_db, tmp_path, [ProbeStage(), VisualStage(), CaptionsStage(providers), embed_stage])
    assert runner.run(job.id) == JobStatus.SUCCEEDED
    done = JobRepository(sync_db).get(job.id)
    assert done and done.stages[2].message.endswith("captions (openai/gpt-4o-mini)")
    request = providers.requests[0]
    assert request.operation == "vision" and request.payload["labels"] is True
    assert len(request.payload["image_sha256"]) == 64 and request.estimate["images"] == 1.0
    visual = [p for p in SegmentRepository(sync_db).passages.for_video(video.id) if p.modality == "visual"]
    assert visual and visual[0].text == "A dark room. [night, room]" and visual[0].unit == "caption"


def test_without_a_vision_provider_captions_say_so_and_cost_nothing(
        sync_db: Any, media: MediaSet, tmp_path: Path) -> None:
    video, job = add_video_job(sync_db, media.good, ("probe", "visual", "captions"))
    runner = make_runner(sync_db, tmp_path, [ProbeStage(), VisualStage(), CaptionsStage(None)])
    assert runner.run(job.id) == JobStatus.SUCCEEDED
    done = JobRepository(sync_db).get(job.id)
    assert done and done.stages[2].message.startswith("No vision provider chosen")


class ScriptedOpenAI:
    """A provider that answers like gpt-4o-mini with a usage block (the HTTP wire format is tested
    in test_providers_http.py); counts its calls."""

    name = "openai"

    def __init__(self) -> None:
        self.calls = 0

    def call(self, request: ProviderRequest, timeout_s: float) -> ProviderResponse:
        self.calls += 1
        return ProviderResponse({"text": ANSWER}, {"input_tokens": 2000.0, "output_tokens": 500.0, "requests": 1.0})


def test_jobs_and_videos_carry_their_cost_and_a_second_run_is_a_cache_hit(
        sync_db: Any, media: MediaSet, tmp_path: Path) -> None:
    sync_db["project_settings"].insert_one(
        {"_id": "p1", "routes": Routing().with_route("summarizer", Route("openai", "gpt-4o-mini")).to_doc()})
    provider = ScriptedOpenAI()
    ledger = ProviderCallRepository(sync_db)
    gateway = ProviderGateway({"openai": provider}, ApiCacheRepository(sync_db), ledger, PriceTable(),
                              BudgetChecker(ProjectRepository(sync_db), ledger))
    stages = [ProbeStage(), VisualStage(), SummaryStage(GatewayAccess(RoutingRepository(sync_db), gateway))]
    runner = JobRunner(JobRepository(sync_db), VideoRepository(sync_db), ShotRepository(sync_db),
                       SegmentRepository(sync_db), stages,
                       RunnerConfig("test:1", tmp_path / "media", heartbeat_s=0.2, ledger=ledger))
    video, job = add_video_job(sync_db, media.black_start, ("probe", "visual", "summary"))
    assert runner.run(job.id) == JobStatus.SUCCEEDED
    expected = 2000 * 0.15 / 1e6 + 500 * 0.60 / 1e6  # gpt-4o-mini per 1M input / output tokens
    done = JobRepository(sync_db).get(job.id)
    assert done and done.cost_usd == pytest.approx(expected)
    stored = VideoRepository(sync_db).get(video.id)
    assert stored and stored.cost_usd == pytest.approx(expected)
    again = Job(kind="analyze", video_id=video.id, project_id="p1", force=True,
                stages=[StageRecord(n) for n in ("probe", "visual", "summary")])
    sync_db["jobs"].insert_one(again.to_doc())
    assert runner.run(again.id) == JobStatus.SUCCEEDED
    assert provider.calls == 1  # the same material and model: answered from the cache
    rerun = JobRepository(sync_db).get(again.id)
    assert rerun and rerun.cost_usd == 0.0
    calls = ledger.for_job(again.id)
    assert len(calls) == 1 and calls[0].cached and calls[0].saved_usd == pytest.approx(expected)
