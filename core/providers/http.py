"""Send one JSON or multipart HTTP request to a cloud provider and classify its failure.

Standard library only (`urllib.request`). Runs in worker processes and on GUI worker
threads; it never retries, caches or sleeps: the gateway does that (docs/ARCHITECTURE.md §6).
Every failure becomes a `ProviderError`: 429 (with `Retry-After`), 408, 5xx, timeouts and
connection errors are retryable; other 4xx, redirects and malformed answers are not.
Secrets (API keys) passed in `secrets` are masked in every message; URLs are never quoted in
messages, since some providers accept a key in the query string.
"""

from __future__ import annotations

import base64
import email.utils
import http.client
import json
import mimetypes
import socket
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from email.message import Message
from typing import Any

import structlog

from core.providers.base import ProviderError, ProviderRequest, ProviderResponse

log = structlog.get_logger(__name__)

USER_AGENT = "vip-desktop/0.1"
MAX_MESSAGE_CHARS = 300
_CHUNK = 64 * 1024
_LOOPBACK = {"localhost", "127.0.0.1", "::1"}


@dataclass(frozen=True)
class UploadFile:
    """One file part of a multipart request."""

    field: str
    filename: str
    content: bytes
    content_type: str = "application/octet-stream"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Refuse redirects: urllib would forward the key's header to wherever they point."""

    def redirect_request(self, req: urllib.request.Request, fp: Any, code: int, msg: str,
                         headers: Message, newurl: str) -> urllib.request.Request | None:
        return None


def _opener(url: str) -> urllib.request.OpenerDirector:
    handlers: list[urllib.request.BaseHandler] = [_NoRedirect()]
    host = (urllib.parse.urlsplit(url).hostname or "").lower()
    if host in _LOOPBACK:  # a local server (Ollama, LM Studio, tests): never through a proxy
        handlers.append(urllib.request.ProxyHandler({}))
    return urllib.request.build_opener(*handlers)


def redact(text: str, secrets: Sequence[str | None]) -> str:
    """Return `text` with every secret replaced by `***`."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


def error_text(body: bytes) -> str:
    """The provider's own error message from an error body (OpenAI, Gemini, Ollama shapes)."""
    text = body.decode("utf-8", "replace").strip()
    try:
        parsed = json.loads(text)
    except ValueError:
        return text[:MAX_MESSAGE_CHARS]
    message: Any = parsed
    if isinstance(parsed, dict):
        error = parsed.get("error", parsed)
        if isinstance(error, dict):
            message = error.get("message") or error.get("status") or error.get("code") or error
        elif isinstance(error, str):
            message = error
        elif "message" in parsed:
            message = parsed["message"]
    elif isinstance(parsed, list) and parsed and isinstance(parsed[0], dict):
        return error_text(json.dumps(parsed[0]).encode())  # Gemini sometimes wraps errors in a list
    text = message if isinstance(message, str) else json.dumps(message)
    return text[:MAX_MESSAGE_CHARS]


def _google_retry_delay(body: bytes) -> float | None:
    """`retryDelay` ("37s") from a Google RPC RetryInfo detail, when there is no Retry-After."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return None
    if isinstance(parsed, list) and parsed:
        parsed = parsed[0]
    details = parsed.get("error", {}).get("details", []) if isinstance(parsed, dict) else []
    for detail in details if isinstance(details, list) else []:
        if isinstance(detail, dict) and str(detail.get("@type", "")).endswith("RetryInfo"):
            delay = str(detail.get("retryDelay", "")).rstrip("s")
            try:
                return max(0.0, float(delay))
            except ValueError:
                return None
    return None


def http_error(provider: str, status: int, headers: Mapping[str, str] | Message, body: bytes,
               secrets: Sequence[str | None] = ()) -> ProviderError:
    """Classify an HTTP error status into a `ProviderError` carrying the provider's message."""
    detail = redact(error_text(body), secrets) or http.client.responses.get(status, "")
    if status == 429:
        retry_after = parse_retry_after(headers.get("Retry-After")) or _google_retry_delay(body)
        return ProviderError(provider, f"rate limited or out of quota (HTTP 429): {detail}",
                             retryable=True, status=status, retry_after_s=retry_after)
    if status >= 500 or status == 408:
        retry_after = parse_retry_after(headers.get("Retry-After"))
        return ProviderError(provider, f"server error (HTTP {status}): {detail}", retryable=True,
                             status=status, retry_after_s=retry_after)
    if status in (401, 403):
        hint = "check the API key on the Providers page"
        return ProviderError(provider, f"not authorized (HTTP {status}): {detail} — {hint}", status=status)
    if 300 <= status < 400:
        return ProviderError(provider, f"unexpected redirect (HTTP {status}): check the base URL", status=status)
    return ProviderError(provider, f"request rejected (HTTP {status}): {detail}", status=status)


