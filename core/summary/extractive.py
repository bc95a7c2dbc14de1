"""The local summary: no AI writing, only sentences that were said or shown, picked and placed.

Runs in the worker process (the summary stage); pure functions, no database.

- The overview is the few most central transcript sentences, in the order they were said,
  each with its own time (the start of the transcript line it came from). "Central" =
  highest mean cosine similarity to the other sentences (their embeddings from the embed
  stage), the classic extractive recipe (LexRank-like, without the graph iteration).
  Without speech, the overview is the longest-shown on-screen text.
- Chapters follow the picture: shots are grouped into chapters of about `MIN_CHAPTER_S`
  seconds or more (a chapter boundary is always a shot boundary). Each lists, at their own
  times, its most central sentences and its key on-screen text — none that the overview
  already shows.
- Sign-off filler ("Thanks for watching", "please subscribe") is never picked (filler.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from core.models.segment import TextSegment
from core.models.shot import Shot
from core.models.passage import Passage
from core.summary.filler import is_filler, strip_filler
from core.models.summary import LOCAL, ON_SCREEN, SPOKEN, Chapter, Moment, Summary

OVERVIEW_SENTENCES = 3
SPOKEN_PER_CHAPTER = 2
SHOWN_PER_CHAPTER = 3
MIN_CHAPTER_S = 20.0
MAX_CHAPTERS = 12


@dataclass
class _Shown:
    """One on-screen text, its repeats merged: first time seen and total time on screen."""

    start_s: float
    text: str
    seconds: float


def _wordy(text: str) -> bool:
    """Text with words in it (timecodes, counters and page numbers make poor summaries)."""
    return sum(ch.isalpha() for ch in text) >= 3


def _key(text: str) -> str:
    return " ".join(text.casefold().split())


def centrality(vectors: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Mean cosine similarity of each (L2-normalised) vector to the others."""
    if len(vectors) < 2:
        return np.ones(len(vectors), np.float32)
    sims = vectors @ vectors.T
    np.fill_diagonal(sims, 0.0)
    return np.asarray(sims.sum(axis=1) / (len(vectors) - 1), dtype=np.float32)


def chapter_spans(shots: Sequence[Shot], start_s: float, end_s: float) -> list[tuple[float, float]]:
    """Chapter (start, end) times at shot boundaries, about evenly long."""
    duration = max(0.0, end_s - start_s)
    if duration <= 0:
        return []
    count = int(max(1, min(MAX_CHAPTERS, duration // MIN_CHAPTER_S)))
    cuts = sorted(s.start_s for s in shots if s.start_s > start_s + 1e-3)
    bounds = [start_s]
    for i in range(1, count):
        target = start_s + duration * i / count
        if not cuts:
            break
        nearest = min(cuts, key=lambda c: abs(c - target))
        if nearest - bounds[-1] >= MIN_CHAPTER_S / 2:
            bounds.append(nearest)
    bounds.append(end_s)
    return [(a, b) for a, b in zip(bounds, bounds[1:]) if b > a]


def spoken_sentences(lines: Sequence[Passage]) -> list[Passage]:
    """The transcript lines a summary may pick, in time order, with their filler sentences removed."""
    kept = []
    for p in sorted((p for p in lines if p.unit == "line"), key=lambda p: p.start_s):
        text = strip_filler(p.text)
        if _wordy(text):
            kept.append(p if text == p.text.strip() else replace(p, text=text))
    return kept


def key_on_screen(on_screen: Sequence[TextSegment]) -> list[_Shown]:
    """Distinct on-screen texts worth reading (words, not filler), in the order first shown."""
    merged: dict[str, _Shown] = {}
    for s in sorted(on_screen, key=lambda s: s.start_s):
        text = " ".join(s.text.split())
        if not _wordy(text) or is_filler(text):
            continue
        seen = merged.get(_key(text))
        if seen is None:
            merged[_key(text)] = _Shown(s.start_s, text, max(0.0, s.end_s - s.start_s))
        else:
            seen.seconds += max(0.0, s.end_s - s.start_s)
    return sorted(merged.values(), key=lambda s: s.start_s)


def _shots_title(shots: Sequence[Shot], a: float, b: float, index: int) -> str:
    numbers = [s.index + 1 for s in shots if a - 1e-3 <= s.start_s < b]
    return (f"Shots {numbers[0]}–{numbers[-1]}" if len(numbers) > 1 else
            f"Shot {numbers[0]}" if numbers else f"Part {index + 1}")


def _longest(shown: Sequence[_Shown], count: int) -> list[_Shown]:
    return sorted(sorted(shown, key=lambda s: -s.seconds)[:count], key=lambda s: s.start_s)


def local_summary(shots: Sequence[Shot], lines: Sequence[Passage], on_screen: Sequence[TextSegment],
                  start_s: float, end_s: float) -> Summary:
    """Overview and chapters from the transcript lines (passages with vectors), on-screen text and shots."""
    spoken = spoken_sentences(lines)
    shown = key_on_screen(on_screen)
    scores = centrality(np.stack([p.vector for p in spoken])) if spoken else np.zeros(0, np.float32)
    picked = sorted(np.argsort(-scores, kind="stable")[:OVERVIEW_SENTENCES].tolist(),
                    key=lambda i: spoken[i].start_s)
    if spoken:
        overview_points = [Moment(round(spoken[i].start_s, 3), spoken[i].text, SPOKEN) for i in picked]
        overview = " ".join(m.text for m in overview_points)
        in_overview = {id(spoken[i]) for i in picked}
        shown_left = shown
    else:
        top = _longest(shown, OVERVIEW_SENTENCES)
        overview_points = [Moment(round(s.start_s, 3), s.text, ON_SCREEN) for s in top]
        overview = ("No speech. On screen: " + "; ".join(s.text for s in top))[:300] if top else \
            f"No speech or on-screen text; {len(shots)} shot{'s' if len(shots) != 1 else ''}."
        in_overview = set()
        shown_left = [s for s in shown if all(s is not t for t in top)]
    chapters = []
    for index, (a, b) in enumerate(chapter_spans(shots, start_s, end_s)):
        inside = [i for i, p in enumerate(spoken) if a <= p.start_s < b and id(p) not in in_overview]
        said = sorted(inside, key=lambda i: -float(scores[i]))[:SPOKEN_PER_CHAPTER]
        points = [Moment(round(spoken[i].start_s, 3), spoken[i].text, SPOKEN) for i in said]
        points += [Moment(round(s.start_s, 3), s.text, ON_SCREEN)
                   for s in _longest([s for s in shown_left if a <= s.start_s < b], SHOWN_PER_CHAPTER)]
        chapters.append(Chapter(round(a, 3), round(b, 3), _shots_title(shots, a, b, index),
                                points=tuple(sorted(points, key=lambda m: m.start_s))))
    return Summary(source=LOCAL, overview=overview, chapters=chapters, overview_points=overview_points)
