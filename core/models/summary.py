"""A video's summary: an overview and timestamped chapters (and, from an LLM, a commentary script).

Stored as segments (docs/ARCHITECTURE.md §3): kind "summary" — one with unit "overview" (time 0)
and one per chapter — and kind "commentary", one per line. `source` says who wrote it:
"local-extractive" (sentences picked from the transcript and on-screen text, no AI writing)
or "<provider>/<model>". A local summary keeps every picked sentence with its own time (a
`Moment`): the overview's in `overview_points`, the rest in each chapter's `points`, so no
sentence is shown twice and every one plays from where it was said or shown.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from core.timeutil import format_timestamp

LOCAL = "local-extractive"
LOCAL_LABEL = "Local extractive summary — sentences picked from the transcript and on-screen text, not written by AI"
SPOKEN = "spoken"
ON_SCREEN = "on screen"


@dataclass(frozen=True)
class Moment:
    """A sentence that was said (kind SPOKEN) or text that was shown (ON_SCREEN), at its media time."""

    start_s: float
    text: str
    kind: str = SPOKEN

    def to_doc(self) -> dict[str, Any]:
        return {"start_s": self.start_s, "text": self.text, "kind": self.kind}

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Moment:
        return cls(float(doc["start_s"]), str(doc.get("text", "")), str(doc.get("kind", SPOKEN)))

    @property
    def display_text(self) -> str:
        """The text as the operator reads it: on-screen text quoted and marked as such."""
        return f"On screen: “{self.text}”" if self.kind == ON_SCREEN else self.text


@dataclass(frozen=True)
class Chapter:
    start_s: float
    end_s: float
    title: str
    text: str = ""  # a sentence or two about the chapter (an LLM's)
    points: tuple[Moment, ...] = ()  # what was said and shown in it, each at its own time (local)


@dataclass(frozen=True)
class CommentaryLine:
    start_s: float
    text: str


@dataclass
class Summary:
    source: str  # LOCAL or "<provider>/<model>"
    overview: str
    chapters: list[Chapter] = field(default_factory=list)
    commentary: list[CommentaryLine] = field(default_factory=list)
    overview_points: list[Moment] = field(default_factory=list)  # the overview's sentences with times (local)

    @property
    def label(self) -> str:
        return LOCAL_LABEL if self.source == LOCAL else f"Written by {self.source}"

    def to_doc(self) -> dict[str, Any]:
        return {"source": self.source, "label": self.label, "overview": self.overview,
                "overview_points": [m.to_doc() for m in self.overview_points],
                "chapters": [{"start_s": c.start_s, "end_s": c.end_s, "title": c.title, "text": c.text,
                              "points": [m.to_doc() for m in c.points]} for c in self.chapters],
                "commentary": [{"start_s": c.start_s, "text": c.text} for c in self.commentary]}


def to_markdown(title: str, summary: Summary, origin_s: float = 0.0) -> str:
    """The summary as Markdown; times on the player's clock (media time minus `origin_s`)."""
    lines = [f"# {title}", "", f"*{summary.label}*", "", "## Overview", ""]
    if summary.overview_points:
        lines += [f"- **{format_timestamp(m.start_s - origin_s)}** {m.display_text}" for m in summary.overview_points]
    else:
        lines.append(summary.overview or "—")
    lines.append("")
    if summary.chapters:
        lines += ["## Chapters", ""]
        for c in summary.chapters:
            about = f" — {c.text}" if c.text else ""
            lines.append(f"- **{format_timestamp(c.start_s - origin_s)}** {c.title}{about}")
            lines += [f"  - **{format_timestamp(m.start_s - origin_s)}** {m.display_text}" for m in c.points]
        lines.append("")
    if summary.commentary:
        lines += ["## Commentary", ""]
        lines += [f"- **{format_timestamp(c.start_s - origin_s)}** {c.text}" for c in summary.commentary]
        lines.append("")
    return "\n".join(lines)


def to_json(summary: Summary) -> str:
    return json.dumps(summary.to_doc(), indent=2, ensure_ascii=False) + "\n"
