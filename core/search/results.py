"""What a search returns to the GUI and the CLI: videos, each with the moments that matched."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SEEK_LEAD_S = 1.0  # the player opens this long before the hit, so the operator hears it come


@dataclass(frozen=True)
class SearchHit:
    """One matching moment of a video."""

    passage_id: str
    modality: str  # "speech" | "text" | "visual"
    unit: str  # "line" | "window" | "ocr" | "caption"
    start_s: float  # media (PTS) seconds, like shots and transcript lines
    end_s: float
    text: str
    highlights: tuple[tuple[int, int], ...]  # [start, end) character spans of `text` that match the query words
    matched_by: tuple[str, ...]  # "keyword" and/or "meaning"
    score: float
    similarity: float | None = None  # cosine similarity to the query, when the meaning search found it
    words: tuple[str, ...] = ()  # the query words found in `text` (lowercase, in query order)

    @property
    def seek_s(self) -> float:
        """Where the player opens for this hit: a second before it (never before 0)."""
        return max(0.0, self.start_s - SEEK_LEAD_S)

    def reason(self) -> str:
        """Why this moment matched, as the operator reads it: "words: invoice, 4471",
        "similar meaning (0.62)", or "words: lighthouse + meaning" when both searches found it."""
        if "person" in self.matched_by:
            return "on screen"
        by_words = "keyword" in self.matched_by
        if by_words:
            said = "words: " + ", ".join(self.words) if self.words else "matching words"
            return said + (" + meaning" if "meaning" in self.matched_by else "")
        if self.similarity is not None:
            return f"similar meaning ({self.similarity:.2f})"
        return "similar meaning"

    def snippet_html(self, max_chars: int = 160) -> str:
        """The text with the matching words in bold, shortened around the first match (Qt rich text)."""
        from html import escape

        text, spans = self.text, list(self.highlights)
        offset = 0
        if len(text) > max_chars:
            first = spans[0][0] if spans else 0
            offset = max(0, min(first - max_chars // 3, len(text) - max_chars))
            if offset:  # start at a word, not in the middle of one
                space = text.find(" ", offset, first if first > offset else offset + max_chars // 3)
                offset = space + 1 if space >= 0 else offset
            end = min(len(text), offset + max_chars)
            if end < len(text):  # and end after a word
                space = text.rfind(" ", offset + max_chars // 2, end)
                end = space if space >= 0 else end
            text = text[offset:end]
        out, at = [], 0
        for start, end in spans:
            start, end = start - offset, end - offset
            if start < at or end > len(text) or start < 0:
                continue
            out += [escape(text[at:start]), "<b>", escape(text[start:end]), "</b>"]
            at = end
        out.append(escape(text[at:]))
        return ("…" if offset else "") + "".join(out) + ("…" if offset + len(text) < len(self.text) else "")

    def to_doc(self) -> dict[str, Any]:
        return {"start_s": self.start_s, "end_s": self.end_s, "seek_s": self.seek_s, "modality": self.modality,
                "unit": self.unit, "text": self.text, "matched_by": list(self.matched_by),
                "words": list(self.words),
                "similarity": None if self.similarity is None else round(self.similarity, 4),
                "score": round(self.score, 6)}


@dataclass
class VideoResult:
    """One video that matched, with its matching moments in time order (`best`: the strongest)."""

    video_id: str
    name: str
    path: str
    project_id: str
    duration_s: float
    score: float
    hits: list[SearchHit] = field(default_factory=list)
    keyframe_path: str | None = None  # the keyframe of the shot holding the best hit
    media_start_s: float = 0.0  # the first frame's time: the player's clock shows time_s - media_start_s

    def clock_s(self, time_s: float) -> float:
        """`time_s` (media seconds) as the player's and transcript's clock shows it."""
        return max(0.0, time_s - self.media_start_s)

    @property
    def best(self) -> SearchHit:
        """The moment that matched best (what choosing the video itself opens)."""
        return max(self.hits, key=lambda hit: hit.score)

    def to_doc(self) -> dict[str, Any]:
        return {"video_id": self.video_id, "name": self.name, "path": self.path, "project_id": self.project_id,
                "duration_s": self.duration_s, "score": round(self.score, 6), "keyframe": self.keyframe_path,
                "hits": [h.to_doc() for h in self.hits]}
