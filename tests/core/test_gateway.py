"""The provider gateway against the real FerretDB server: cache, budget, retries, ledger, prices.

The providers here are scripted stand-ins (the HTTP providers have their own wire-format
tests); the database is real. Time is an injected clock, sleeping an injected recorder.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import structlog
from structlog.testing import capture_logs

from core.models import Project
from core.providers.base import BudgetExceeded, ProviderError, ProviderRequest, ProviderResponse
from core.providers.budgets import BudgetChecker
from core.providers.cache import cache_key, purge_expired_cache
from core.providers.gateway import GatewayResult, ProviderGateway, cache_api_call
from core.providers.prices import PriceFileError, PriceTable, UnknownPrice
from core.providers.redaction import redact_secrets
from core.repositories import (
    BudgetHoldRepository,
    ApiCacheRepository,
    AsyncProviderCallRepository,
    DatabaseAddress,
    ProjectRepository,
    ProviderCallRepository,
    connect_async,
)
from core.models.costs import ProviderCall

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
OPENAI_KEY = "sk-proj-Abc123Def456Ghi789Jkl012"
GOOGLE_KEY = "AIzaSyA1234567890abcdefghijklmnopqrstu"


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class ScriptedProvider:
    """A Provider that answers from a script: each step is a response or an exception to raise."""

    def __init__(self, name: str, *script: ProviderResponse | Exception) -> None:
        self.name = name
        self.script = list(script)
        self.calls: list[tuple[ProviderRequest, float]] = []

    def call(self, request: ProviderRequest, timeout_s: float) -> ProviderResponse:
        self.calls.append((request, timeout_s))
        step = self.script.pop(0)
        if isinstance(step, Exception):
            raise step
        return step


def chat(text: str = "hello", **kw: Any) -> ProviderRequest:
    fields: dict[str, Any] = dict(provider="openai", model="gpt-4o-mini", operation="chat",
                                  payload={"messages": [{"role": "user", "content": text}]},
                                  estimate={"input_tokens": 1000, "output_tokens": 500})
    fields.update(kw)
    return ProviderRequest(**fields)


def answer(text: str = "hi", input_tokens: float = 1000, output_tokens: float = 500) -> ProviderResponse:
    return ProviderResponse(data={"text": text, "vectors": [[0.1, 0.2], [0.3, 0.4]]},
                            usage={"input_tokens": input_tokens, "output_tokens": output_tokens})


CHAT_COST = 1000 * 0.15 / 1e6 + 500 * 0.60 / 1e6  # gpt-4o-mini: $0.15 / $0.60 per 1M tokens


class Setup:
    def __init__(self, db: Any) -> None:
        self.db = db
        self.clock = Clock()
        self.sleeps: list[float] = []
        self.cache = ApiCacheRepository(db)
        self.ledger = ProviderCallRepository(db)
        self.projects = ProjectRepository(db)
        self.project = Project(name="Docs", budget_usd=None)
        db["projects"].insert_one(self.project.to_doc())

    def gateway(self, *providers: ScriptedProvider, prices: PriceTable | None = None) -> ProviderGateway:
        return ProviderGateway(
            {p.name: p for p in providers}, self.cache, self.ledger, prices or PriceTable(),
            BudgetChecker(self.projects, self.ledger, BudgetHoldRepository(self.db)), timeout_s=5, max_attempts=4,
            sleep=self.sleeps.append, clock=self.clock, jitter=lambda: 0.0,
        )

    def calls(self) -> list[ProviderCall]:
        return sorted((ProviderCall.from_doc(d) for d in self.db["provider_calls"].find({})),
                      key=lambda c: (c.at, c.cached))


@pytest.fixture
def env(sync_db: Any) -> Iterator[Setup]:
    yield Setup(sync_db)


# --- cache -------------------------------------------------------------------------------------

def test_second_identical_call_is_a_cache_hit_ledgered_at_zero_cost_with_the_cost_saved(env: Setup) -> None:
    provider = ScriptedProvider("openai", answer("first"))
    gateway = env.gateway(provider)
    request = chat(project_id=env.project.id, video_id="v1", job_id="j1")

    first = gateway.call(request)
    second = gateway.call(request)

    assert first == GatewayResult(data=answer("first").data, cached=False, cost_usd=pytest.approx(CHAT_COST),
                                  saved_usd=0.0, attempts=1)
    assert second.cached and second.data == first.data  # nested arrays survive the cache
    assert second.cost_usd == 0.0 and second.saved_usd == pytest.approx(CHAT_COST) and second.attempts == 0
    assert len(provider.calls) == 1 and provider.calls[0][1] == 5
    paid, hit = env.calls()
    assert (paid.cached, paid.ok, paid.cost_usd) == (False, True, pytest.approx(CHAT_COST))
    assert paid.units == {"input_tokens": 1000, "output_tokens": 500}
    assert paid.unit_prices == {"input_tokens": 0.15, "output_tokens": 0.60}
    assert (paid.project_id, paid.video_id, paid.job_id) == (env.project.id, "v1", "j1")
    assert (hit.cached, hit.cost_usd, hit.saved_usd) == (True, 0.0, pytest.approx(CHAT_COST))
    assert env.ledger.spent(env.project.id) == pytest.approx(CHAT_COST)  # the hit cost nothing


def test_cache_key_covers_provider_model_operation_and_payload_not_ids() -> None:
    base = chat()
    assert cache_key(base) == cache_key(chat(project_id="p", job_id="j", estimate={}))
    assert cache_key(base) == cache_key(chat(payload={"messages": [{"content": "hello", "role": "user"}]}))
    for other in (chat("bye"), chat(model="gpt-4o"), chat(operation="vision"), chat(provider="gemini")):
        assert cache_key(other) != cache_key(base)


def test_expired_cache_entry_is_not_used_and_the_provider_is_called_again(env: Setup) -> None:
    provider = ScriptedProvider("openai", answer("old"), answer("new"))
    gateway = env.gateway(provider)

    assert gateway.call(chat(), ttl_hours=1).data["text"] == "old"
    env.clock.advance(minutes=59)
    assert gateway.call(chat(), ttl_hours=1).cached
    env.clock.advance(minutes=2)
    again = gateway.call(chat(), ttl_hours=1)

    assert (again.cached, again.data["text"]) == (False, "new")
    assert len(provider.calls) == 2


def test_ttl_zero_neither_reads_nor_writes_the_cache(env: Setup) -> None:
    provider = ScriptedProvider("openai", answer("a"), answer("b"))
    gateway = env.gateway(provider)

    assert [gateway.call(chat(), ttl_hours=0).data["text"] for _ in range(2)] == ["a", "b"]
    assert env.cache.count() == 0


def test_purge_removes_only_expired_entries(env: Setup) -> None:
    gateway = env.gateway(ScriptedProvider("openai", answer("a"), answer("b"), answer("c")))
    gateway.call(chat("short"), ttl_hours=1)
    gateway.call(chat("long"), ttl_hours=48)
    gateway.call(chat("forever"), ttl_hours=None)
    env.clock.advance(hours=2)

    with capture_logs() as logs:
        assert purge_expired_cache(env.cache, env.clock()) == 1
    assert env.cache.count() == 2
    assert env.cache.get(cache_key(chat("short")), env.clock()) is None
    assert env.cache.get(cache_key(chat("forever")), env.clock() + timedelta(days=3650)) is not None
    assert {"event": "api_cache_purged", "removed": 1, "log_level": "info"} in logs


def test_cache_api_call_decorator_sends_built_requests_through_the_gateway(env: Setup) -> None:
    provider = ScriptedProvider("openai", answer("summary"))
    gateway = env.gateway(provider)

    @cache_api_call(gateway, "openai", ttl_hours=24)
    def summarize(text: str) -> ProviderRequest:
        return chat(text)

    assert summarize("a transcript").data["text"] == "summary"
    assert summarize("a transcript").cached
    assert len(provider.calls) == 1


# --- retries -----------------------------------------------------------------------------------

def test_429_is_retried_after_the_retry_after_the_provider_gave(env: Setup) -> None:
    provider = ScriptedProvider("openai", ProviderError("openai", "HTTP 429 rate limited", retryable=True,
                                                        status=429, retry_after_s=7.0), answer())
    result = env.gateway(provider).call(chat())

    assert (result.cached, result.attempts) == (False, 2)
    assert env.sleeps == [7.0]
    [entry] = env.calls()
    assert (entry.ok, entry.attempts) == (True, 2)


def test_500_is_retried_with_exponential_backoff_then_succeeds(env: Setup) -> None:
    err = ProviderError("openai", "HTTP 500 server error", retryable=True, status=500)
    provider = ScriptedProvider("openai", err, err, answer("ok"))
    result = env.gateway(provider).call(chat())

    assert result.data["text"] == "ok" and result.attempts == 3
    assert env.sleeps == [0.5, 1.0]  # 1 s · 2^(n-1), with the jitter factor at its 0.5 floor


def test_400_is_not_retried_and_is_ledgered_as_a_failure(env: Setup) -> None:
    provider = ScriptedProvider("openai", ProviderError("openai", "HTTP 400 bad request: unknown field",
                                                        status=400), answer())
    with pytest.raises(ProviderError, match="400 bad request") as raised:
        env.gateway(provider).call(chat(job_id="j9"))

    assert raised.value.status == 400 and len(provider.calls) == 1 and env.sleeps == []
    [entry] = env.calls()
    assert (entry.ok, entry.cost_usd, entry.attempts, entry.job_id) == (False, 0.0, 1, "j9")
    assert entry.error is not None and "400 bad request" in entry.error
    assert env.cache.count() == 0


def test_timeout_is_retried(env: Setup) -> None:
    provider = ScriptedProvider("openai", TimeoutError("read timed out"),
                                ProviderError("openai", "timed out after 5 s", retryable=True), answer("late"))
    result = env.gateway(provider).call(chat())

    assert (result.data["text"], result.attempts) == ("late", 3)
    assert len(env.sleeps) == 2


def test_exhausted_retries_raise_one_clear_error_and_ledger_one_failure(env: Setup) -> None:
    err = ProviderError("openai", "HTTP 503 overloaded", retryable=True, status=503)
    provider = ScriptedProvider("openai", *[err] * 5)

    with pytest.raises(ProviderError) as raised:
        env.gateway(provider).call(chat())

    assert str(raised.value) == "openai: chat with gpt-4o-mini failed after 4 attempts: HTTP 503 overloaded"
    assert raised.value.status == 503
    assert len(provider.calls) == 4 and env.sleeps == [0.5, 1.0, 2.0]
    [entry] = env.calls()
    assert (entry.ok, entry.attempts, entry.cost_usd) == (False, 4, 0.0)
    assert entry.error == str(raised.value)


def test_backoff_is_capped_and_a_huge_retry_after_is_bounded(env: Setup) -> None:
    err = ProviderError("openai", "HTTP 502", retryable=True, status=502)
    slow = ProviderError("openai", "HTTP 429", retryable=True, status=429, retry_after_s=86_400)
    provider = ScriptedProvider("openai", *[err] * 7, slow, answer())
    gateway = ProviderGateway({"openai": provider}, env.cache, env.ledger, PriceTable(),
                              BudgetChecker(env.projects, env.ledger), max_attempts=10,
                              sleep=env.sleeps.append, clock=env.clock, jitter=lambda: 0.999)
    gateway.call(chat())

    assert max(env.sleeps[:7]) <= 30.0 and env.sleeps[6] == pytest.approx(30.0, rel=0.01)
    assert env.sleeps[7] == 120.0


# --- budgets -----------------------------------------------------------------------------------

def test_budget_refuses_a_paid_call_before_calling_the_provider(env: Setup) -> None:
    env.projects.set_budget(env.project.id, 0.0005)
    provider = ScriptedProvider("openai", answer(), answer())
    gateway = env.gateway(provider)
    gateway.call(chat("one", project_id=env.project.id))  # $0.00045 of $0.0005

    with pytest.raises(BudgetExceeded) as refused:
        gateway.call(chat("two", project_id=env.project.id))

    message = str(refused.value)
    assert message.startswith("Project 'Docs' has a budget of $0.0005 and has spent $0.00045; "
                              "this call is estimated at $0.00045, which would exceed it.")
    assert len(provider.calls) == 1 and len(env.calls()) == 1
    # what is cached is still served: a hit costs nothing
    assert gateway.call(chat("one", project_id=env.project.id)).cached


def test_budget_estimate_alone_can_refuse_and_other_projects_are_unaffected(env: Setup) -> None:
    env.projects.set_budget(env.project.id, 1.0)
    provider = ScriptedProvider("openai", answer())
    gateway = env.gateway(provider)
    huge = {"input_tokens": 10_000_000, "output_tokens": 0}  # $1.50

    with pytest.raises(BudgetExceeded, match=r"budget of \$1\.00 and has spent \$0\.00;.*estimated at \$1\.50,"):
        gateway.call(chat(project_id=env.project.id, estimate=huge))
    assert provider.calls == []
    assert gateway.call(chat(project_id="another-project", estimate=huge)).attempts == 1


class SlowProvider(ScriptedProvider):
    """Answers once the test lets it: a paid call in flight in another worker."""

    def __init__(self, name: str, *script: Any) -> None:
        super().__init__(name, *script)
        self.calling, self.go = threading.Event(), threading.Event()

    def call(self, request: ProviderRequest, timeout_s: float) -> ProviderResponse:
        self.calling.set()
        assert self.go.wait(10)
        return super().call(request, timeout_s)


def test_two_workers_calling_at_once_cannot_together_pass_the_budget(env: Setup) -> None:
    env.projects.set_budget(env.project.id, 1.5 * CHAT_COST)  # room for one call, not two
    slow = SlowProvider("openai", answer())
    first = threading.Thread(target=lambda: env.gateway(slow).call(chat("one", project_id=env.project.id)))
    first.start()
    assert slow.calling.wait(10)  # worker 1's call is in flight: nothing in the ledger yet
    other = ScriptedProvider("openai", answer())
    with pytest.raises(BudgetExceeded, match=r"has spent \$0\.00 and \$0\.00045 is held by calls in progress"):
        env.gateway(other).call(chat("two", project_id=env.project.id))  # worker 2
    slow.go.set()
    first.join(10)
    assert other.calls == [] and len(slow.calls) == 1
    assert [c.cost_usd for c in env.calls()] == [pytest.approx(CHAT_COST)]
    assert env.db["budget_holds"].count_documents({}) == 0  # released once in the ledger


def test_a_hold_left_by_a_worker_that_died_mid_call_stops_counting(env: Setup) -> None:
    env.projects.set_budget(env.project.id, 1.5 * CHAT_COST)
    holds = BudgetHoldRepository(env.db)
    holds.add(env.project.id, CHAT_COST, datetime.now(timezone.utc) - timedelta(hours=2))
    provider = ScriptedProvider("openai", answer())
    assert env.gateway(provider).call(chat(project_id=env.project.id)).attempts == 1
    assert holds.prune(datetime.now(timezone.utc) - timedelta(minutes=30)) == 1


def test_local_provider_skips_the_budget_but_is_ledgered(env: Setup) -> None:
    env.projects.set_budget(env.project.id, 0.0)  # no paid calls at all
    local = ScriptedProvider("local", ProviderResponse(data={"text": "local"}, usage={"input_tokens": 900}))
    paid = ScriptedProvider("openai", answer())
    gateway = env.gateway(local, paid)

    assert gateway.call(ProviderRequest("local", "llama3", "chat", {"q": 1}, project_id=env.project.id)).data == \
        {"text": "local"}
    with pytest.raises(BudgetExceeded):
        gateway.call(chat(project_id=env.project.id))
    [entry] = env.calls()
    assert (entry.provider, entry.ok, entry.cost_usd, entry.units) == ("local", True, 0.0, {"input_tokens": 900})


def test_unknown_paid_model_is_refused_not_billed_at_zero(env: Setup) -> None:
    provider = ScriptedProvider("openai", answer())
    with pytest.raises(UnknownPrice, match=r"openai/gpt-9-turbo.*prices\.json"):
        env.gateway(provider).call(chat(model="gpt-9-turbo"))
    assert provider.calls == []


# --- prices and cost arithmetic ----------------------------------------------------------------

def test_cost_arithmetic_tokens_minutes_and_images() -> None:
    prices = PriceTable()
    assert prices.cost("openai", "gpt-4o-mini", {"input_tokens": 2_000_000, "output_tokens": 1_000_000}) == \
        pytest.approx(2 * 0.15 + 0.60)
    assert prices.cost("openai", "text-embedding-3-small", {"input_tokens": 500_000}) == pytest.approx(0.01)
    assert prices.cost("openai", "whisper-1", {"audio_minutes": 12.5}) == pytest.approx(0.075)
    # an image is billed as input tokens (reported in usage): estimated at 765 tokens on gpt-4o
    assert prices.estimate("openai", "gpt-4o", {"images": 10}) == pytest.approx(10 * 765 * 2.50 / 1e6)
    assert prices.cost("openai", "gpt-4o", {"input_tokens": 7650, "images": 10}) == pytest.approx(0.019125)
    assert prices.cost("gemini", "gemini-2.0-flash", {"input_tokens": 1_000_000, "output_tokens": 100_000}) == \
        pytest.approx(0.10 + 0.04)
    assert prices.estimate("gemini", "gemini-1.5-flash", {"images": 100}) == pytest.approx(100 * 258 * 0.075 / 1e6)
    assert prices.cost("local", "whisper-base", {"audio_minutes": 600}) == 0.0
    assert prices.price("openai", "gpt-4o-mini", "output_tokens") == 0.60
    assert prices.is_free("local", "anything") and not prices.is_free("openai", "whisper-1")


def test_gateway_uses_the_request_estimate_when_the_provider_reports_no_usage(env: Setup) -> None:
    provider = ScriptedProvider("openai", ProviderResponse(data={"text": "words"}))
    request = ProviderRequest("openai", "whisper-1", "transcribe", {"audio": "sha256:abc"},
                              estimate={"audio_minutes": 3.0})
    assert env.gateway(provider).call(request).cost_usd == pytest.approx(0.018)
    [entry] = env.calls()
    assert entry.estimated and entry.units == {"audio_minutes": 3.0} and entry.unit_prices == {"audio_minutes": 0.006}


def test_prices_file_overrides_defaults_and_carries_its_version(tmp_path: Path) -> None:
    assert PriceTable.load(tmp_path).source == "built-in defaults"
    (tmp_path / "prices.json").write_text(json.dumps({
        "version": "2026-03-01",
        "prices": {"openai": {"gpt-4o-mini": {"output_tokens": 0.5}, "my-finetune": {"input_tokens": 3}},
                   "ollama": {"*": {}}},
    }))
    prices = PriceTable.load(tmp_path)

    assert prices.version == "2026-03-01"
    assert prices.price("openai", "gpt-4o-mini", "output_tokens") == 0.5
    assert prices.price("openai", "gpt-4o-mini", "input_tokens") == 0.15  # kept from the defaults
    assert prices.cost("openai", "my-finetune", {"input_tokens": 1_000_000}) == 3.0
    assert prices.is_free("ollama", "llama3.1:8b")

    (tmp_path / "prices.json").write_text(json.dumps({"version": "x", "prices": {"openai": {"m": {"frames": 1}}}}))
    with pytest.raises(PriceFileError, match="unknown unit 'frames'"):
        PriceTable.load(tmp_path)
    (tmp_path / "prices.json").write_text("{not json")
    with pytest.raises(PriceFileError, match="prices.json: cannot read"):
        PriceTable.load(tmp_path)


# --- totals ------------------------------------------------------------------------------------

def test_totals_per_project_provider_and_day(env: Setup, database: DatabaseAddress) -> None:
    openai = ScriptedProvider("openai", answer("a"), answer("b"))
    gemini = ScriptedProvider("gemini", ProviderResponse(data={}, usage={"input_tokens": 258_000, "images": 1000}))
    gateway = env.gateway(openai, gemini)
    gateway.call(chat("a", project_id="p1"))
    gateway.call(chat("a", project_id="p1"))  # hit
    env.clock.advance(days=1)
    gateway.call(chat("b", project_id="p2"))
    gateway.call(ProviderRequest("gemini", "gemini-1.5-flash", "vision", {"image": "k1"}, project_id="p2"))

    by_project = {t.key: t for t in env.ledger.totals("project")}
    assert by_project["p1"].cost_usd == pytest.approx(CHAT_COST)
    assert by_project["p1"].saved_usd == pytest.approx(CHAT_COST)
    assert (by_project["p1"].calls, by_project["p1"].cached_calls) == (2, 1)
    assert by_project["p2"].cost_usd == pytest.approx(CHAT_COST + 0.01935)
    assert [(t.key, t.calls) for t in env.ledger.totals("provider")] == [("gemini", 1), ("openai", 3)]
    assert [(t.key, t.calls) for t in env.ledger.totals("day")] == [("2026-03-01", 2), ("2026-03-02", 2)]
    assert env.ledger.spent("p2") == pytest.approx(CHAT_COST + 0.01935)
    assert env.ledger.spent("nobody") == 0.0

    async def read() -> tuple[float, list[str]]:
        client, db = connect_async(database)
        try:
            calls = AsyncProviderCallRepository(db)
            days = await calls.totals("day", project_id="p2")
            return await calls.spent("p1"), [t.key for t in days]
        finally:
            await client.close()

    assert asyncio.run(read()) == (pytest.approx(CHAT_COST), ["2026-03-02"])


# --- key redaction -----------------------------------------------------------------------------

def test_keys_never_reach_the_logs(env: Setup) -> None:
    log = structlog.get_logger("test")
    leaky = ProviderError("openai", f"HTTP 401: invalid key {OPENAI_KEY}", status=401)
    provider = ScriptedProvider("openai", leaky)

    with capture_logs(processors=[redact_secrets]) as logs:
        log.info("provider_configured", api_key=OPENAI_KEY, input_tokens=1200,
                 headers={"Authorization": f"Bearer {OPENAI_KEY}", "Accept": "application/json"},
                 url=f"https://generativelanguage.googleapis.com/v1beta/models/x:generate?key={GOOGLE_KEY}&alt=sse",
                 note=f"tried {GOOGLE_KEY} then {OPENAI_KEY}", tokens=[OPENAI_KEY],
                 keyframe="media/v1/kf_003.jpg", cache_key="ab12", **{"x-goog-api-key": GOOGLE_KEY})
        with pytest.raises(ProviderError):
            env.gateway(provider).call(chat())

    text = json.dumps(logs, default=str)
    assert OPENAI_KEY not in text and GOOGLE_KEY not in text
    configured = logs[0]
    assert configured["api_key"] == "***" and configured["input_tokens"] == 1200
    assert configured["headers"] == {"Authorization": "***", "Accept": "application/json"}
    assert configured["url"].endswith("?key=***&alt=sse")
    assert configured["note"] == "tried AIza*** then sk-***" and configured["tokens"] == ["***"]
    assert configured["x-goog-api-key"] == "***"
    assert (configured["keyframe"], configured["cache_key"]) == ("media/v1/kf_003.jpg", "ab12")
    failed = next(e for e in logs if e["event"] == "provider_call_failed")
    assert failed["error"] == "openai: HTTP 401: invalid key sk-***" and failed["status"] == 401


def test_a_files_content_hash_not_its_temp_path_is_in_the_cache_key() -> None:
    from core.providers.cache import cache_key

    def request(path: str, digest: str) -> ProviderRequest:
        return ProviderRequest("openai", "whisper-1", "transcribe", {"path": path, "audio_sha256": digest})

    assert cache_key(request("/tmp/a/x.wav", "1" * 64)) == cache_key(request("/tmp/b/x.wav", "1" * 64))
    assert cache_key(request("/tmp/a/x.wav", "1" * 64)) != cache_key(request("/tmp/a/x.wav", "2" * 64))
    plain = ProviderRequest("openai", "whisper-1", "transcribe", {"path": "/tmp/a/x.wav"})
    assert cache_key(plain) != cache_key(ProviderRequest("openai", "whisper-1", "transcribe", {"path": "/tmp/b/x.wav"}))


def test_logging_start_up_does_not_import_the_gateway() -> None:
    """Every process loads the redaction filter first thing; it must stay cheap (no pymongo, no HTTP)."""
    code = ("import sys, core.providers.redaction, core.providers as p; "
            "assert 'pymongo' not in sys.modules and 'core.providers.gateway' not in sys.modules; "
            "p.ProviderGateway; assert 'core.providers.gateway' in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[2])
