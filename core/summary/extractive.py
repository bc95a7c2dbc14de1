"""The local summary: no AI writing, only sentences that were said or shown, picked and placed.

- Chapters follow the picture: shots are grouped into chapters of about `chapter_s` seconds
  (a chapter boundary is always a shot boundary), each titled by its most central spoken
  sentence, else its on-screen text, else "Shots a–b".
- The overview is the few most central transcript sentences, in the order they were said.
  "Central" = highest mean cosine similarity to the other sentences (their embeddings from
  the embed stage), the classic extractive recipe (LexRank-like, without the graph iteration).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from core.models.segment import TextSegment
from core.models.shot import Shot
from core.search.passage import Passage
from core.summary.model import LOCAL, Chapter, Summary

OVERVIEW_SENTENCES = 3
MIN_CHAPTER_S = 20.0
MAX_CHAPTERS = 12


def _wordy(text: str) -> bool:
    """Text with words in it (timecodes, counters and page numbers make poor titles)."""
    return sum(ch.isalpha() for ch in text) >= 3


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


def local_summary(shots: Sequence[Shot], lines: Sequence[Passage], on_screen: Sequence[TextSegment],
                  start_s: float, end_s: float) -> Summary:
    """Overview and chapters from the transcript lines (passages with vectors), on-screen text and shots."""
    spoken = sorted((p for p in lines if p.unit == "line"), key=lambda p: p.start_s)
    scores = centrality(np.stack([p.vector for p in spoken])) if spoken else np.zeros(0, np.float32)
    best = sorted(np.argsort(-scores)[:OVERVIEW_SENTENCES].tolist(), key=lambda i: spoken[i].start_s)
    overview = " ".join(spoken[i].text for i in best)
    chapters = []
    for index, (a, b) in enumerate(chapter_spans(shots, start_s, end_s)):
        inside = [i for i, p in enumerate(spoken) if a <= p.start_s < b]
        texts = [s for s in on_screen if a <= s.start_s < b and _wordy(s.text)]
        if inside:
            top = max(inside, key=lambda i: float(scores[i]))
            title, text = spoken[top].text, ""
            if len(inside) > 1:
                second = max((i for i in inside if i != top), key=lambda i: float(scores[i]))
                text = spoken[second].text
        elif texts:
            title, text = max(texts, key=lambda s: s.end_s - s.start_s).text, ""
        else:
            numbers = [s.index + 1 for s in shots if a - 1e-3 <= s.start_s < b]
            title = (f"Shots {numbers[0]}–{numbers[-1]}" if len(numbers) > 1 else
                     f"Shot {numbers[0]}" if numbers else f"Part {index + 1}")
            text = ""
        chapters.append(Chapter(round(a, 3), round(b, 3), title, text))
    if not overview:
        shown = list(dict.fromkeys(s.text.strip() for s in on_screen if _wordy(s.text)))
        overview = (("No speech. On screen: " + "; ".join(shown))[:300] if shown
                    else f"No speech or on-screen text; {len(shots)} shot{'s' if len(shots) != 1 else ''}.")
    return Summary(source=LOCAL, overview=overview, chapters=chapters)
