"""Load a model through the models manager once per worker process, and remember a failure."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

import structlog

from core.errors import ModelError
from core.modelstore.store import ModelStore

log = structlog.get_logger(__name__)

T = TypeVar("T")

RETRY_AFTER_S = 60.0


class ModelLoader(Generic[T]):
    """Calls `build(store)` on the first `get()` and returns the same object afterwards.

    Stages own one each, so a worker loads each model once. A load that fails with a
    `ModelError` is logged once and remembered for `RETRY_AFTER_S`: the videos of a batch
    then fail that stage at once with the same message instead of each retrying the load;
    after that the load is tried again (the operator may have installed the model meanwhile).
    """

    def __init__(self, build: Callable[[ModelStore], T], retry_after_s: float = RETRY_AFTER_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._build = build
        self._retry_after_s = retry_after_s
        self._clock = clock
        self._value: T | None = None
        self._failure: tuple[ModelError, float] | None = None

    def get(self, data_dir: Path) -> T:
        if self._value is not None:
            return self._value
        if self._failure is not None:
            error, at = self._failure
            if self._clock() - at < self._retry_after_s:
                raise error
        try:
            self._value = self._build(ModelStore(data_dir))
        except ModelError as exc:
            self._failure = (exc, self._clock())
            log.error("model_unavailable", model=exc.model, error=str(exc))
            raise
        self._failure = None
        return self._value
