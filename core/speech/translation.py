"""Translation of a transcript: numbered-line batches for an LLM, and speaker labels by overlap.

Pure functions, no I/O of their own: the translate stage (core/pipeline/translate_stage.py)
hands `llm_translate` the gateway's `call` and stores what comes back. Each line keeps its
timing; the model only sees and returns text, one numbered line per transcript line, so an
answer can be checked line by line (a missing or extra number is an error, never a guess).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from core.errors import VipError
from core.models.segment import SegmentKind, TextSegment
from core.providers.base import ProviderRequest
from core.subtitles import language_name

__all__ = ["BATCH_CHARS", "BATCH_LINES", "TranslationAnswerError", "batches", "language_name", "llm_translate",
           "parse_numbered", "speaker_at", "translated_segments", "translation_request"]

BATCH_LINES = 40  # lines per request: small enough that a model keeps the numbering straight
BATCH_CHARS = 6_000  # and about 1.5k tokens of source text at most
SYSTEM = ("You translate video transcripts. You get numbered lines; answer with exactly the same numbers, "
          "one line each, in the form `N: translation`, and nothing else. Translate each line on its own "
          "(keep its meaning within that line, never merge or split lines), keep names as they are.")
_NUMBERED = re.compile(r"^\s*(?:\[(\d+)\]|(\d+)\s*[:.)-])\s*(.*)$")


class TranslationAnswerError(VipError):
    """The provider answered, but not with one translated line per numbered line."""


def overlap_s(a_start: float, a_end: float, b_start: float, b_end: float) -> float:
    return max(0.0, min(a_end, b_end) - max(a_start, b_start))


def speaker_at(start_s: float, end_s: float, originals: Sequence[TextSegment]) -> str | None:
    """The speaker label of the original line that overlaps [start_s, end_s] most (None: none does).

    A zero-length line takes the speaker of the line it falls in."""
    best: tuple[float, str] | None = None
    for seg in originals:
        if seg.speaker is None:
            continue
        shared = overlap_s(start_s, end_s, seg.start_s, seg.end_s)
        if shared <= 0.0 and not (seg.start_s <= start_s <= seg.end_s):
            continue
        if best is None or shared > best[0]:
            best = (shared, seg.speaker)
    return best[1] if best else None


def batches(lines: Sequence[str], max_lines: int = BATCH_LINES, max_chars: int = BATCH_CHARS) -> Iterator[range]:
    """Index ranges of `lines`, each at most `max_lines` lines and (unless one line is longer) `max_chars`."""
    start, chars = 0, 0
    for i, line in enumerate(lines):
        if i > start and (i - start >= max_lines or chars + len(line) > max_chars):
            yield range(start, i)
            start, chars = i, 0
        chars += len(line)
    if start < len(lines):
        yield range(start, len(lines))


def translation_request(provider: str, model: str, lines: Sequence[str], target: str, source: str | None,
                        **ids: str | None) -> ProviderRequest:
    """One chat request: `lines` numbered from 1, to be translated into `target` (a language code)."""
    numbered = "\n".join(f"{i}: {' '.join(line.split())}" for i, line in enumerate(lines, start=1))
    origin = f" from {language_name(source)}" if source else ""
    prompt = f"Translate these {len(lines)} lines{origin} into {language_name(target)}:\n\n{numbered}\n"
    messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": prompt}]
    tokens = (len(SYSTEM) + len(prompt)) / 4.0
    return ProviderRequest(provider=provider, model=model, operation="chat",
                           payload={"messages": messages, "max_tokens": int(tokens * 2) + 200, "temperature": 0.0},
                           estimate={"input_tokens": tokens, "output_tokens": tokens * 1.5},
                           project_id=ids.get("project_id"), video_id=ids.get("video_id"), job_id=ids.get("job_id"))


def parse_numbered(text: str, count: int, source: str) -> list[str]:
    """The answer's lines 1..count in order; raises TranslationAnswerError when one is missing.

    Tolerates fences, blank lines, `N.` / `N)` / `[N]` numbering and a continuation line (joined
    to the line above); numbers outside 1..count are an error (the model merged or split lines)."""
    found: dict[int, str] = {}
    last: int | None = None
    for raw in text.replace("\r", "").splitlines():
        if not raw.strip() or raw.strip().startswith("```"):
            continue
        match = _NUMBERED.match(raw)
        if match:
            number = int(match.group(1) or match.group(2))
            if not 1 <= number <= count:
                raise TranslationAnswerError(f"{source} answered line {number}, but only {count} were sent")
            found[number] = match.group(3).strip()
            last = number
        elif last is not None:
            found[last] = f"{found[last]} {raw.strip()}".strip()
    missing = [n for n in range(1, count + 1) if not found.get(n)]
    if missing:
        shown = ", ".join(str(n) for n in missing[:5]) + ("…" if len(missing) > 5 else "")
        raise TranslationAnswerError(f"{source} left out {len(missing)} of {count} lines ({shown})")
    return [found[n] for n in range(1, count + 1)]


def llm_translate(call: Callable[[ProviderRequest], dict[str, Any]], provider: str, model: str,
                  lines: Sequence[str], target: str, source: str | None,
                  progress: Callable[[int, int], None] | None = None, **ids: str | None) -> list[str]:
    """Translate `lines` into `target` batch by batch through `call` (the gateway); same order and count.

    Raises what `call` raises (ProviderError, BudgetExceeded, UnknownPrice) or TranslationAnswerError."""
    out: list[str] = []
    spans = list(batches(lines))
    for done, span in enumerate(spans):
        if progress is not None:
            progress(done, len(spans))
        chunk = [lines[i] for i in span]
        data = call(translation_request(provider, model, chunk, target, source, **ids))
        out += parse_numbered(str(data.get("text", "")), len(chunk), f"{provider}/{model}")
    return out


def translated_segments(originals: Sequence[TextSegment], texts: Sequence[str], target: str, stage: str,
                        version: int) -> list[TextSegment]:
    """Translation segments at the originals' times, with their speakers (one per original)."""
    return [TextSegment(video_id=o.video_id, kind=SegmentKind.TRANSLATION, stage=stage, version=version,
                        start_s=o.start_s, end_s=o.end_s, text=text, language=target, speaker=o.speaker)
            for o, text in zip(originals, texts, strict=True)]
