"""The local search index: keyword (FTS5) and vector (usearch) search over synthetic passages,
consistency after replace/remove/compact/rebuild, filters, readers in other objects and
writers in other processes."""

from __future__ import annotations

import hashlib
import multiprocessing as mp
import threading
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from core.search import index as index_module
from core.search import keyword_index
from core.search.fusion import rrf
from core.search.index import SearchIndex
from core.search.keyword_index import fts_query
from core.search.filters import SearchFilters
from core.search.passage import IndexHit
from core.models.passage import DIM, Passage, VideoFacts
from core.search.vector_index import VectorView, to_stored

T0 = datetime(2026, 1, 1, tzinfo=UTC)
ODD = ['"', '""', '"""', "*", "**", "AND", "OR", "NOT", "NEAR", "and or not", "-", "--", "- -", "-harbour",
       "🌊", "🌊 harbour 🚢", "NEAR(harbour boat, 2)", "text:harbour", "^harbour", "harbour*", "*harbour",
       "(harbour", "harbour)", "{m_speech}: boat", "'", "a'b", "\\", "\x00", "   ", "", "é", "日本語のテキスト",
       "x" * 5000, "harbour " * 200, '"unclosed phrase', '-"excluded phrase"', "+plus", "a:b:c", "..."]


def unit(seed: str) -> np.ndarray:
    """A deterministic random unit vector."""
    rng = np.random.default_rng(int(hashlib.sha1(seed.encode()).hexdigest()[:8], 16))
    v = rng.standard_normal(DIM).astype(np.float32)
    return v / np.linalg.norm(v)


def near(v: np.ndarray, amount: float, seed: str) -> np.ndarray:
    w = v + amount * unit(seed)
    return (w / np.linalg.norm(w)).astype(np.float32)


def facts(video_id: str, project: str = "p1", duration: float = 60.0, day: int = 0) -> VideoFacts:
    return VideoFacts(video_id, project, duration, T0 + timedelta(days=day))


def passages(video_id: str, texts: Iterable[str], modality: str = "speech", prefix: str | None = None) -> list[Passage]:
    prefix = prefix or video_id
    return [Passage(f"{prefix}-{i}", video_id, modality, "line", 2.0 * i, 2.0 * i + 2, text, unit(f"{prefix}-{i}"))
            for i, text in enumerate(texts)]


def ids(hits: list[IndexHit]) -> list[str]:
    return [h.passage_id for h in hits]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "index"


@pytest.fixture
def index(folder: Path) -> Iterator[SearchIndex]:
    with SearchIndex(folder) as index:
        yield index


HARBOUR = ["The ferry runs to the harbour every morning", "Fishermen were running along the pier",
           "The city council met on Tuesday", "A council of the city elders", "Storm warning for the north coast",
           "The lighthouse was built in 1852"]


def test_keyword_stems_words(index: SearchIndex) -> None:
    index.replace_video(facts("v1"), passages("v1", HARBOUR), "r1")
    assert set(ids(index.keyword("running", 10))) == {"v1-0", "v1-1"}  # runs, running
    assert ids(index.keyword("warnings", 10)) == ["v1-4"]


def test_keyword_matches_the_word_being_typed_as_a_prefix(index: SearchIndex) -> None:
    index.replace_video(facts("v1"), passages("v1", HARBOUR), "r1")
    assert ids(index.keyword("lightho", 10)) == ["v1-5"]
    assert ids(index.keyword("ferry harb", 10)) == ["v1-0"]
    assert "v1-1" in ids(index.keyword("runn", 10))  # the stem "run" does not start with "runn": completed from the vocabulary
    assert index.keyword("harb ", 10) == []  # the word is finished: no prefix


def test_keyword_skips_stopwords_next_to_other_words(index: SearchIndex) -> None:
    index.replace_video(facts("v1"), passages("v1", ["HARBOUR CLOSED", "the harbour at night", "the end"]), "r1")
    assert set(ids(index.keyword("the harbour ", 10))) == {"v1-0", "v1-1"}
    assert ids(index.keyword('"the harbour"', 10)) == ["v1-1"]  # phrases keep them
    assert set(ids(index.keyword("the ", 10))) == {"v1-1", "v1-2"}  # alone, a stopword is the query


