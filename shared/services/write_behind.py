"""Writes done behind the caller: a per-path queue drained by one background thread.

The result cache hands its object writes here so a response never waits for gzip and the bucket.
A newer write of a path replaces an older one still waiting; writes of one path never reorder.
The queue is bounded by bytes: over the bound, ``submit`` writes in the caller's thread (back
pressure instead of unbounded memory). The thread exits when idle and starts again on the next
write. Writes still queued when the process dies are lost, which a cache can afford (the next
miss computes the result again); :meth:`flush` waits for the queue to empty.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from shared.errors import BridgeError

log = logging.getLogger("bridge.write_behind")

V = TypeVar("V")
IDLE_EXIT_S = 5.0


class WriteBehind(Generic[V]):
    """Queued ``write(path, value)`` calls, each value of ``sizeof(value)`` bytes."""

    def __init__(
        self,
        write: Callable[[str, V], None],
        *,
        sizeof: Callable[[V], int],
        max_bytes: int,
        name: str = "bridge-write-behind",
    ) -> None:
        self._write, self._sizeof, self._max_bytes, self._name = write, sizeof, max_bytes, name
        self._cond = threading.Condition()
        self._pending: dict[str, V] = {}  # oldest first; a value stays here until it is written
        self._bytes = 0
        self._busy = False  # a write taken from the queue is running
        self._thread: threading.Thread | None = None

    @property
    def pending_bytes(self) -> int:
        return self._bytes

    def peek(self, path: str) -> V | None:
        """The value queued (or being written) for ``path``, if any."""
        with self._cond:
            return self._pending.get(path)

    def submit(self, path: str, value: V) -> None:
        """Queue ``value`` for ``path``; written in the caller's thread when the queue is full
        (and then a store error reaches the caller)."""
        size = self._sizeof(value)
        with self._cond:
            queued = self._pending.pop(path, None)
            if queued is not None:
                self._bytes -= self._sizeof(queued)
            if self._pending and self._bytes + size > self._max_bytes:
                inline = True
            else:
                inline = False
                self._pending[path] = value
                self._bytes += size
                if self._thread is None:
                    self._thread = threading.Thread(target=self._drain, name=self._name, daemon=True)
                    self._thread.start()
                self._cond.notify_all()
        if inline:
            self._write(path, value)

    def flush(self, timeout_s: float = 30.0) -> bool:
        """Wait until every queued write is done; False if ``timeout_s`` passed first."""
        end = time.monotonic() + timeout_s
        with self._cond:
            while self._pending or self._busy:
                left = end - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
        return True

    def _drain(self) -> None:
        while True:
            with self._cond:
                while not self._pending:
                    if not self._cond.wait(IDLE_EXIT_S) and not self._pending:
                        self._thread = None
                        return
                path, value = next(iter(self._pending.items()))
                self._busy = True
            try:
                self._write(path, value)
            except BridgeError as err:  # the result was served; only sharing it failed
                log.warning("write of %s failed (%s); it is not shared", path, err.code)
            except Exception:
                log.exception("write of %s failed", path)
            finally:
                with self._cond:
                    if self._pending.get(path) is value:  # not replaced by a newer write meanwhile
                        del self._pending[path]
                        self._bytes -= self._sizeof(value)
                    self._busy = False
                    self._cond.notify_all()
