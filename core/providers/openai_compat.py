"""Call any OpenAI-compatible endpoint: OpenAI, Azure OpenAI, Ollama, LM Studio, llama.cpp, vLLM.

Operations and their payload → data shapes (`ProviderRequest.payload` → `ProviderResponse.data`):

- ``chat``: {messages: [{role, content}], max_tokens?, temperature?} →
  {text, finish_reason, model}
- ``embed``: {texts: [str], dimensions?} → {vectors: [[float]], dimensions}
- ``transcribe``: {path (16 kHz wav/mp3 chunk), language?, prompt?, duration_s?} →
  {text, language, duration_s, segments: [{start_s, end_s, text}]} (times from the chunk's start;
  a model without segment times, such as gpt-4o-transcribe, gives one segment for the chunk)
- ``vision``: {image_path | image_b64 (+ mime?), prompt?, labels?: bool, max_tokens?} →
  {text (the caption), labels: [str]}

Usage is measured from the answer: input_tokens, output_tokens, audio_minutes, images, requests.
One HTTP request per call: no retries and no cache here (the gateway does both). Runs in
worker processes, or on a GUI worker thread for `test()`. The key never leaves the headers:
not in messages, logs or `repr`.
"""

from __future__ import annotations

import contextlib
import os
import urllib.parse
import wave
from collections.abc import Mapping
from typing import Any, Literal

from core.providers.base import ProviderError, ProviderRequest, ProviderResponse
from core.providers.http import (
    UploadFile,
    caption_and_labels,
    dispatch,
    image_from_payload,
    post_multipart,
    request_json,
    vision_prompt,
)

OPENAI_BASE_URL = "https://api.openai.com/v1"
_AUDIO_TYPES = {".wav": "audio/wav", ".mp3": "audio/mpeg", ".m4a": "audio/mp4", ".ogg": "audio/ogg",
                ".flac": "audio/flac", ".webm": "audio/webm"}