def test_keyword_phrases_keep_word_order(index: SearchIndex) -> None:
    index.replace_video(facts("v1"), passages("v1", HARBOUR), "r1")
    assert ids(index.keyword('"city council"', 10)) == ["v1-2"]
    assert set(ids(index.keyword("city council", 10))) == {"v1-2", "v1-3"}
    assert ids(index.keyword('"north coa', 10)) == ["v1-4"]  # an unclosed phrase, last word being typed


def test_keyword_excludes_minus_words(index: SearchIndex) -> None:
    index.replace_video(facts("v1"), passages("v1", HARBOUR), "r1")
    assert ids(index.keyword("council -elders", 10)) == ["v1-2"]
    assert index.keyword("-council", 10) == []


def test_keyword_never_raises_on_odd_input(index: SearchIndex) -> None:
    index.replace_video(facts("v1"), passages("v1", HARBOUR + ["and or not near harbour"]), "r1")
    for text in ODD:
        hits = index.keyword(text, 5)
        assert isinstance(hits, list), text
    assert ids(index.keyword("AND", 5)) == ["v1-6"]  # operators are plain words
    assert "v1-0" in ids(index.keyword("🌊 harbour 🚢", 5))
    assert fts_query("") is None and fts_query('"') is None and fts_query("-x") is None


def test_vector_finds_the_nearest_passage(folder: Path, index: SearchIndex) -> None:
    index.replace_video(facts("v1"), passages("v1", [f"line {i}" for i in range(200)]), "r1")
    target = unit("v1-42")
    query = near(target, 0.3, "noise")
    pending = index.vector(query, 5)
    assert pending[0].passage_id == "v1-42" and pending[0].score > 0.9
    index.compact()
    with SearchIndex(folder, exact_limit=0) as ann:  # the HNSW path
        hits = ann.vector(query, 5)
    assert ids(hits) == ids(pending)
    assert [h.score for h in hits] == pytest.approx([h.score for h in pending], abs=1e-6)
    assert hits[0].video_id == "v1" and hits[0].start_s == 84.0 and hits[0].text == "line 42"


@pytest.mark.parametrize("compact_first", [False, True])
def test_replace_video_leaves_no_stale_hits(folder: Path, index: SearchIndex, compact_first: bool) -> None:
    index.replace_video(facts("v1"), passages("v1", ["the old harbour ferry", "an old storm"], prefix="a"), "r1")
    index.replace_video(facts("v2"), passages("v2", [f"other words {i}" for i in range(30)]), "r1")
    if compact_first:
        index.compact()  # the old vectors are now in the main snapshot: they need tombstones
    new = passages("v1", ["the new harbour bridge"], prefix="b")
    new.append(Passage("a-0", "v1", "text", "ocr", 5.0, 6.0, "HARBOUR NEWS", unit("fresh")))  # a kept id, new content
    index.replace_video(facts("v1"), new, "r2")
    assert index.revs() == {"v1": "r2", "v2": "r1"}
    assert index.keyword("old", 10) == []
    assert set(ids(index.keyword("harbour", 10))) == {"b-0", "a-0"}
    for exact_limit in (20_000, 0):
        with SearchIndex(folder, exact_limit=exact_limit) as reader:
            for old in ("a-0", "a-1"):
                hits = reader.vector(unit(old), 40)
                assert "a-1" not in ids(hits) and all(h.score < 0.5 for h in hits if h.passage_id == "a-0")
            assert reader.vector(unit("fresh"), 1)[0].passage_id == "a-0"
            assert reader.vector(unit("fresh"), 1)[0].modality == "text"


