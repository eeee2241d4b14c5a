"""One warehouse port call on DuckDB: a cursor whose statements all share one deadline.

A timer interrupts the cursor when the deadline passes (``interrupt()`` stops planning, binding
and execution alike), and no statement starts after it: dry runs, partition estimates, catalog
reads and the query itself all count against the same time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import duckdb

from shared.errors import Timeout


class DeadlineCall:
    """A cursor and the deadline of the port call it serves."""

    def __init__(self, cursor: duckdb.DuckDBPyConnection, timeout_s: float) -> None:
        self.cursor = cursor
        self.timeout_s = timeout_s
        self._end = time.monotonic() + timeout_s
        self._timer = threading.Timer(timeout_s, cursor.interrupt)
        self._timer.daemon = True
        self._timer.start()

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

    def close(self) -> None:
        self._timer.cancel()
        self.cursor.close()
