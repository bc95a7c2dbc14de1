"""Cache keys for provider calls, and the purge of expired cache entries.

A key is the SHA-256 of the canonical JSON of provider, model, operation and payload (sorted
keys, no spaces), so the same question gets the same key in every process and on every host.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

import structlog

from core.providers.base import ProviderRequest
from core.repositories import ApiCacheRepository
from core.timeutil import utc_now

log = structlog.get_logger(__name__)


def canonical_json(value: object) -> str:
    """JSON with sorted keys and no whitespace; raises TypeError for values JSON cannot hold."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


# A local file handed to a provider is identified by its content hash, not by where it lies
# (temp files of a re-run have other names): {path key: hash key}.
_CONTENT_HASHES = {"path": "audio_sha256", "image_path": "image_sha256"}


def cache_key(request: ProviderRequest) -> str:
    """The api_cache key of a request (its ids and estimate are not part of it; nor is a file's
    path when the payload carries the file's content hash)."""
    payload = {k: v for k, v in request.payload.items()
               if not (k in _CONTENT_HASHES and _CONTENT_HASHES[k] in request.payload)}
    body = {"provider": request.provider, "model": request.model, "operation": request.operation,
            "payload": payload}
    return hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


def purge_expired_cache(cache: ApiCacheRepository, now: datetime | None = None) -> int:
    """Delete cached responses that have expired; returns how many (a periodic task calls this)."""
    removed = cache.purge_expired(now or utc_now())
    log.info("api_cache_purged", removed=removed)
    return removed
