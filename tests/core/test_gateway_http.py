"""The gateway with the real OpenAI-compatible provider against a local server speaking its wire
format: a 429 with Retry-After is waited out, the answer is ledgered at its price and cached, a
malformed answer is not retried; the real database keeps the cache and the ledger."""

from __future__ import annotations

import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from core.providers import PriceTable, ProviderError, ProviderGateway
from core.providers.budgets import BudgetChecker
from core.providers.openai_compat import OpenAICompatibleProvider
from core.repositories import ApiCacheRepository, ProjectRepository, ProviderCallRepository
from tests.core.test_providers_http import OPENAI_CHAT, chat_request, serving

KEY = "sk-test-GATEWAYKEY0000000000"


class SequencedServer:
    """Answers each POST with the next scripted (status, headers, body) and counts the requests."""

    def __init__(self) -> None:
        self.script: list[tuple[int, dict[str, str], bytes]] = []
        self.requests = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 (http.server API)
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                server.requests += 1
                status, headers, body = server.script.pop(0)
                self.send_response(status)
                for key, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"


@pytest.fixture
def server() -> Iterator[SequencedServer]:
    fake = SequencedServer()
    with serving(fake.httpd):
        yield fake


def test_retry_after_then_answer_is_ledgered_and_cached_and_malformed_is_not_retried(
        sync_db: Any, server: SequencedServer) -> None:
    ledger = ProviderCallRepository(sync_db)
    waits: list[float] = []
    gateway = ProviderGateway({"openai": OpenAICompatibleProvider(server.url, KEY)}, ApiCacheRepository(sync_db),
                              ledger, PriceTable(), BudgetChecker(ProjectRepository(sync_db), ledger),
                              sleep=waits.append, jitter=lambda: 1.0)
    server.script = [(429, {"Retry-After": "2"}, b'{"error": {"message": "Rate limit reached"}}'),
                     (200, {}, json.dumps(OPENAI_CHAT).encode())]
    first = gateway.call(chat_request())
    assert first.data["text"] == "A ferry leaves the harbour at dawn." and first.attempts == 2
    assert waits == [2.0] and server.requests == 2
    assert first.cost_usd == pytest.approx(19 * 0.15 / 1e6 + 10 * 0.60 / 1e6)

    again = gateway.call(chat_request())  # the same question: from the cache, no request, no cost
    assert again.cached and again.cost_usd == 0.0 and again.saved_usd == pytest.approx(first.cost_usd)
    assert server.requests == 2

    server.script = [(200, {}, b'{"choices": [')]  # cut off mid-answer
    other = chat_request()
    other.payload["messages"][1]["content"] = "Summarise: a different video."
    with pytest.raises(ProviderError) as failed:
        gateway.call(other)
    assert not failed.value.retryable and "unexpected answer" in str(failed.value)
    assert server.requests == 3  # not retried
    calls = ledger.recent(10)
    assert [(c.ok, c.cached) for c in reversed(calls)] == [(True, False), (True, True), (False, False)]
    assert all(KEY not in json.dumps(c.to_doc(), default=str) for c in calls)