def test_remove_video_drops_it_from_both_indexes(folder: Path, index: SearchIndex) -> None:
    index.replace_video(facts("v1"), passages("v1", ["harbour ferry"] * 3), "r1")
    index.replace_video(facts("v2"), passages("v2", ["harbour bridge"] * 3), "r1")
    index.compact()
    index.remove_video("v1")
    index.remove_video("unknown")  # harmless
    assert index.revs() == {"v2": "r1"}
    assert {h.video_id for h in index.keyword("harbour", 10)} == {"v2"}
    for exact_limit in (20_000, 0):
        with SearchIndex(folder, exact_limit=exact_limit) as reader:
            assert {h.video_id for h in reader.vector(unit("v1-0"), 10)} == {"v2"}
    stats = index.stats()
    assert (stats["videos"], stats["passages"], stats["tombstones"]) == (1, 3, 3)
    index.compact()
    assert index.stats()["tombstones"] == 0 and index.stats()["vectors_main"] == 3


def _library(index: SearchIndex) -> None:
    """Three projects, three modalities, durations 30-300 s, imported over 30 days."""
    for v in range(12):
        modality = ("speech", "text", "visual")[v % 3]
        texts = [f"harbour story {v} part {i} " + ("storm" if i % 2 else "calm") for i in range(25)]
        index.replace_video(facts(f"v{v}", f"p{v % 3}", 30.0 * (v + 1), day=3 * v), passages(f"v{v}", texts, modality),
                            "r1")


QUERIES = ["harbour", "storm", "harbour calm", '"story 3"', "par", "-calm harbour"]
FILTERS = [SearchFilters(), SearchFilters(project_id="p1"), SearchFilters(modalities=("text", "visual")),
           SearchFilters(min_duration_s=100, max_duration_s=200),
           SearchFilters(imported_after=T0 + timedelta(days=9), imported_before=T0 + timedelta(days=21)),
           SearchFilters(project_id="p2", modalities=("visual",), min_duration_s=150)]


def _answers(folder: Path, exact_limit: int = 20_000) -> list[list[tuple[str, float]]]:
    with SearchIndex(folder, exact_limit=exact_limit) as reader:
        out = []
        for f in FILTERS:
            for text in QUERIES:
                out.append([(h.passage_id, round(h.score, 4)) for h in reader.keyword(text, 7, f)])
            for seed in ("q1", "q2", "v4-3"):
                out.append([(h.passage_id, round(h.score, 4)) for h in reader.vector(unit(seed), 7, f)])
        return out


def test_compact_keeps_results_identical(folder: Path, index: SearchIndex) -> None:
    _library(index)
    index.replace_video(facts("v4", "p1", 150.0, day=12), passages("v4", ["harbour storm again"] * 5), "r2")
    before, before_ann = _answers(folder), _answers(folder, exact_limit=0)
    assert index.compact() is True
    assert index.stats()["vectors_pending"] == 0 and index.stats()["tombstones"] == 0
    assert _answers(folder) == before
    assert _answers(folder, exact_limit=0) == before_ann == before
    assert index.compact() is False  # nothing left to fold


def test_rebuild_equals_incremental(tmp_path: Path, folder: Path, index: SearchIndex) -> None:
    _library(index)
    index.compact()
    index.replace_video(facts("v4", "p1", 150.0, day=12), passages("v4", ["harbour storm again"] * 5), "r2")
    index.remove_video("v7")
    incremental = _answers(folder)
    items = []
    for v in range(12):
        if v == 7:
            continue
        if v == 4:
            items.append((facts("v4", "p1", 150.0, day=12), passages("v4", ["harbour storm again"] * 5), "r2"))
        else:
            texts = [f"harbour story {v} part {i} " + ("storm" if i % 2 else "calm") for i in range(25)]
            items.append((facts(f"v{v}", f"p{v % 3}", 30.0 * (v + 1), day=3 * v),
                          passages(f"v{v}", texts, ("speech", "text", "visual")[v % 3]), "r1"))
    with SearchIndex(tmp_path / "fresh") as fresh:
        fresh.rebuild(items)
        assert fresh.revs() == index.revs()
    assert _answers(tmp_path / "fresh") == incremental
    assert _answers(tmp_path / "fresh", exact_limit=0) == incremental