class OpenAICompatibleProvider:
    """One OpenAI-compatible endpoint and its key (None for local servers without auth).

    `auth="api-key"` sends the key in an `api-key` header (Azure OpenAI) instead of
    `Authorization: Bearer`; `api_version` adds `?api-version=` to every URL (Azure
    deployments: base_url ``https://RES.openai.azure.com/openai/deployments/DEPLOYMENT``).
    """

    operations = ("chat", "embed", "transcribe", "vision")

    def __init__(self, base_url: str = OPENAI_BASE_URL, api_key: str | None = None, name: str = "openai", *,
                 auth: Literal["bearer", "api-key"] = "bearer", api_version: str | None = None,
                 extra_headers: Mapping[str, str] | None = None, max_tokens_field: str | None = None) -> None:
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.__key = api_key or None
        self._auth = auth
        self._api_version = api_version
        self._extra_headers = dict(extra_headers or {})
        host = urllib.parse.urlsplit(self.base_url).hostname or ""
        # OpenAI's current models take max_completion_tokens; local servers know max_tokens.
        self._max_tokens_field = max_tokens_field or (
            "max_completion_tokens" if host == "api.openai.com" else "max_tokens")

    def __repr__(self) -> str:
        return (f"OpenAICompatibleProvider(name={self.name!r}, base_url={self.base_url!r}, "
                f"key={'set' if self.__key else 'none'})")

    # -- wiring ---------------------------------------------------------------------------

    def _url(self, path: str) -> str:
        url = f"{self.base_url}/{path.lstrip('/')}"
        if self._api_version:
            url += "?" + urllib.parse.urlencode({"api-version": self._api_version})
        return url

    def _headers(self) -> dict[str, str]:
        headers = dict(self._extra_headers)
        if self.__key:
            if self._auth == "api-key":
                headers["api-key"] = self.__key
            else:
                headers["Authorization"] = f"Bearer {self.__key}"
        return headers

    def _post(self, path: str, body: dict[str, Any], timeout_s: float) -> dict[str, Any]:
        answer = request_json(self.name, "POST", self._url(path), headers=self._headers(), json_body=body,
                              timeout_s=timeout_s, secrets=[self.__key])
        return self._object(answer)

    def _object(self, answer: Any) -> dict[str, Any]:
        if not isinstance(answer, dict):
            raise ProviderError(self.name, "unexpected answer: not a JSON object")
        if "error" in answer and not any(k in answer for k in ("choices", "data", "text")):
            error = answer["error"]  # some servers answer errors with HTTP 200
            message = error.get("message") if isinstance(error, dict) else error
            raise ProviderError(self.name, f"request rejected: {str(message)[:300]}")
        return answer

    # -- the gateway's entry point ---------------------------------------------------------

    def call(self, request: ProviderRequest, timeout_s: float) -> ProviderResponse:
        """Run one operation with one HTTP request; raise ProviderError on any failure."""
        return dispatch(self.name, request, timeout_s, {"chat": self.chat, "embed": self.embed, "transcribe": self.transcribe,
                                                          "vision": self.vision})

    def chat(self, model: str, payload: Mapping[str, Any], timeout_s: float) -> ProviderResponse:
        messages = payload.get("messages")
        if not isinstance(messages, list) or not messages:
            raise ProviderError(self.name, "chat request without messages")
        body: dict[str, Any] = {"model": model, "messages": messages}
        if payload.get("max_tokens") is not None:
            body[self._max_tokens_field] = int(payload["max_tokens"])
        if payload.get("temperature") is not None:
            body["temperature"] = float(payload["temperature"])
        answer = self._post("chat/completions", body, timeout_s)
        text, finish_reason = self._completion_text(answer)
        return ProviderResponse(data={"text": text, "finish_reason": finish_reason,
                                      "model": str(answer.get("model") or model)},
                                usage=self._token_usage(answer))

    def embed(self, model: str, payload: Mapping[str, Any], timeout_s: float) -> ProviderResponse:
        texts = payload.get("texts")
        if not isinstance(texts, list) or not texts:
            raise ProviderError(self.name, "embed request without texts")
        body: dict[str, Any] = {"model": model, "input": [str(t) for t in texts], "encoding_format": "float"}
        if payload.get("dimensions"):
            body["dimensions"] = int(payload["dimensions"])
        answer = self._post("embeddings", body, timeout_s)
        items = answer.get("data")
        if not isinstance(items, list) or len(items) != len(texts):
            raise ProviderError(self.name, f"unexpected answer: {len(texts)} texts sent, "
                                           f"{len(items) if isinstance(items, list) else 'no'} embeddings back")
        try:
            ordered = sorted(items, key=lambda item: int(item.get("index", 0)))
            vectors = [[float(x) for x in item["embedding"]] for item in ordered]
        except (AttributeError, KeyError, TypeError, ValueError):
            raise ProviderError(self.name, "unexpected answer: malformed embeddings") from None
        sizes = {len(v) for v in vectors}
        if len(sizes) != 1 or 0 in sizes:
            raise ProviderError(self.name, "unexpected answer: embeddings of different or zero sizes")
        usage = self._token_usage(answer)
        usage.pop("output_tokens", None)
        return ProviderResponse(data={"vectors": vectors, "dimensions": sizes.pop()}, usage=usage)

    def transcribe(self, model: str, payload: Mapping[str, Any], timeout_s: float) -> ProviderResponse:
        path = payload.get("path")
        if not path:
            raise ProviderError(self.name, "transcribe request without an audio path")
        path = str(path)
        try:
            with open(path, "rb") as handle:
                content = handle.read()
        except OSError as exc:
            raise ProviderError(self.name, f"cannot read audio chunk {path}: {exc.strerror or exc}") from None
        extension = os.path.splitext(path)[1].lower()
        fields: dict[str, str | list[str]] = {"model": model}
        if model.startswith("gpt-4o"):  # gpt-4o(-mini)-transcribe answer only "json": text without times
            fields["response_format"] = "json"
        else:
            fields.update({"response_format": "verbose_json", "timestamp_granularities[]": ["segment"]})
        if payload.get("language"):
            fields["language"] = str(payload["language"])
        if payload.get("prompt"):
            fields["prompt"] = str(payload["prompt"])
        upload = UploadFile("file", os.path.basename(path), content,
                            _AUDIO_TYPES.get(extension, "application/octet-stream"))
        answer = self._object(post_multipart(self.name, self._url("audio/transcriptions"), headers=self._headers(),
                                             fields=fields, files=[upload], timeout_s=timeout_s,
                                             secrets=[self.__key]))
        text = answer.get("text")
        if not isinstance(text, str):
            raise ProviderError(self.name, "unexpected answer: no transcript text")
        segments = []
        for segment in answer.get("segments") or []:
            try:
                segments.append({"start_s": float(segment["start"]), "end_s": float(segment["end"]),
                                 "text": str(segment["text"]).strip()})
            except (KeyError, TypeError, ValueError):
                raise ProviderError(self.name, "unexpected answer: malformed transcript segment") from None
        duration_s = _audio_seconds(answer, path, payload)
        if not segments and text.strip() and duration_s:
            segments.append({"start_s": 0.0, "end_s": duration_s, "text": text.strip()})
        usage: dict[str, float] = {"requests": 1.0}
        if duration_s is not None:
            usage["audio_minutes"] = duration_s / 60.0
        raw_usage = answer.get("usage")
        if isinstance(raw_usage, dict) and raw_usage.get("type") == "tokens":  # gpt-4o-transcribe
            usage.update(_tokens(raw_usage))
        language = str(payload.get("language") or answer.get("language") or "")
        return ProviderResponse(data={"text": text.strip(), "language": language, "duration_s": duration_s,
                                      "segments": segments}, usage=usage)

    def vision(self, model: str, payload: Mapping[str, Any], timeout_s: float) -> ProviderResponse:
        mime, data = image_from_payload(self.name, payload)
        content = [{"type": "text", "text": vision_prompt(payload)},
                   {"type": "image_url", "image_url": {"url": f"data:{mime};base64,{data}"}}]
        body: dict[str, Any] = {"model": model, "messages": [{"role": "user", "content": content}],
                                self._max_tokens_field: int(payload.get("max_tokens") or 300)}
        answer = self._post("chat/completions", body, timeout_s)
        text, _ = self._completion_text(answer)
        usage = self._token_usage(answer)
        usage["images"] = 1.0
        return ProviderResponse(data=caption_and_labels(text, bool(payload.get("labels"))), usage=usage)

    # -- the Providers page ----------------------------------------------------------------

    def list_models(self, timeout_s: float = 10.0) -> list[str]:
        """The model ids the endpoint offers (GET /models)."""
        answer = self._object(request_json(self.name, "GET", self._url("models"), headers=self._headers(),
                                           timeout_s=timeout_s, secrets=[self.__key]))
        items = answer.get("data")
        if not isinstance(items, list):
            raise ProviderError(self.name, "unexpected answer: no model list")
        return sorted(str(item["id"]) for item in items if isinstance(item, dict) and "id" in item)

    def test(self, model: str | None = None, timeout_s: float = 10.0) -> str:
        """Check the URL and key with a free call; a short line for the GUI's Test button."""
        models = self.list_models(timeout_s)
        line = f"Connected to {self.base_url}: {len(models)} model{'s' if len(models) != 1 else ''} available"
        if model and models and model not in models:
            line += f" (but not {model!r})"
        return line

    # -- answer parsing --------------------------------------------------------------------

    def _completion_text(self, answer: dict[str, Any]) -> tuple[str, str]:
        choices = answer.get("choices")
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            raise ProviderError(self.name, "unexpected answer: no choices")
        choice = choices[0]
        message = choice.get("message")
        if not isinstance(message, dict):
            raise ProviderError(self.name, "unexpected answer: no message")
        finish_reason = str(choice.get("finish_reason") or "")
        if message.get("refusal"):
            raise ProviderError(self.name, f"refused: {str(message['refusal'])[:300]}")
        if finish_reason == "content_filter":
            raise ProviderError(self.name, "refused: the answer was blocked by the content filter")
        content = message.get("content")
        if isinstance(content, list):  # some servers answer with content parts
            content = "".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
        if not isinstance(content, str):
            raise ProviderError(self.name, "unexpected answer: no message content")
        return content, finish_reason

    def _token_usage(self, answer: dict[str, Any]) -> dict[str, float]:
        usage: dict[str, float] = {"requests": 1.0}
        raw = answer.get("usage")
        if isinstance(raw, dict):
            usage.update(_tokens(raw))
        return usage


def _tokens(raw: Mapping[str, Any]) -> dict[str, float]:
    """input/output tokens from an OpenAI usage object (chat, embeddings or transcription shape)."""
    out: dict[str, float] = {}
    for unit, names in (("input_tokens", ("prompt_tokens", "input_tokens")),
                        ("output_tokens", ("completion_tokens", "output_tokens"))):
        for key in names:
            value = raw.get(key)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                out[unit] = float(value)
                break
    return out


def _audio_seconds(answer: Mapping[str, Any], path: str, payload: Mapping[str, Any]) -> float | None:
    """The chunk's length: from the answer, the WAV header, or the caller's `duration_s`."""
    for value in (answer.get("duration"), (answer.get("usage") or {}).get("seconds")
                  if isinstance(answer.get("usage"), dict) else None):
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
            return float(value)
    if path.lower().endswith(".wav"):
        with contextlib.suppress(OSError, wave.Error, EOFError):
            with wave.open(path, "rb") as reader:
                return reader.getnframes() / float(reader.getframerate())
    if payload.get("duration_s") is not None:
        return float(payload["duration_s"])
    return None
