"""Summary and commentary written by an LLM provider, through the gateway.

The model gets the transcript (with times), the on-screen text and the shot list, and must
answer with JSON: an overview, timestamped chapters and a timestamped commentary script.
Answers are checked: times outside the video, empty titles and malformed JSON are errors
(the stage then falls back to the local extractive summary and says why).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from typing import Any

from core.errors import VipError
from core.models.segment import TextSegment
from core.models.shot import Shot
from core.providers.base import ProviderRequest
from core.models.summary import Chapter, CommentaryLine, Summary
from core.timeutil import format_timestamp

MAX_PROMPT_CHARS = 24_000  # about 6k tokens of transcript: longer videos are sampled evenly
SYSTEM = ("You summarise videos for a video archive. Answer with JSON only, no prose around it: "
          '{"overview": "...", "chapters": [{"start_s": 0, "title": "...", "text": "..."}], '
          '"commentary": [{"start_s": 0, "text": "..."}]}. Times are seconds from the start of the video '
          "and must be times that appear in the material. Chapters: 3 to 10, in order. Commentary: a short "
          "spoken-style script for a narrator, one line per notable moment, in order.")


class SummaryAnswerError(VipError):
    """The provider answered, but not with a usable summary."""


def build_prompt(name: str, duration_s: float, origin_s: float, transcript: Sequence[TextSegment],
                 on_screen: Sequence[TextSegment], shots: Sequence[Shot]) -> str:
    """The material the model reads: times relative to the first frame (origin_s)."""
    lines = [f"[{t.start_s - origin_s:.1f}] {t.text}" for t in transcript]
    text = "\n".join(lines)
    if len(text) > MAX_PROMPT_CHARS:  # keep every n-th line, spread over the whole video
        step = len(text) / MAX_PROMPT_CHARS
        lines = [line for i, line in enumerate(lines) if int(i % step) == 0]
        text = "\n".join(lines)[:MAX_PROMPT_CHARS]
    shown = "\n".join(f"[{s.start_s - origin_s:.1f}] {s.text}" for s in on_screen[:200])
    cuts = ", ".join(f"{s.start_s - origin_s:.1f}" for s in shots[:300])
    return (f"Video: {name}\nDuration: {duration_s:.1f} s ({format_timestamp(duration_s)})\n\n"
            f"Transcript ([seconds] text):\n{text or '(no speech)'}\n\n"
            f"On-screen text:\n{shown or '(none)'}\n\nShot starts (seconds): {cuts or '(one shot)'}\n")


def summary_request(provider: str, model: str, prompt: str, **ids: str | None) -> ProviderRequest:
    messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": prompt}]
    estimate = {"input_tokens": (len(SYSTEM) + len(prompt)) / 4.0, "output_tokens": 1200.0}
    return ProviderRequest(provider=provider, model=model, operation="chat",
                           payload={"messages": messages, "max_tokens": 1500, "temperature": 0.2},
                           estimate=estimate, project_id=ids.get("project_id"), video_id=ids.get("video_id"),
                           job_id=ids.get("job_id"))


def parse_answer(text: str, source: str, duration_s: float, origin_s: float) -> Summary:
    """The model's JSON answer as a Summary in media time; raises SummaryAnswerError."""
    match = re.search(r"\{.*\}", text, re.DOTALL)  # tolerate ```json fences and stray words
    try:
        doc: Any = json.loads(match.group(0) if match else text)
    except ValueError as exc:
        raise SummaryAnswerError(f"{source} did not answer with JSON ({exc})") from exc
    if not isinstance(doc, dict) or not str(doc.get("overview", "")).strip():
        raise SummaryAnswerError(f"{source} answered without an overview")

    def time_of(item: dict[str, Any]) -> float:
        try:
            value = float(item["start_s"])
        except (KeyError, TypeError, ValueError) as exc:
            raise SummaryAnswerError(f"{source} gave an item without a time: {item!r}") from exc
        if not 0.0 <= value <= duration_s + 1.0:
            raise SummaryAnswerError(f"{source} gave a time outside the video: {value:g} s")
        return origin_s + value

    raw_chapters = [c for c in doc.get("chapters") or [] if isinstance(c, dict) and str(c.get("title", "")).strip()]
    starts = sorted(time_of(c) for c in raw_chapters)
    ends = starts[1:] + [origin_s + duration_s]
    chapters = [Chapter(round(start, 3), round(end, 3), str(c["title"]).strip(), str(c.get("text", "")).strip())
                for start, end, c in zip(starts, ends, sorted(raw_chapters, key=time_of))]
    commentary = [CommentaryLine(round(time_of(c), 3), str(c["text"]).strip())
                  for c in doc.get("commentary") or [] if isinstance(c, dict) and str(c.get("text", "")).strip()]
    return Summary(source=source, overview=str(doc["overview"]).strip(), chapters=chapters,
                   commentary=sorted(commentary, key=lambda c: c.start_s))


def llm_summary(call: Callable[[ProviderRequest], dict[str, Any]], provider: str, model: str, name: str,
                duration_s: float, origin_s: float, transcript: Sequence[TextSegment],
                on_screen: Sequence[TextSegment], shots: Sequence[Shot], **ids: str | None) -> Summary:
    """Ask `provider`/`model` (through `call`, the gateway) for the summary and commentary."""
    prompt = build_prompt(name, duration_s, origin_s, transcript, on_screen, shots)
    data = call(summary_request(provider, model, prompt, **ids))
    return parse_answer(str(data.get("text", "")), f"{provider}/{model}", duration_s, origin_s)