def test_filters_apply_to_both_indexes(index: SearchIndex) -> None:
    _library(index)
    index.compact()
    index.replace_video(facts("v12", "p0", 400.0, day=40), passages("v12", ["harbour storm late"] * 5, "visual"), "r1")
    meta = {f"v{v}": (f"p{v % 3}", ("speech", "text", "visual")[v % 3], 30.0 * (v + 1), T0 + timedelta(days=3 * v))
            for v in range(12)} | {"v12": ("p0", "visual", 400.0, T0 + timedelta(days=40))}

    def allowed(hit: IndexHit, f: SearchFilters) -> bool:
        project, modality, duration, imported = meta[hit.video_id]
        return ((f.project_id is None or project == f.project_id) and (not f.modalities or modality in f.modalities)
                and (f.min_duration_s is None or duration >= f.min_duration_s)
                and (f.max_duration_s is None or duration <= f.max_duration_s)
                and (f.imported_after is None or imported >= f.imported_after)
                and (f.imported_before is None or imported < f.imported_before))

    for f in FILTERS + [SearchFilters(project_id="nobody"), SearchFilters(modalities=("nothing",))]:
        expected = sum(25 for v in range(12) if allowed(IndexHit("", f"v{v}", "", "", 0, 0, "", 0), f))
        expected += 5 if allowed(IndexHit("", "v12", "", "", 0, 0, "", 0), f) else 0
        for hits in (index.keyword("harbour", 400, f), index.vector(unit("q"), 400, f)):
            assert all(allowed(h, f) for h in hits), f
            assert len(hits) == expected, f


@pytest.mark.parametrize("exact_limit, rounds, fallback", [(20_000, 3, True), (5, 3, False), (5, 1, True)])
def test_a_narrow_filter_still_returns_k_hits(folder: Path, monkeypatch: pytest.MonkeyPatch, exact_limit: int,
                                              rounds: int, fallback: bool) -> None:
    """Exact subset search; oversampled ANN that widens; ANN that gives up and searches exactly."""
    big = np.stack([near(unit("centre"), 0.2, f"b{i}") for i in range(3000)])
    with SearchIndex(folder) as index:
        rows = [Passage(f"b{i}", f"big{i // 100}", "speech", "line", i, i + 1, "common words here", big[i])
                for i in range(3000)]
        for v in range(30):
            index.replace_video(facts(f"big{v}", "big", day=v), rows[100 * v:100 * (v + 1)], "r1")
        small = [Passage(f"s{i}", "small", "speech", "line", i, i + 1, "common words too", unit(f"s{i}"))
                 for i in range(40)]
        index.replace_video(facts("small", "tiny", day=15), small, "r1")
        index.compact()
    monkeypatch.setattr(keyword_index, "RANK_LIMIT", 50)  # the query matches 3,040 passages: ranked run by run
    monkeypatch.setattr(index_module, "ANN_ROUNDS", rounds)
    exact_searches = []
    original = VectorView.exact_in
    monkeypatch.setattr(VectorView, "exact_in", lambda self, *a: exact_searches.append(1) or original(self, *a))
    narrow = SearchFilters(project_id="tiny")
    with SearchIndex(folder, exact_limit=exact_limit) as reader:
        hits = reader.vector(unit("centre"), 10, narrow)
        assert len(hits) == 10 and {h.video_id for h in hits} == {"small"}
        assert bool(exact_searches) == fallback
        if fallback:  # exact: the true top 10 (as stored: f16)
            centre = to_stored(unit("centre"))[0].astype(np.float32)
            expected = sorted(small, key=lambda p: -float(to_stored(p.vector)[0].astype(np.float32) @ centre))
            assert ids(hits) == [p.id for p in expected[:10]]
        hits = reader.keyword("common", 10, narrow)
        assert len(hits) == 10 and {h.video_id for h in hits} == {"small"}
        assert len(reader.keyword("common", 10)) == 10
        assert {h.video_id for h in reader.keyword("common", 10, SearchFilters(project_id="big"))} < {
            f"big{v}" for v in range(30)}


