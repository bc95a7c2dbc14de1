"""A structlog processor that keeps API keys out of every log event.

Add `redact_secrets` to the processor chain after anything that renders exceptions into the
event (format_exc_info, dict_tracebacks) and before the renderer, so tracebacks are redacted
too. It masks:
- string values of fields whose name looks secret (key, api_key, …token…, …secret…,
  …password…, authorization), at any depth in dicts, lists and tuples (numbers such as `input_tokens=12`
  stay: a count is not a secret);
- secrets inside any string: OpenAI-style `sk-…` keys, Google `AIza…` keys, `Bearer …`
  credentials, and `key=`/`token=` query parameters in URLs.
Pure function: safe in every process and thread.
"""

from __future__ import annotations

import re
from collections.abc import MutableMapping
from typing import Any

MASK = "***"

# "key" only as a word of the name (api_key, x-api-key, apiKey), so keyframe/hotkey stay readable
_SECRET_NAME = re.compile(
    r"(^|[_\-.])key(s)?($|[_\-.])|apikey|api_key|token|secret|passw(or)?d|authorization|credential",
    re.IGNORECASE,
)
_CAMEL_KEY = re.compile(r"[a-z0-9]Keys?([A-Z_\-.]|$)")  # openaiKey, googleApiKey
_NOT_SECRET_NAMES = frozenset({"cache_key", "sort_key"})  # hashes and orderings, not credentials
_SECRET_TEXT = [
    (re.compile(r"\bsk-[A-Za-z0-9_\-]{8,}"), "sk-" + MASK),
    (re.compile(r"\bAIza[0-9A-Za-z_\-]{20,}"), "AIza" + MASK),
    (re.compile(r"\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=\-]+", re.IGNORECASE), r"\1 " + MASK),
    (re.compile(r"([?&](?:api[_-]?key|key|access_token|token)=)[^&\s\"'#]+", re.IGNORECASE), r"\1" + MASK),
]


def redact_text(text: str) -> str:
    """`text` with every key-shaped substring masked."""
    for pattern, replacement in _SECRET_TEXT:
        text = pattern.sub(replacement, text)
    return text


def _redact(value: Any, secret_name: bool) -> Any:
    if isinstance(value, str):
        return MASK if secret_name and value else redact_text(value)
    if isinstance(value, bytes):
        return MASK if secret_name and value else value
    if isinstance(value, dict):
        return {k: _redact(v, _is_secret_name(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact(v, secret_name) for v in value]
    if isinstance(value, tuple):
        return tuple(_redact(v, secret_name) for v in value)
    if isinstance(value, BaseException):
        text = str(value)
        masked = redact_text(text)
        return value if masked == text else f"{type(value).__name__}: {masked}"
    return value


def _is_secret_name(name: object) -> bool:
    if not isinstance(name, str) or name in _NOT_SECRET_NAMES:
        return False
    return bool(_SECRET_NAME.search(name) or _CAMEL_KEY.search(name))


def redact_secrets(logger: Any, method_name: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: mask API keys in every field of the event, at any depth."""
    for name in list(event_dict):
        if name == "exc_info":
            continue  # rendered (and then redacted) by format_exc_info/dict_tracebacks before us
        event_dict[name] = _redact(event_dict[name], _is_secret_name(name))
    return event_dict