def _read(provider: str, response: http.client.HTTPResponse, deadline: float) -> bytes:
    chunks: list[bytes] = []
    while True:
        chunk = response.read(_CHUNK)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        if time.monotonic() > deadline:
            raise ProviderError(provider, "timed out reading the answer", retryable=True)


def send(provider: str, method: str, url: str, *, headers: Mapping[str, str], body: bytes | None,
         timeout_s: float, secrets: Sequence[str | None] = ()) -> bytes:
    """Send one request and return the body of a 2xx answer; raise `ProviderError` otherwise.

    `timeout_s` bounds connecting, each read, and (checked between reads) the whole answer.
    """
    try:
        request = urllib.request.Request(url, data=body, method=method)
    except ValueError as exc:  # a malformed base URL from settings
        raise ProviderError(provider, f"invalid base URL: {redact(str(exc), secrets)}") from None
    request.add_header("User-Agent", USER_AGENT)
    for key, value in headers.items():
        request.add_header(key, value)
    deadline = time.monotonic() + timeout_s
    started = time.monotonic()
    try:
        with _opener(url).open(request, timeout=timeout_s) as response:
            data = _read(provider, response, deadline)
            status = int(response.status)
    except urllib.error.HTTPError as exc:
        try:
            error_body = exc.read()
        except (OSError, http.client.HTTPException):
            error_body = b""
        error = http_error(provider, exc.code, exc.headers, error_body, secrets)
        log.info("provider_http_error", provider=provider, status=exc.code, retryable=error.retryable,
                 elapsed_s=round(time.monotonic() - started, 3))
        raise error from None
    except urllib.error.URLError as exc:
        raise _network_error(provider, exc.reason, secrets) from None
    except (TimeoutError, socket.timeout, ConnectionError, http.client.HTTPException, OSError) as exc:
        raise _network_error(provider, exc, secrets) from None
    if not 200 <= status < 300:
        raise http_error(provider, status, {}, data, secrets)
    return data


def _network_error(provider: str, reason: object, secrets: Sequence[str | None]) -> ProviderError:
    if isinstance(reason, (TimeoutError, socket.timeout)):
        return ProviderError(provider, "timed out waiting for the server", retryable=True)
    if isinstance(reason, ssl.SSLCertVerificationError):
        return ProviderError(provider, f"TLS certificate not trusted ({redact(str(reason.verify_message), secrets)})"
                             " — check the base URL")
    if isinstance(reason, ValueError):  # urllib: "unknown url type" and friends
        return ProviderError(provider, f"invalid base URL: {redact(str(reason), secrets)}")
    text = redact(str(reason), secrets)[:MAX_MESSAGE_CHARS]
    return ProviderError(provider, f"could not reach the server ({text}) — is it running and online?",
                         retryable=True)


def decode_json(provider: str, data: bytes) -> Any:
    """Parse a JSON answer; a malformed one is a non-retryable 'unexpected answer'."""
    try:
        return json.loads(data)
    except ValueError:
        snippet = data[:80].decode("utf-8", "replace")
        raise ProviderError(provider, f"unexpected answer (not JSON): {snippet!r}") from None


def request_json(provider: str, method: str, url: str, *, headers: Mapping[str, str],
                 json_body: Any = None, timeout_s: float, secrets: Sequence[str | None] = ()) -> Any:
    """Send a JSON request (or a bodyless GET) and return the parsed JSON answer."""
    all_headers = {"Accept": "application/json", **headers}
    body = None
    if json_body is not None:
        body = json.dumps(json_body, ensure_ascii=False).encode("utf-8")
        all_headers["Content-Type"] = "application/json"
    data = send(provider, method, url, headers=all_headers, body=body, timeout_s=timeout_s, secrets=secrets)
    return decode_json(provider, data)