def test_a_common_query_ranks_the_newest_matches(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keyword_index, "RANK_LIMIT", 20)
    with SearchIndex(folder) as index:
        for v in range(5):
            index.replace_video(facts(f"v{v}"), passages(f"v{v}", ["weather report"] * 10), "r1")
        hits = index.keyword("weather", 100)
    assert {h.video_id for h in hits} == {"v3", "v4"} and len(hits) == 20


def test_a_common_filtered_query_walks_or_scans_to_the_same_hits(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with SearchIndex(folder) as index:
        for v in range(20):  # two projects, interleaved: each is ten key ranges
            words = [f"{'rain ' * (i % 4)}weather {'report' if i % 3 else 'harbour'} {v}" for i in range(10)]
            index.replace_video(facts(f"v{v}", f"p{v % 2}"), passages(f"v{v}", words, ("speech", "text")[v // 10]), "r1")
        monkeypatch.setattr(keyword_index, "RANK_LIMIT", 25)
        answers = []
        for row_cost, run_cost in ((1.0, 1e9), (1e9, 1.0)):  # scan all matches; walk the ranges
            monkeypatch.setattr(keyword_index, "ROW_COST", row_cost)
            monkeypatch.setattr(keyword_index, "RUN_COST", run_cost)
            answers.append([[(h.passage_id, round(h.score, 5)) for h in index.keyword(text, 8, f)]
                            for text in ("weather", "rain report", "rep")
                            for f in (SearchFilters(project_id="p1"), SearchFilters(project_id="p0", modalities=("text",)))])
    assert answers[0] == answers[1]
    assert all(len(hits) == 8 for hits in answers[0])
    assert {p.split("-")[0] for p, _ in answers[0][0]} == {"v19", "v17", "v15"}  # the newest 25 of p1


def test_a_reader_sees_a_writers_changes_at_its_next_query(folder: Path) -> None:
    with SearchIndex(folder) as reader, SearchIndex(folder) as writer:
        assert reader.keyword("harbour", 5) == [] and reader.vector(unit("x"), 5) == []
        writer.replace_video(facts("v1"), passages("v1", ["harbour ferry"]), "r1")
        assert ids(reader.keyword("harbour", 5)) == ["v1-0"]
        assert ids(reader.vector(unit("v1-0"), 1)) == ["v1-0"]
        writer.compact()
        writer.replace_video(facts("v2"), passages("v2", ["harbour bridge"]), "r1")
        writer.compact()  # the snapshot the reader had mapped is deleted now
        assert set(ids(reader.vector(unit("v1-0"), 2))) == {"v1-0", "v2-0"}
        writer.rebuild([(facts("v3"), passages("v3", ["harbour lights"]), "r9")])
        assert ids(reader.keyword("harbour", 5)) == ["v3-0"]
        assert ids(reader.vector(unit("v1-0"), 5)) == ["v3-0"]
        assert reader.revs() == {"v3": "r9"}
        assert not list(folder.glob("rebuild-*")) and len(list(folder.glob("main-*"))) == 3


def test_readers_keep_answering_during_a_rebuild(folder: Path) -> None:
    halfway, resume = threading.Event(), threading.Event()

    def items() -> Iterator[tuple[VideoFacts, list[Passage], str]]:
        yield facts("new1"), passages("new1", ["harbour at dawn"]), "r2"
        halfway.set()
        assert resume.wait(10)
        yield facts("new2"), passages("new2", ["harbour at dusk"]), "r2"

    with SearchIndex(folder) as writer, SearchIndex(folder) as reader:
        writer.replace_video(facts("old"), passages("old", ["harbour by day"]), "r1")
        writer.compact()
        rebuild = threading.Thread(target=writer.rebuild, args=(items(),))
        rebuild.start()
        assert halfway.wait(10)
        assert ids(reader.keyword("harbour", 5)) == ["old-0"] and ids(reader.vector(unit("old-0"), 5)) == ["old-0"]
        resume.set()
        rebuild.join(10)
        assert set(ids(reader.keyword("harbour", 5))) == {"new1-0", "new2-0"}
        assert set(ids(reader.vector(unit("old-0"), 5))) == {"new1-0", "new2-0"}


def _write_videos(folder: str, name: str, count: int) -> None:
    with SearchIndex(Path(folder)) as index:
        for v in range(count):
            index.replace_video(facts(f"{name}{v}", name), passages(f"{name}{v}", [f"{name} harbour {v}"] * 20), "r1")


def test_two_processes_writing_at_once_both_land(folder: Path) -> None:
    SearchIndex(folder).close()
    ctx = mp.get_context("spawn")
    workers = [ctx.Process(target=_write_videos, args=(str(folder), name, 8)) for name in ("alpha", "beta")]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
        assert w.exitcode == 0
    with SearchIndex(folder) as index:
        assert len(index.revs()) == 16
        assert len(index.keyword("alpha", 500)) == len(index.keyword("beta", 500)) == 160
        assert index.stats()["vectors_pending"] == 320


def test_auto_compaction_folds_pending_vectors(folder: Path) -> None:
    with SearchIndex(folder, auto_compact_at=30) as index:
        for v in range(4):
            index.replace_video(facts(f"v{v}"), passages(f"v{v}", ["words"] * 10), "r1")
        stats = index.stats()
        assert stats["vectors_pending"] <= 30 and stats["vectors_main"] >= 30
        assert stats["vector_bytes"] > 0 and stats["sqlite_bytes"] > 0
        assert ids(index.vector(unit("v0-3"), 1)) == ["v0-3"]


def test_an_index_of_another_layout_starts_empty(folder: Path) -> None:
    with SearchIndex(folder) as index:
        index.replace_video(facts("v1"), passages("v1", ["harbour"] * 3), "r1")
        index.compact()
        index._conn.execute("UPDATE meta SET version = 1")  # as an older release left it
    with SearchIndex(folder) as index:
        assert index.revs() == {} and index.keyword("harbour", 5) == [] and index.vector(unit("v1-0"), 5) == []
        index.replace_video(facts("v2"), passages("v2", ["harbour"] * 3), "r1")
        assert len(index.keyword("harbour", 5)) == 3 and index.stats()["vectors_main"] == 0
        assert not list(folder.glob("main-*"))


def test_bad_passages_are_refused(index: SearchIndex) -> None:
    bad = passages("v1", ["x"])
    bad[0].modality = "smell"
    with pytest.raises(ValueError, match="modality"):
        index.replace_video(facts("v1"), bad, "r1")
    bad = passages("v1", ["x"])
    bad[0].vector = np.zeros(3, np.float32)
    with pytest.raises(ValueError, match="shape"):
        index.replace_video(facts("v1"), bad, "r1")
    with pytest.raises(ValueError, match="belongs"):
        index.replace_video(facts("v2"), passages("v1", ["x"]), "r1")
    assert index.revs() == {}
    keyword_only = passages("v1", ["no vector here"])
    keyword_only[0].vector = np.zeros(DIM, np.float32)  # not embedded: found by words only
    index.replace_video(facts("v1"), keyword_only, "r1")
    assert ids(index.keyword("vector", 5)) == ["v1-0"] and index.vector(unit("q"), 5) == []


def test_rrf_puts_what_both_lists_found_first() -> None:
    fused = rrf([["a", "b", "c"], ["c", "d", "a"]])
    assert [key for key, _ in fused] == ["a", "c", "b", "d"]
    assert fused[0][1] == pytest.approx(1 / 61 + 1 / 63)
    assert rrf([]) == [] and rrf([["x"]], k=0)[0][1] == 1.0
