"""`person:` and `speaker:` in a search: who must be on screen, or speaking, at a moment.

`person:obama lighthouse` finds "lighthouse" only in the videos where a person whose name
contains "obama" appears, and only at moments when they are on screen (within PERSON_SLACK_S);
`person:obama` alone lists that person's appearances. `speaker:"Ann Lee" budget` keeps the
spoken moments of the lines that speaker says. Names in quotes may hold spaces. The lookups
behind them (`WhoLookup`) live with the people service; this module only parses and filters.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

Spans = list[tuple[float, float]]

PERSON_SLACK_S = 2.0  # faces are sampled every 2 s: a moment this close to an appearance is "with" them
_WHO = re.compile(r'\b(person|speaker):(?:"([^"]*)"|(\S+))', re.IGNORECASE)


def parse_who(query: str) -> tuple[str, str | None, str | None]:
    """(the query without them, the `person:` name, the `speaker:` name)."""
    found: dict[str, str] = {}

    def take(match: re.Match[str]) -> str:
        found[match.group(1).lower()] = (match.group(2) if match.group(2) is not None else match.group(3)).strip()
        return " "

    rest = " ".join(_WHO.sub(take, query).split())
    return rest, found.get("person") or None, found.get("speaker") or None


def overlaps(start_s: float, end_s: float, spans: Sequence[tuple[float, float]], slack_s: float = 0.0) -> bool:
    return any(start_s < e + slack_s and s - slack_s < end_s for s, e in spans)


class WhoLookup(Protocol):
    async def person_spans(self, name: str) -> tuple[str, dict[str, Spans]]:
        """(the matching people's names joined, video id -> their appearances); {} when nobody matches."""

    async def speaker_spans(self, video_id: str, name: str) -> Spans:
        """The transcript lines of `video_id` said by a speaker whose name contains `name`."""