def encode_multipart(fields: Mapping[str, str | Sequence[str]], files: Sequence[UploadFile]) -> tuple[bytes, str]:
    """Encode form fields and files as multipart/form-data; return the body and its content type."""
    boundary = f"vip-{uuid.uuid4().hex}"
    parts: list[bytes] = []
    for name, value in fields.items():
        for item in [value] if isinstance(value, str) else value:
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
                         + item.encode("utf-8") + b"\r\n")
    for upload in files:
        content_type = upload.content_type or mimetypes.guess_type(upload.filename)[0] or "application/octet-stream"
        filename = upload.filename.replace('"', "_")
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{upload.field}"; '
                     f'filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'.encode()
                     + upload.content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def post_multipart(provider: str, url: str, *, headers: Mapping[str, str], fields: Mapping[str, str | Sequence[str]],
                   files: Sequence[UploadFile], timeout_s: float, secrets: Sequence[str | None] = ()) -> Any:
    """POST a multipart form (an audio upload) and return the parsed JSON answer."""
    body, content_type = encode_multipart(fields, files)
    all_headers = {"Accept": "application/json", **headers, "Content-Type": content_type}
    data = send(provider, "POST", url, headers=all_headers, body=body, timeout_s=timeout_s, secrets=secrets)
    return decode_json(provider, data)


# Payload helpers shared by the providers' vision and chat operations.

VISION_PROMPT = "Describe this image in one sentence for a video search index."
LABELS_INSTRUCTION = ('Answer with JSON only: {"caption": "<one sentence>", "labels": ["<up to 10 short '
                      'lowercase labels of objects, places and actions>"]}')


def image_from_payload(provider: str, payload: Mapping[str, Any]) -> tuple[str, str]:
    """The image of a vision payload as (MIME type, base64): `image_path` or `image_b64` (JPEG unless `mime`)."""
    if payload.get("image_b64"):
        return str(payload.get("mime") or "image/jpeg"), str(payload["image_b64"])
    path = payload.get("image_path")
    if not path:
        raise ProviderError(provider, "vision request without an image (image_path or image_b64)")
    try:
        with open(str(path), "rb") as handle:
            content = handle.read()
    except OSError as exc:
        raise ProviderError(provider, f"cannot read image {path}: {exc.strerror or exc}") from None
    return sniff_image_type(content), base64.b64encode(content).decode("ascii")


def sniff_image_type(content: bytes) -> str:
    """The MIME type of JPEG, PNG, WebP or GIF bytes (JPEG when unknown)."""
    if content.startswith(b"\x89PNG"):
        return "image/png"
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    if content.startswith(b"GIF8"):
        return "image/gif"
    return "image/jpeg"


def vision_prompt(payload: Mapping[str, Any]) -> str:
    """The prompt of a vision payload, asking for JSON caption + labels when `labels` is true."""
    prompt = str(payload.get("prompt") or VISION_PROMPT)
    return f"{prompt}\n{LABELS_INSTRUCTION}" if payload.get("labels") else prompt


def caption_and_labels(text: str, want_labels: bool) -> dict[str, Any]:
    """Vision data {"text", "labels"} from a model's answer; tolerant of code fences around JSON."""
    text = text.strip()
    if not want_labels:
        return {"text": text, "labels": []}
    start, end = text.find("{"), text.rfind("}")
    if start >= 0 and end > start:
        try:
            parsed = json.loads(text[start:end + 1])
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            raw_labels = parsed.get("labels")
            labels = [str(label).strip() for label in raw_labels if str(label).strip()] \
                if isinstance(raw_labels, list) else []
            caption = str(parsed.get("caption") or parsed.get("text") or "").strip()
            return {"text": caption, "labels": labels}
    return {"text": text, "labels": []}


def dispatch(provider: str, request: ProviderRequest, timeout_s: float,
             operations: Mapping[str, Callable[[str, Mapping[str, Any], float], ProviderResponse]],
             ) -> ProviderResponse:
    """Run `request` with the provider's handler for its operation (one HTTP request)."""
    if not request.model:
        raise ProviderError(provider, f"no model configured for {request.operation}")
    handler = operations.get(request.operation)
    if handler is None:
        raise ProviderError(provider, f"does not offer the operation {request.operation!r}")
    return handler(request.model, request.payload, timeout_s)
