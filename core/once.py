"""Build an expensive object (a model, an engine) on first use and keep it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Once(Generic[T]):
    """Calls `factory` on the first `get()` and returns the same object afterwards.

    Stages own one each, so a worker process loads its models once; a factory that
    raises (ModelError) is tried again on the next job.
    """

    def __init__(self, factory: Callable[[], T]) -> None:
        self._factory = factory
        self._value: T | None = None

    def get(self) -> T:
        if self._value is None:
            self._value = self._factory()
        return self._value
