"""One warehouse port call on DuckDB: a cursor whose statements all share one deadline.

The cursor is interrupted when the deadline passes (``interrupt()`` stops planning, binding and
execution alike), and no statement starts after it: dry runs, partition estimates, catalog reads
and the query itself all count against the same time. One watchdog thread per process keeps every
call's deadline (a call starts no thread of its own).
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import duckdb

from shared.errors import Timeout


class _Watchdog:
    """Calls each registered action once its monotonic deadline passes, unless cancelled first."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int]] = []
        self._actions: dict[int, Callable[[], None]] = {}
        self._ids = itertools.count()
        self._thread: threading.Thread | None = None

    def add(self, deadline: float, action: Callable[[], None]) -> int:
        with self._cond:
            ticket = next(self._ids)
            self._actions[ticket] = action
            heapq.heappush(self._heap, (deadline, ticket))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="bridge-duckdb-deadlines", daemon=True)
                self._thread.start()
            elif self._heap[0][1] == ticket:
                self._cond.notify()  # a new earliest deadline
            return ticket

    def cancel(self, ticket: int) -> None:
        with self._cond:
            self._actions.pop(ticket, None)

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._heap and self._heap[0][1] not in self._actions:
                    heapq.heappop(self._heap)  # cancelled
                if not self._heap:
                    self._cond.wait()
                    continue
                deadline, ticket = self._heap[0]
                left = deadline - time.monotonic()
                if left > 0:
                    self._cond.wait(left)
                    continue
                heapq.heappop(self._heap)
                action = self._actions.pop(ticket)
            with contextlib.suppress(duckdb.Error):  # a cursor closed meanwhile: nothing to stop
                action()


_WATCHDOG = _Watchdog()


class DeadlineCall:
    """A cursor and the deadline of the port call it serves."""

    def __init__(self, cursor: duckdb.DuckDBPyConnection, timeout_s: float) -> None:
        self.cursor = cursor
        self.timeout_s = timeout_s
        self.reusable = True  # False once the cursor holds a result not read to its end
        self._end = time.monotonic() + timeout_s
        self._ticket = _WATCHDOG.add(self._end, cursor.interrupt)

    def timeout(self) -> Timeout:
        return Timeout(f"The warehouse call exceeded the time limit of {self.timeout_s:g} s")

    @contextmanager
    def interruptible(self) -> Iterator[None]:
        """Run a block of cursor work; a deadline interrupt inside it becomes :class:`Timeout`."""
        if time.monotonic() >= self._end:
            raise self.timeout()
        try:
            yield
        except duckdb.InterruptException:
            raise self.timeout() from None

    def run(self, sql: str, params: dict[str, Any] | list[Any] | None = None) -> duckdb.DuckDBPyConnection:
        with self.interruptible():
            return self.cursor.execute(sql, params) if params else self.cursor.execute(sql)

    def release(self) -> bool:
        """End the call, leaving the cursor open; True when the deadline cannot have interrupted it
        (the cursor may then serve another call)."""
        _WATCHDOG.cancel(self._ticket)
        return time.monotonic() < self._end  # the watchdog takes an action only once it is due

    def close(self) -> None:
        self.release()
        self.cursor.close()
