"""Hybrid search over the library: keyword (FTS5) and meaning (vectors), fused, grouped per video.

Runs on the GUI's or CLI's event loop. Index lookups and the query embedding run on worker
threads (SQLite, ONNX Runtime), so typing in the search box never stalls the window.
Before searching, the caller may `sync()` the local indexes with MongoDB; the GUI does so
whenever a job finishes.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from core.repositories import AsyncShotRepository, AsyncVideoRepository
from core.search.fusion import RRF_K, rrf
from core.search.filters import SearchFilters
from core.search.passage import IndexHit
from core.search.results import SearchHit, VideoResult
from core.search.sync import IndexSync, SyncReport
from core.search.who import PERSON_SLACK_S, Spans, WhoLookup, overlaps, parse_who

CANDIDATES = 100  # passages taken from each index before fusion
MIN_COSINE = 0.3  # vector hits below this similarity take no part in the fusion at all
# A moment found by meaning alone (none of the query's words in it) is shown only when its cosine
# similarity is at least MEANING_ONLY_MIN and at least MEANING_ONLY_OF_BEST times the query's best
# similarity. MiniLM rates "invoice 4471" 0.34 similar to the samples' on-screen timer "07.00 s"
# (and 1.00 to "INVOICE 4471"), yet a fair paraphrase ("when was the tower by the sea
# constructed" for "The lighthouse was built in 1852") scores only 0.36: no floor alone tells
# them apart. Calibrated with benchmarks/bench_relevance.py (12 videos incl. the 3 samples,
# 32 labelled queries, 8 that nothing answers; up to 20 videos shown per query):
#   before (0.30 floor only):  found@3 100.0 %, precision 33.5 %, 6.62 moments in wrong videos
#                              per query, 6 moments for unanswered queries, 308 meaning-only shown
#   0.35 and 0.75 x best:      found@3  96.9 %, precision 90.2 %, 0.16, 4, 38
# (the one query lost is the paraphrase "how long is the boat trip to the island", 0.30-0.35
# similar; 0.85 x best loses another, so 0.75 keeps a step of margin below that edge).
MEANING_ONLY_MIN = 0.35
MEANING_ONLY_OF_BEST = 0.75
HITS_PER_VIDEO = 5
_WORD = re.compile(r"\w+", re.UNICODE)
STOPWORDS = frozenset("a an and are as at be but by for from has have he her his i in is it its of on or she "
                      "that the their them they this to was were what when where which who will with you".split())


class IndexReader(Protocol):
    def keyword(self, query: str, k: int, filters: SearchFilters) -> list[IndexHit]: ...

    def stats(self) -> dict[str, Any]: ...

    def vector(self, query_vector: npt.NDArray[np.float32], k: int, filters: SearchFilters) -> list[IndexHit]: ...


@dataclass
class _Fused:
    hit: IndexHit
    score: float
    matched_by: set[str]
    similarity: float | None = None  # the vector search's cosine, when it found the passage


def query_words(query: str) -> list[str]:
    """The words of `query` worth highlighting (lowercase, no stopwords)."""
    return [w for w in (m.group().casefold() for m in _WORD.finditer(query)) if len(w) > 1 and w not in STOPWORDS]


def _same_word(token: str, word: str) -> bool:
    """Whether `token` (of a passage) is query word `word` (same stem: a shared prefix of ≥ 4 letters)."""
    stem = word[:max(4, len(word) - 2)] if len(word) > 4 else word
    return token == word or (len(stem) >= 4 and token.startswith(stem)) or (len(word) >= 3 and token.startswith(word))


def highlights(text: str, words: list[str]) -> tuple[tuple[int, int], ...]:
    """Spans of `text` whose words match one of `words`."""
    return tuple((m.start(), m.end()) for m in _WORD.finditer(text)
                 if any(_same_word(m.group().casefold(), w) for w in words))


def found_words(text: str, words: list[str]) -> tuple[str, ...]:
    """The words of `words` that `text` holds, in query order, each once."""
    tokens = {m.group().casefold() for m in _WORD.finditer(text)}
    return tuple(dict.fromkeys(w for w in words if any(_same_word(t, w) for t in tokens)))


class SearchService:
    """Search the library (keyword and meaning, fused, grouped per video) over this host's index,
    after `sync()` with MongoDB. Used by the GUI's search box (ui.search_controller), `vip search`
    and `vip index`, the REST API's search route and the self-test (async; index and embedding
    work on threads)."""

    def __init__(self, index: IndexReader, embed: Callable[[str], npt.NDArray[np.float32]],
                 videos: AsyncVideoRepository, shots: AsyncShotRepository, sync: IndexSync,
                 who: WhoLookup | None = None) -> None:
        """`embed` turns a query into its vector (called on a worker thread; loads the model on first use);
        `who` resolves `person:` and `speaker:` (None: they match nothing)."""
        self._who = who
        self._index = index
        self._embed = embed
        self._videos = videos
        self._shots = shots
        self._sync = sync

    async def sync(self) -> SyncReport:
        return await self._sync.sync()

    async def rebuild(self) -> SyncReport:
        return await self._sync.rebuild()

    def stats(self) -> dict[str, Any]:
        """What the local indexes hold (counts, sizes); blocking: call on a worker thread."""
        return self._index.stats()

    async def search(self, query: str, filters: SearchFilters | None = None, limit: int = 20, *,
                     meaning_only_min: float = MEANING_ONLY_MIN,
                     meaning_only_of_best: float = MEANING_ONLY_OF_BEST) -> list[VideoResult]:
        """Videos matching `query` by words or by meaning, best first, each with its best moments
        in time order. A moment found by meaning alone needs a similarity of `meaning_only_min`
        and of `meaning_only_of_best` times the best one (the benchmark varies them; the app
        keeps the defaults)."""
        filters = filters or SearchFilters()
        query, person, speaker = parse_who(query)
        filters = replace(filters, person=filters.person or person, speaker=filters.speaker or speaker)
        on_screen: dict[str, Spans] = {}
        if filters.person:
            name, on_screen = await self._who.person_spans(filters.person) if self._who else ("", {})
            if not on_screen:
                return []
            filters = replace(filters, video_ids=frozenset(on_screen) & (filters.video_ids or frozenset(on_screen)))
            if not query.strip():
                return await self._appearances(name, on_screen, filters, limit)
        if not query.strip():
            return []
        results = await self._matching(query, filters, limit if not (filters.person or filters.speaker) else CANDIDATES,
                                       meaning_only_min, meaning_only_of_best)
        if filters.person:
            results = _keep_hits(results, lambda r, h: overlaps(h.start_s, h.end_s, on_screen.get(r.video_id, []),
                                                                PERSON_SLACK_S))
        if filters.speaker:
            said = {r.video_id: await self._who.speaker_spans(r.video_id, filters.speaker) if self._who else []
                    for r in results}
            results = _keep_hits(results, lambda r, h: h.modality == "speech"
                                 and overlaps(h.start_s, h.end_s, said[r.video_id]))
        return results[:limit]

    async def _matching(self, query: str, filters: SearchFilters, limit: int, meaning_only_min: float,
                        meaning_only_of_best: float) -> list[VideoResult]:
        keyword_task = asyncio.to_thread(self._index.keyword, query, CANDIDATES, filters)
        vector = await asyncio.to_thread(self._embed, query)
        keyword, semantic = await asyncio.gather(
            keyword_task, asyncio.to_thread(self._index.vector, vector, CANDIDATES, filters))
        fused = fuse(keyword, [h for h in semantic if h.score >= MIN_COSINE])
        return await self._group(strong_enough(fused, meaning_only_min, meaning_only_of_best), query_words(query),
                                 limit)

    async def _appearances(self, name: str, on_screen: dict[str, Spans], filters: SearchFilters,
                           limit: int) -> list[VideoResult]:
        """`person:NAME` alone: each video they appear in, their appearances as its moments."""
        wanted = [v for v in on_screen if filters.video_ids is None or v in filters.video_ids]
        videos = [v for v in await self._videos.get_many(wanted)
                  if filters.project_id is None or v.project_id == filters.project_id]
        results = []
        for video in sorted(videos, key=lambda v: (-len(on_screen[v.id]), v.name)):
            spans = sorted(on_screen[video.id])
            hits = [SearchHit(passage_id=f"person:{video.id}:{i}", modality="person", unit="appearance",
                              start_s=start, end_s=end, text=f"{name} on screen", highlights=(),
                              matched_by=("person",), score=1.0) for i, (start, end) in enumerate(spans)]
            results.append(VideoResult(video_id=video.id, name=video.name, path=video.path,
                                       project_id=video.project_id,
                                       duration_s=video.media.duration_s if video.media else 0.0,
                                       score=float(len(spans)), hits=hits[:HITS_PER_VIDEO * 4],
                                       media_start_s=video.origin_s))
        for result in results[:limit]:
            result.keyframe_path = await self._keyframe(result.video_id, result.best.start_s)
        return results[:limit]

    async def _group(self, fused: list[_Fused], words: list[str], limit: int) -> list[VideoResult]:
        per_video: dict[str, list[_Fused]] = {}
        for f in fused:
            per_video.setdefault(f.hit.video_id, []).append(f)
        ranked = sorted(per_video.items(), key=lambda item: -_video_score(item[1]))[:limit]
        videos = {v.id: v for v in await self._videos.get_many([video_id for video_id, _ in ranked])}
        results = []
        for video_id, entries in ranked:
            video = videos.get(video_id)
            if video is None:  # removed since the index was synced
                continue
            hits = [SearchHit(passage_id=f.hit.passage_id, modality=f.hit.modality, unit=f.hit.unit,
                              start_s=f.hit.start_s, end_s=f.hit.end_s, text=f.hit.text,
                              highlights=highlights(f.hit.text, words), matched_by=tuple(sorted(f.matched_by)),
                              score=f.score, similarity=f.similarity, words=found_words(f.hit.text, words))
                    for f in sorted(_moments(entries), key=lambda f: (f.hit.start_s, f.hit.modality))]
            results.append(VideoResult(video_id=video_id, name=video.name, path=video.path,
                                       project_id=video.project_id,
                                       duration_s=video.media.duration_s if video.media else 0.0,
                                       score=_video_score(entries), hits=hits,
                                       media_start_s=video.origin_s))
        for result in results:
            result.keyframe_path = await self._keyframe(result.video_id, result.best.start_s)
        return results

    async def _keyframe(self, video_id: str, time_s: float) -> str | None:
        shots = await self._shots.for_video(video_id)
        inside = [s for s in shots if s.start_s <= time_s + 1e-3 and s.keyframe_path]
        return inside[-1].keyframe_path if inside else (shots[0].keyframe_path if shots else None)


def _keep_hits(results: list[VideoResult], keep: Callable[[VideoResult, SearchHit], bool]) -> list[VideoResult]:
    """`results` with only the hits `keep` accepts; videos left without hits drop out."""
    kept = []
    for result in results:
        result.hits = [h for h in result.hits if keep(result, h)]
        if result.hits:
            kept.append(result)
    return kept


def fuse(keyword: list[IndexHit], semantic: list[IndexHit], k: int = RRF_K) -> list[_Fused]:
    """Reciprocal rank fusion of the two ranked lists, best first."""
    hits = {h.passage_id: h for h in (*semantic, *keyword)}
    similarity = {h.passage_id: h.score for h in semantic}
    matched: dict[str, set[str]] = {}
    for name, ranked in (("keyword", keyword), ("meaning", semantic)):
        for h in ranked:
            matched.setdefault(h.passage_id, set()).add(name)
    fused = rrf([[h.passage_id for h in keyword], [h.passage_id for h in semantic]], k)
    return [_Fused(hits[passage_id], score, matched[passage_id], similarity.get(passage_id))
            for passage_id, score in fused]


def strong_enough(fused: list[_Fused], floor: float, of_best: float) -> list[_Fused]:
    """`fused` without the moments found by meaning alone whose similarity is under `floor`
    or under `of_best` times the best similarity of any moment."""
    best = max((f.similarity for f in fused if f.similarity is not None), default=0.0)
    cut = max(floor, of_best * best)
    return [f for f in fused if "keyword" in f.matched_by or (f.similarity or 0.0) >= cut]


def _video_score(entries: list[_Fused]) -> float:
    """The best passage counts fully, the next two add a little: many matches beat one."""
    scores = sorted((e.score for e in entries), reverse=True)
    return scores[0] + 0.25 * sum(scores[1:3])


def _moments(entries: list[_Fused]) -> list[_Fused]:
    """The video's distinct moments, best first: a window hit yields to a line hit inside it."""
    chosen: list[_Fused] = []
    for entry in sorted(entries, key=lambda e: -e.score):
        hit = entry.hit
        if hit.unit == "window":
            inside = [e for e in entries if e.hit.unit == "line" and hit.start_s <= e.hit.start_s < hit.end_s]
            if inside:
                best_line = max(inside, key=lambda e: e.score)
                entry = _Fused(best_line.hit, entry.score, entry.matched_by | best_line.matched_by,
                               _max_similarity(entry.similarity, best_line.similarity))
                hit = entry.hit
        if any(abs(c.hit.start_s - hit.start_s) < 1.0 and c.hit.modality == hit.modality for c in chosen):
            continue
        chosen.append(entry)
        if len(chosen) == HITS_PER_VIDEO:
            break
    return chosen


def _max_similarity(a: float | None, b: float | None) -> float | None:
    return b if a is None else a if b is None else max(a, b)
