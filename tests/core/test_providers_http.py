"""Cloud providers against a local HTTP server speaking their wire formats, and the key store."""

from __future__ import annotations

import base64
import email.utils
import json
import socket
import struct
import threading
import time
import wave
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import keyring
import keyring.backend
import keyring.errors
import pytest
import structlog
from keyring.backends import fail

from core.providers.base import ProviderError, ProviderRequest
from core.providers.gemini import GeminiProvider
from core.providers.http import parse_retry_after
from core.providers.keys import KeyStore, KeyStoreError
from core.providers.openai_compat import OpenAICompatibleProvider

KEY = "sk-test-SECRET-0123456789abcdef"
GKEY = "AIzaTEST-SECRET-gemini-9876"

# --- recorded answers (trimmed to the fields that matter) -----------------------------------

OPENAI_CHAT = {
    "id": "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT", "object": "chat.completion", "created": 1741569952,
    "model": "gpt-4.1-mini-2025-04-14",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "A ferry leaves the harbour at dawn.",
                                         "refusal": None, "annotations": []},
                 "logprobs": None, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 19, "completion_tokens": 10, "total_tokens": 29,
              "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0}},
    "service_tier": "default",
}
OPENAI_EMBED = {
    "object": "list",
    "data": [{"object": "embedding", "index": 1, "embedding": [0.5, -0.25, 0.125]},
             {"object": "embedding", "index": 0, "embedding": [0.1, 0.2, 0.3]}],
    "model": "text-embedding-3-small", "usage": {"prompt_tokens": 8, "total_tokens": 8},
}
OPENAI_TRANSCRIPT = {
    "task": "transcribe", "language": "english", "duration": 90.0,
    "text": "Welcome aboard. The ferry leaves at six.",
    "segments": [
        {"id": 0, "seek": 0, "start": 0.0, "end": 1.62, "text": " Welcome aboard.", "tokens": [50364, 3017],
         "temperature": 0.0, "avg_logprob": -0.29, "compression_ratio": 0.8, "no_speech_prob": 0.01},
        {"id": 1, "seek": 0, "start": 1.62, "end": 3.5, "text": " The ferry leaves at six.", "tokens": [50445],
         "temperature": 0.0, "avg_logprob": -0.31, "compression_ratio": 0.8, "no_speech_prob": 0.02},
    ],
    "usage": {"type": "duration", "seconds": 90},
}
OPENAI_VISION = {
    "id": "chatcmpl-vision", "object": "chat.completion", "model": "gpt-4o-mini",
    "choices": [{"index": 0, "finish_reason": "stop", "message": {
        "role": "assistant", "refusal": None,
        "content": '```json\n{"caption": "A red ferry at a pier.", "labels": ["ferry", "pier", "water"]}\n```'}}],
    "usage": {"prompt_tokens": 8512, "completion_tokens": 24, "total_tokens": 8536},
}
OPENAI_CONTENT_FILTER = {
    "id": "chatcmpl-cf", "object": "chat.completion", "model": "gpt-4o",
    "choices": [{"index": 0, "finish_reason": "content_filter", "message": {"role": "assistant", "content": None}}],
    "usage": {"prompt_tokens": 12, "completion_tokens": 0, "total_tokens": 12},
}
OPENAI_REFUSAL = {
    "id": "chatcmpl-rf", "object": "chat.completion", "model": "gpt-4o",
    "choices": [{"index": 0, "finish_reason": "stop", "message": {
        "role": "assistant", "content": None, "refusal": "I'm sorry, I can't help with that request."}}],
    "usage": {"prompt_tokens": 12, "completion_tokens": 9, "total_tokens": 21},
}
OPENAI_401 = {"error": {"message": f"Incorrect API key provided: {KEY}. You can find your API key at "
                                   "https://platform.openai.com/account/api-keys.",
                        "type": "invalid_request_error", "param": None, "code": "invalid_api_key"}}
OPENAI_400 = {"error": {"message": "This model's maximum context length is 128000 tokens.",
                        "type": "invalid_request_error", "param": "messages", "code": "context_length_exceeded"}}
