"""Request coalescing: concurrent callers with the same key share one computation."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Generic, TypeVar

T = TypeVar("T")


class SingleFlight(Generic[T]):
    """``do(key, fn)`` runs ``fn`` once for all callers that arrive while it is running."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._inflight: dict[str, Future[T]] = {}

    def do(self, key: str, fn: Callable[[], T]) -> tuple[T, bool]:
        """The result and whether this caller ran ``fn`` itself (False when it joined another)."""
        with self._lock:
            fut = self._inflight.get(key)
            leader = fut is None
            if fut is None:
                fut = Future()
                self._inflight[key] = fut
        if not leader:
            return fut.result(), False
        try:
            result = fn()
        except BaseException as exc:
            fut.set_exception(exc)
            raise
        else:
            fut.set_result(result)
            return result, True
        finally:
            with self._lock:
                self._inflight.pop(key, None)
