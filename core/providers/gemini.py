"""Call Google Gemini (the Generative Language API) for summaries and keyframe captions.

Operations and their payload → data shapes (the same as the OpenAI-compatible provider's):

- ``chat``: {messages: [{role: system|user|assistant, content}], max_tokens?, temperature?} →
  {text, finish_reason ("stop", "length", …), model}
- ``vision``: {image_path | image_b64 (+ mime?), prompt?, labels?: bool, max_tokens?} →
  {text (the caption), labels: [str]}

Usage comes from `usageMetadata` (thinking tokens count as output: they are billed so).
One HTTP request per call: no retries and no cache here (the gateway does both). The key
travels in the `x-goog-api-key` header, never in the URL, messages, logs or `repr`.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable, Mapping
from typing import Any

from core.providers.base import ProviderError, ProviderRequest, ProviderResponse
from core.providers.http import caption_and_labels, dispatch, image_from_payload, request_json, vision_prompt

GEMINI_BASE_URL = "https://generativelanguage.googleapis.com/v1beta"
# finishReason / blockReason values that mean the model (or its filter) declined to answer.
_REFUSALS = {"SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY", "OTHER"}
_FINISH = {"STOP": "stop", "MAX_TOKENS": "length"}


class GeminiProvider:
    """Gemini with one API key; `base_url` only changes for tests or a proxy."""

    operations = ("chat", "vision")

    def __init__(self, api_key: str | None, base_url: str = GEMINI_BASE_URL, name: str = "gemini") -> None:
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.__key = api_key or None

    def __repr__(self) -> str:
        return f"GeminiProvider(name={self.name!r}, base_url={self.base_url!r}, key={'set' if self.__key else 'none'})"

    def _headers(self) -> dict[str, str]:
        if not self.__key:
            raise ProviderError(self.name, "no API key — enter one on the Providers page or set VIP_GEMINI_API_KEY")
        return {"x-goog-api-key": self.__key}

    def _model_url(self, model: str, method: str) -> str:
        model = model.removeprefix("models/")
        return f"{self.base_url}/models/{urllib.parse.quote(model, safe='-._')}:{method}"

    # -- the gateway's entry point ---------------------------------------------------------

    def call(self, request: ProviderRequest, timeout_s: float) -> ProviderResponse:
        """Run one operation with one HTTP request; raise ProviderError on any failure."""
        return dispatch(self.name, request, timeout_s, {"chat": self.chat, "vision": self.vision})

    def chat(self, model: str, payload: Mapping[str, Any], timeout_s: float) -> ProviderResponse:
        messages = payload.get("messages")
        if not isinstance(messages, list) or not messages:
            raise ProviderError(self.name, "chat request without messages")
        system: list[dict[str, str]] = []
        contents: list[dict[str, Any]] = []
        for message in messages:
            if not isinstance(message, dict):
                raise ProviderError(self.name, "chat message is not an object")
            role, text = str(message.get("role", "user")), _text_of(message.get("content"))
            if role == "system":
                system.append({"text": text})
            else:
                contents.append({"role": "model" if role == "assistant" else "user", "parts": [{"text": text}]})
        body: dict[str, Any] = {"contents": contents}
        if system:
            body["systemInstruction"] = {"parts": system}
        config = _generation_config(payload)
        if config:
            body["generationConfig"] = config
        return self._generate(model, body, timeout_s, lambda text, reason: {
            "text": text, "finish_reason": reason, "model": model})

    def vision(self, model: str, payload: Mapping[str, Any], timeout_s: float) -> ProviderResponse:
        mime, data = image_from_payload(self.name, payload)
        body: dict[str, Any] = {"contents": [{"role": "user", "parts": [
            {"inline_data": {"mime_type": mime, "data": data}},
            {"text": vision_prompt(payload)},
        ]}], "generationConfig": _generation_config(payload) or {"maxOutputTokens": 300}}
        want_labels = bool(payload.get("labels"))
        response = self._generate(model, body, timeout_s,
                                  lambda text, _reason: caption_and_labels(text, want_labels))
        response.usage["images"] = 1.0
        return response

    def _generate(self, model: str, body: dict[str, Any], timeout_s: float,
                  shape: Callable[[str, str], dict[str, Any]]) -> ProviderResponse:
        answer = request_json(self.name, "POST", self._model_url(model, "generateContent"), headers=self._headers(),
                              json_body=body, timeout_s=timeout_s, secrets=[self.__key])
        if not isinstance(answer, dict):
            raise ProviderError(self.name, "unexpected answer: not a JSON object")
        feedback = answer.get("promptFeedback")
        if isinstance(feedback, dict) and feedback.get("blockReason"):
            raise ProviderError(self.name, f"refused: the prompt was blocked ({feedback['blockReason']})")
        candidates = answer.get("candidates")
        if not isinstance(candidates, list) or not candidates or not isinstance(candidates[0], dict):
            raise ProviderError(self.name, "unexpected answer: no candidates")
        candidate = candidates[0]
        raw_reason = str(candidate.get("finishReason") or "")
        if raw_reason in _REFUSALS:
            raise ProviderError(self.name, f"refused: the answer was blocked ({raw_reason})")
        content = candidate.get("content")
        parts = content.get("parts") if isinstance(content, dict) else None
        if parts is None and raw_reason == "MAX_TOKENS":
            parts = []
        if not isinstance(parts, list):
            raise ProviderError(self.name, "unexpected answer: no content parts")
        text = "".join(str(part.get("text", "")) for part in parts
                       if isinstance(part, dict) and not part.get("thought"))
        if not text.strip() and raw_reason == "MAX_TOKENS":
            raise ProviderError(self.name, "the answer was cut off before any text (MAX_TOKENS) — allow more tokens")
        data = shape(text, _FINISH.get(raw_reason, raw_reason.lower()))
        return ProviderResponse(data=data, usage=_usage(answer.get("usageMetadata")))

    # -- the Providers page ----------------------------------------------------------------

    def list_models(self, timeout_s: float = 10.0) -> list[str]:
        """The model names the key may call (without the `models/` prefix)."""
        answer = request_json(self.name, "GET", f"{self.base_url}/models?pageSize=1000", headers=self._headers(),
                              timeout_s=timeout_s, secrets=[self.__key])
        models = answer.get("models") if isinstance(answer, dict) else None
        if not isinstance(models, list):
            raise ProviderError(self.name, "unexpected answer: no model list")
        return sorted(str(m["name"]).removeprefix("models/") for m in models if isinstance(m, dict) and "name" in m)

    def test(self, model: str | None = None, timeout_s: float = 10.0) -> str:
        """Check the key with a free call; a short line for the GUI's Test button."""
        models = self.list_models(timeout_s)
        line = f"Connected to Gemini: {len(models)} model{'s' if len(models) != 1 else ''} available"
        if model and models and model.removeprefix("models/") not in models:
            line += f" (but not {model!r})"
        return line


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # OpenAI-style content parts
        return "".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return "" if content is None else str(content)


def _generation_config(payload: Mapping[str, Any]) -> dict[str, Any]:
    config: dict[str, Any] = {}
    if payload.get("max_tokens") is not None:
        config["maxOutputTokens"] = int(payload["max_tokens"])
    if payload.get("temperature") is not None:
        config["temperature"] = float(payload["temperature"])
    return config


def _usage(metadata: Any) -> dict[str, float]:
    usage: dict[str, float] = {"requests": 1.0}
    if not isinstance(metadata, dict):
        return usage

    def count(key: str) -> float:
        value = metadata.get(key)
        return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0.0

    if "promptTokenCount" in metadata:
        usage["input_tokens"] = count("promptTokenCount")
    if "candidatesTokenCount" in metadata or "thoughtsTokenCount" in metadata:
        usage["output_tokens"] = count("candidatesTokenCount") + count("thoughtsTokenCount")
    return usage