OPENAI_429 = {"error": {"message": "Rate limit reached for gpt-4o-mini on requests per min (RPM).",
                        "type": "requests", "param": None, "code": "rate_limit_exceeded"}}
OPENAI_MODELS = {"object": "list", "data": [{"id": "gpt-4o-mini", "object": "model", "owned_by": "system"},
                                            {"id": "whisper-1", "object": "model", "owned_by": "openai-internal"}]}

GEMINI_CHAT = {
    "candidates": [{"content": {"parts": [{"text": "Overview: a ferry crossing."}], "role": "model"},
                    "finishReason": "STOP", "index": 0}],
    "usageMetadata": {"promptTokenCount": 42, "candidatesTokenCount": 7, "totalTokenCount": 69,
                      "thoughtsTokenCount": 20, "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 42}]},
    "modelVersion": "gemini-2.5-flash", "responseId": "abc",
}
GEMINI_VISION = {
    "candidates": [{"content": {"parts": [{"text": '{"caption": "Two people on a deck.", "labels": ["people", '
                                                   '"deck"]}'}], "role": "model"},
                    "finishReason": "STOP", "index": 0}],
    "usageMetadata": {"promptTokenCount": 270, "candidatesTokenCount": 15, "totalTokenCount": 285},
    "modelVersion": "gemini-2.5-flash",
}
GEMINI_SAFETY = {
    "candidates": [{"finishReason": "SAFETY", "index": 0, "safetyRatings": [
        {"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH", "blocked": True}]}],
    "usageMetadata": {"promptTokenCount": 9, "totalTokenCount": 9},
}
GEMINI_PROMPT_BLOCKED = {
    "promptFeedback": {"blockReason": "SAFETY", "safetyRatings": [
        {"category": "HARM_CATEGORY_HARASSMENT", "probability": "HIGH"}]},
    "usageMetadata": {"promptTokenCount": 9, "totalTokenCount": 9},
}
GEMINI_400_KEY = {"error": {"code": 400, "message": "API key not valid. Please pass a valid API key.",
                            "status": "INVALID_ARGUMENT", "details": [
                                {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID"}]}}
GEMINI_429 = {"error": {"code": 429, "message": "You exceeded your current quota.", "status": "RESOURCE_EXHAUSTED",
                        "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "37s"}]}}
GEMINI_MODELS = {"models": [{"name": "models/gemini-2.5-flash", "supportedGenerationMethods": ["generateContent"]},
                            {"name": "models/gemini-2.5-pro", "supportedGenerationMethods": ["generateContent"]}]}


# --- the local server -------------------------------------------------------------------------

@dataclass
class Reply:
    status: int = 200
    body: bytes = b"{}"
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class FakeProviderServer:
    """Answers each path with a scripted reply and records every request it got."""

    def __init__(self) -> None:
        self.replies: dict[str, Reply] = {}
        self.seen: list[Seen] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                server.seen.append(Seen(self.command, self.path, {k.lower(): v for k, v in self.headers.items()},
                                        body))
                path = self.path.split("?", 1)[0]
                reply = server.replies.get(path) or Reply(404, b'{"error": {"message": "no such route"}}')
                if reply.delay_s:
                    time.sleep(reply.delay_s)
                try:
                    self.send_response(reply.status)
                    for key, value in {"Content-Type": "application/json", **reply.headers}.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = do_POST = _serve

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def reply(self, path: str, body: Any, status: int = 200, headers: dict[str, str] | None = None,
              delay_s: float = 0.0) -> None:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.replies[path] = Reply(status, raw, headers or {}, delay_s)

    @property
    def last(self) -> Seen:
        return self.seen[-1]


@contextmanager
def serving(httpd: ThreadingHTTPServer) -> Iterator[None]:
    """Serve `httpd` on a thread for the duration of the block."""
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def server() -> Iterator[FakeProviderServer]:
    fake = FakeProviderServer()
    with serving(fake.httpd):
        yield fake


@pytest.fixture
def openai(server: FakeProviderServer) -> OpenAICompatibleProvider:
    return OpenAICompatibleProvider(f"{server.url}/v1", KEY)


@pytest.fixture
def gemini(server: FakeProviderServer) -> GeminiProvider:
    return GeminiProvider(GKEY, base_url=f"{server.url}/v1beta")


@pytest.fixture
def jpeg(tmp_path: Path) -> Path:
    path = tmp_path / "keyframe.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 64 + b"\xff\xd9")
    return path


def chat_request(provider: str = "openai", model: str = "gpt-4o-mini") -> ProviderRequest:
    return ProviderRequest(provider, model, "chat", {
        "messages": [{"role": "system", "content": "You summarise videos."},
                     {"role": "user", "content": "Summarise: a ferry leaves at dawn."}],
        "max_tokens": 200, "temperature": 0.2})


def raises(call: Any) -> ProviderError:
    with pytest.raises(ProviderError) as info:
        call()
    return info.value


# --- OpenAI-compatible: success ---------------------------------------------------------------

def test_openai_chat_sends_bearer_key_and_parses_text_and_usage(server, openai):
    server.reply("/v1/chat/completions", OPENAI_CHAT)
    response = openai.call(chat_request(), timeout_s=5)
    assert response.data == {"text": "A ferry leaves the harbour at dawn.", "finish_reason": "stop",
                             "model": "gpt-4.1-mini-2025-04-14"}
    assert response.usage == {"requests": 1.0, "input_tokens": 19.0, "output_tokens": 10.0}
    sent = server.last
    assert sent.method == "POST" and sent.headers["authorization"] == f"Bearer {KEY}"
    assert sent.json() == {"model": "gpt-4o-mini", "max_tokens": 200, "temperature": 0.2,
                           "messages": chat_request().payload["messages"]}
    assert len(server.seen) == 1


def test_openai_embed_returns_vectors_in_input_order_with_usage(server, openai):
    server.reply("/v1/embeddings", OPENAI_EMBED)
    response = openai.call(ProviderRequest("openai", "text-embedding-3-small", "embed",
                                           {"texts": ["ferry", "harbour"]}), timeout_s=5)
    assert response.data == {"vectors": [[0.1, 0.2, 0.3], [0.5, -0.25, 0.125]], "dimensions": 3}
    assert response.usage == {"requests": 1.0, "input_tokens": 8.0}
    assert server.last.json() == {"model": "text-embedding-3-small", "input": ["ferry", "harbour"],
                                  "encoding_format": "float"}


def silent_wav(path: Path, seconds: float) -> Path:
    """A 16 kHz mono 16-bit WAV file of silence, like the speech stage's upload chunks."""
    with wave.open(str(path), "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(16000)
        writer.writeframes(struct.pack("<h", 0) * int(16000 * seconds))
    return path


def test_openai_transcribe_uploads_multipart_verbose_json_and_measures_minutes(server, openai, tmp_path):
    chunk = silent_wav(tmp_path / "chunk-0003.wav", seconds=1.0)
    server.reply("/v1/audio/transcriptions", OPENAI_TRANSCRIPT)
    response = openai.call(ProviderRequest("openai", "whisper-1", "transcribe",
                                           {"path": str(chunk), "language": "en"}), timeout_s=5)
    assert response.data == {"text": "Welcome aboard. The ferry leaves at six.", "language": "en",
                             "duration_s": 90.0, "segments": [
                                 {"start_s": 0.0, "end_s": 1.62, "text": "Welcome aboard."},
                                 {"start_s": 1.62, "end_s": 3.5, "text": "The ferry leaves at six."}]}
    assert response.usage == {"requests": 1.0, "audio_minutes": 1.5}
    sent = server.last
    assert sent.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert b'name="response_format"\r\n\r\nverbose_json' in sent.body
    assert b'name="model"\r\n\r\nwhisper-1' in sent.body and b'name="language"\r\n\r\nen' in sent.body
    assert b'filename="chunk-0003.wav"\r\nContent-Type: audio/wav' in sent.body
    assert chunk.read_bytes() in sent.body


def test_openai_transcribe_without_duration_in_answer_reads_the_wav_header(server, openai, tmp_path):
    chunk = silent_wav(tmp_path / "chunk.wav", seconds=1.5)
    server.reply("/v1/audio/transcriptions", {"text": "Hello there."})  # a server that ignores verbose_json
    response = openai.call(ProviderRequest("openai", "whisper", "transcribe", {"path": str(chunk)}), timeout_s=5)
    assert response.data["segments"] == [{"start_s": 0.0, "end_s": 1.5, "text": "Hello there."}]
    assert response.usage["audio_minutes"] == pytest.approx(1.5 / 60)


def test_gpt_4o_transcribe_asks_for_json_and_measures_tokens(server, openai, tmp_path):
    chunk = tmp_path / "chunk.mp3"
    chunk.write_bytes(b"ID3" + b"\x00" * 32)
    server.reply("/v1/audio/transcriptions", {"text": "Hello there.", "usage": {
        "type": "tokens", "input_tokens": 14, "output_tokens": 45, "total_tokens": 59,
        "input_token_details": {"text_tokens": 0, "audio_tokens": 14}}})
    response = openai.call(ProviderRequest("openai", "gpt-4o-mini-transcribe", "transcribe",
                                           {"path": str(chunk), "duration_s": 30.0}), timeout_s=5)
    assert response.data["segments"] == [{"start_s": 0.0, "end_s": 30.0, "text": "Hello there."}]
    assert response.usage == {"requests": 1.0, "audio_minutes": 0.5, "input_tokens": 14.0, "output_tokens": 45.0}
    assert b'name="response_format"\r\n\r\njson\r\n' in server.last.body
    assert b"timestamp_granularities" not in server.last.body
    assert b'Content-Type: audio/mpeg' in server.last.body


def test_openai_vision_sends_a_data_url_and_parses_caption_and_labels(server, openai, jpeg):
    server.reply("/v1/chat/completions", OPENAI_VISION)
    response = openai.call(ProviderRequest("openai", "gpt-4o-mini", "vision",
                                           {"image_path": str(jpeg), "labels": True}), timeout_s=5)
    assert response.data == {"text": "A red ferry at a pier.", "labels": ["ferry", "pier", "water"]}
    assert response.usage == {"requests": 1.0, "input_tokens": 8512.0, "output_tokens": 24.0, "images": 1.0}
    content = server.last.json()["messages"][0]["content"]
    assert content[1]["image_url"]["url"] == "data:image/jpeg;base64," + base64.b64encode(jpeg.read_bytes()).decode()
    assert "labels" in content[0]["text"]


def test_azure_style_endpoint_sends_api_key_header_and_api_version(server):
    azure = OpenAICompatibleProvider(f"{server.url}/openai/deployments/gpt4o", KEY, name="azure",
                                     auth="api-key", api_version="2024-10-21")
    server.reply("/openai/deployments/gpt4o/chat/completions", OPENAI_CHAT)
    azure.call(chat_request("azure", "gpt4o"), timeout_s=5)
    assert server.last.headers["api-key"] == KEY and "authorization" not in server.last.headers
    assert server.last.path.endswith("/chat/completions?api-version=2024-10-21")


def test_local_server_without_a_key_sends_no_authorization(server):
    ollama = OpenAICompatibleProvider(f"{server.url}/v1/", None, name="ollama")
    server.reply("/v1/chat/completions", OPENAI_CHAT)
    assert ollama.call(chat_request("ollama", "llama3.2"), timeout_s=5).data["text"].startswith("A ferry")
    assert "authorization" not in server.last.headers


def test_list_models_and_the_test_button(server, openai, gemini):
    server.reply("/v1/models", OPENAI_MODELS)
    server.reply("/v1beta/models", GEMINI_MODELS)
    assert openai.list_models() == ["gpt-4o-mini", "whisper-1"]
    assert openai.test() == f"Connected to {server.url}/v1: 2 models available"
    assert "(but not 'gpt-5')" in openai.test("gpt-5")
    assert gemini.list_models() == ["gemini-2.5-flash", "gemini-2.5-pro"]
    assert gemini.test("gemini-2.5-flash") == "Connected to Gemini: 2 models available"
    assert server.last.headers["x-goog-api-key"] == GKEY


# --- Gemini: success --------------------------------------------------------------------------

def test_gemini_chat_sends_the_key_header_and_maps_roles_and_usage(server, gemini):
    server.reply("/v1beta/models/gemini-2.5-flash:generateContent", GEMINI_CHAT)
    response = gemini.call(chat_request("gemini", "gemini-2.5-flash"), timeout_s=5)
    assert response.data == {"text": "Overview: a ferry crossing.", "finish_reason": "stop",
                             "model": "gemini-2.5-flash"}
    assert response.usage == {"requests": 1.0, "input_tokens": 42.0, "output_tokens": 27.0}  # 7 + 20 thinking
    sent = server.last
    assert sent.headers["x-goog-api-key"] == GKEY and GKEY not in sent.path
    assert sent.json() == {
        "systemInstruction": {"parts": [{"text": "You summarise videos."}]},
        "contents": [{"role": "user", "parts": [{"text": "Summarise: a ferry leaves at dawn."}]}],
        "generationConfig": {"maxOutputTokens": 200, "temperature": 0.2}}


def test_gemini_vision_sends_inline_image_data(server, gemini, jpeg):
    server.reply("/v1beta/models/gemini-2.5-flash:generateContent", GEMINI_VISION)
    response = gemini.call(ProviderRequest("gemini", "models/gemini-2.5-flash", "vision",
                                           {"image_b64": "AAAA", "prompt": "Caption it.", "labels": True}),
                           timeout_s=5)
    assert response.data == {"text": "Two people on a deck.", "labels": ["people", "deck"]}
    assert response.usage == {"requests": 1.0, "input_tokens": 270.0, "output_tokens": 15.0, "images": 1.0}
    parts = server.last.json()["contents"][0]["parts"]
    assert parts[0] == {"inline_data": {"mime_type": "image/jpeg", "data": "AAAA"}}
    assert parts[1]["text"].startswith("Caption it.")


# --- failures, classified ---------------------------------------------------------------------

CHAT_PATHS = {"openai": "/v1/chat/completions", "gemini": "/v1beta/models/gpt-4o-mini:generateContent"}


@pytest.fixture(params=["openai", "gemini"])
def chat_target(request, server, openai, gemini):
    provider = openai if request.param == "openai" else gemini
    return provider, CHAT_PATHS[request.param]


def test_429_with_retry_after_seconds_is_retryable(server, chat_target):
    provider, path = chat_target
    server.reply(path, OPENAI_429, status=429, headers={"Retry-After": "7"})
    error = raises(lambda: provider.call(chat_request(), timeout_s=5))
    assert error.retryable and error.status == 429 and error.retry_after_s == 7
    assert "Rate limit reached" in str(error)


def test_429_retry_after_as_an_http_date():
    now = time.time()
    assert parse_retry_after(email.utils.formatdate(now + 30, usegmt=True), now=now) == pytest.approx(30, abs=1)
    assert parse_retry_after("garbage") is None and parse_retry_after("1.5") == 1.5


def test_gemini_429_takes_the_retry_delay_from_the_body(server, gemini):
    server.reply(CHAT_PATHS["gemini"], GEMINI_429, status=429)
    error = raises(lambda: gemini.call(chat_request(), timeout_s=5))
    assert error.retryable and error.retry_after_s == 37 and "exceeded your current quota" in str(error)


@pytest.mark.parametrize("status", [500, 503])
def test_5xx_is_retryable(server, chat_target, status):
    provider, path = chat_target
    server.reply(path, b"upstream overloaded", status=status, headers={"Content-Type": "text/plain"})
    error = raises(lambda: provider.call(chat_request(), timeout_s=5))
    assert error.retryable and error.status == status and "upstream overloaded" in str(error)


def test_read_timeout_is_retryable(server, chat_target):
    provider, path = chat_target
    server.reply(path, OPENAI_CHAT, delay_s=1.0)
    started = time.monotonic()
    error = raises(lambda: provider.call(chat_request(), timeout_s=0.2))
    assert error.retryable and "timed out" in str(error)
    assert time.monotonic() - started < 0.9


def test_connection_refused_is_retryable():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    provider = OpenAICompatibleProvider(f"http://127.0.0.1:{port}/v1", KEY)
    error = raises(lambda: provider.call(chat_request(), timeout_s=2))
    assert error.retryable and "could not reach" in str(error) and KEY not in str(error)


@pytest.mark.parametrize(("status", "body", "text"), [
    (401, OPENAI_401, "Incorrect API key provided"),
    (400, OPENAI_400, "maximum context length is 128000 tokens"),
    (400, GEMINI_400_KEY, "API key not valid"),
    (404, {"error": "model \"llama9\" not found, try pulling it first"}, "not found, try pulling it first"),
])
def test_4xx_is_not_retryable_and_names_the_error_but_never_the_key(server, chat_target, status, body, text):
    provider, path = chat_target
    own_key = GKEY if isinstance(provider, GeminiProvider) else KEY
    server.reply(path, json.dumps(body).replace(KEY, own_key).encode(), status=status)  # the server echoes the key
    error = raises(lambda: provider.call(chat_request(), timeout_s=5))
    assert not error.retryable and error.status == status
    assert text in str(error)
    assert KEY not in str(error) and GKEY not in str(error) and KEY not in repr(error.args)


def test_an_error_answered_with_http_200_is_not_retryable(server, openai):
    server.reply("/v1/chat/completions", {"error": "Model llama9 is not loaded"})  # LM Studio style
    error = raises(lambda: openai.call(chat_request(), timeout_s=5))
    assert not error.retryable and "Model llama9 is not loaded" in str(error)


def test_redirects_are_not_followed(server, openai):
    server.reply("/v1/chat/completions", b"", status=307, headers={"Location": "http://example.invalid/steal"})
    error = raises(lambda: openai.call(chat_request(), timeout_s=5))
    assert not error.retryable and error.status == 307 and len(server.seen) == 1


@pytest.mark.parametrize("body", [b"<html>502 Bad Gateway</html>", b'{"choices": [', b"[1, 2]",
                                  b'{"choices": []}', b'{"candidates": [{"content": {}}]}'])
def test_malformed_or_incomplete_answers_are_not_retryable(server, chat_target, body):
    provider, path = chat_target
    server.reply(path, body)
    error = raises(lambda: provider.call(chat_request(), timeout_s=5))
    assert not error.retryable and "unexpected answer" in str(error)


def test_embeddings_count_mismatch_is_an_unexpected_answer(server, openai):
    server.reply("/v1/embeddings", {**OPENAI_EMBED, "data": OPENAI_EMBED["data"][:1]})
    error = raises(lambda: openai.call(ProviderRequest("openai", "m", "embed", {"texts": ["a", "b"]}), 5))
    assert not error.retryable and "2 texts sent, 1 embeddings back" in str(error)


@pytest.mark.parametrize(("body", "text"), [
    (OPENAI_CONTENT_FILTER, "content filter"),
    (OPENAI_REFUSAL, "I can't help with that request"),
])
def test_openai_refusals_are_not_retryable(server, openai, body, text):
    server.reply("/v1/chat/completions", body)
    error = raises(lambda: openai.call(chat_request(), timeout_s=5))
    assert not error.retryable and "refused" in str(error) and text in str(error)


@pytest.mark.parametrize(("body", "text"), [
    (GEMINI_SAFETY, "answer was blocked (SAFETY)"),
    (GEMINI_PROMPT_BLOCKED, "prompt was blocked (SAFETY)"),
])
def test_gemini_refusals_are_not_retryable(server, gemini, body, text):
    server.reply(CHAT_PATHS["gemini"], body)
    error = raises(lambda: gemini.call(chat_request(), timeout_s=5))
    assert not error.retryable and "refused" in str(error) and text in str(error)


def test_unsupported_operation_and_missing_inputs_fail_without_a_request(server, gemini, openai):
    assert "does not offer" in str(raises(lambda: gemini.call(ProviderRequest("gemini", "m", "embed", {}), 5)))
    error = raises(lambda: openai.call(ProviderRequest("openai", "m", "vision", {"prompt": "x"}), 5))
    assert "without an image" in str(error)
    assert server.seen == []


def test_gemini_without_a_key_says_where_to_enter_one(server):
    error = raises(lambda: GeminiProvider(None, base_url=server.url).call(chat_request("gemini", "g"), 5))
    assert not error.retryable and "VIP_GEMINI_API_KEY" in str(error) and server.seen == []


def test_repr_never_shows_the_key(openai, gemini):
    assert KEY not in repr(openai) and "key='set'" not in repr(openai) and "key=set" in repr(openai)
    assert GKEY not in repr(gemini) and GKEY not in str(vars(gemini).keys())


def test_http_errors_are_logged_without_the_key(server, openai):
    server.reply("/v1/chat/completions", OPENAI_401, status=401)
    with structlog.testing.capture_logs() as events:
        raises(lambda: openai.call(chat_request(), timeout_s=5))
    assert events and all(KEY not in repr(event) for event in events)


# --- the key store ----------------------------------------------------------------------------

class MemoryKeyring(keyring.backend.KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if (service, username) not in self.entries:
            raise keyring.errors.PasswordDeleteError("not found")
        del self.entries[(service, username)]


class LockedKeyring(MemoryKeyring):
    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked("locked")

    set_password = get_password  # type: ignore[assignment]


@pytest.fixture
def no_keyring() -> Iterator[None]:
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


def test_keystore_falls_back_to_the_environment_without_a_keyring(no_keyring, monkeypatch):
    for name in ("VIP_OPENAI_API_KEY", "OPENAI_API_KEY", "VIP_GEMINI_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    store = KeyStore()
    assert not store.keyring_available()
    assert store.get("openai") is None and store.source("openai") is None
    monkeypatch.setenv("OPENAI_API_KEY", "sk-vendor")
    assert store.get("openai") == "sk-vendor" and store.source("openai") == "environment"
    monkeypatch.setenv("VIP_OPENAI_API_KEY", KEY)
    assert store.get("openai") == KEY  # VIP_ variable first
    monkeypatch.setenv("GEMINI_API_KEY", GKEY)
    assert store.get("gemini") == GKEY
    assert KeyStore(environ={"VIP_LM_STUDIO_API_KEY": "lm"}).get("lm-studio") == "lm"


def test_keystore_set_without_a_keyring_says_to_use_the_environment_variable(no_keyring):
    store = KeyStore(environ={})
    with pytest.raises(KeyStoreError) as info:
        store.set("openai", KEY)
    message = str(info.value)
    assert "no OS keyring" in message and "VIP_OPENAI_API_KEY" in message and KEY not in message


def test_keystore_keeps_keys_in_the_keyring_before_the_environment():
    backend = MemoryKeyring()
    store = KeyStore(backend=backend, environ={"VIP_OPENAI_API_KEY": "sk-from-env"})
    assert store.source("openai") == "environment"
    with structlog.testing.capture_logs() as events:
        store.set("openai", f"  {KEY}\n")
    assert backend.entries == {("vip-desktop", "openai"): KEY}
    assert store.get("openai") == KEY and store.source("openai") == "keyring"
    assert all(KEY not in repr(event) for event in events) and KEY not in repr(store)
    with pytest.raises(KeyStoreError, match="VIP_OPENAI_API_KEY; unset it"):
        store.delete("openai")  # removed from the keyring, but the environment still has one
    assert backend.entries == {} and store.get("openai") == "sk-from-env"


def test_keystore_delete_of_a_missing_key_is_fine_and_set_refuses_empty_keys():
    store = KeyStore(backend=MemoryKeyring(), environ={})
    store.delete("gemini")
    assert store.get("gemini") is None
    with pytest.raises(KeyStoreError, match="empty"):
        store.set("gemini", "  ")


def test_keystore_with_a_locked_keyring_reads_the_environment_and_refuses_to_store():
    store = KeyStore(backend=LockedKeyring(), environ={"GEMINI_API_KEY": GKEY})
    assert store.get("gemini") == GKEY and store.source("gemini") == "environment"
    with pytest.raises(KeyStoreError, match="refused the key") as info:
        store.set("gemini", "AIza-new")
    assert "AIza-new" not in str(info.value)
