"""Whose turn it is to write one SQLite file: the next writer starts as soon as the last one ends.

SQLite's own busy handler waits for the writer lock by sleeping 1, 2, 5 … 25, then 50 and 100 ms
between tries, so a writer that arrives during a 5 ms transaction may sleep 100 ms past its end
(task processes of ``make dev`` waited up to 230 ms that way). :class:`WriterTurn` queues the
writers first: this process's threads on a lock (woken at once), other processes on an advisory
``flock`` of a file beside the database, tried every 0.2 to 2 ms. SQLite's lock still guards the
file; a writer that does not take a turn (a migration) is only waited for by SQLite as before.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from shared.errors import BridgeError, Unavailable

POLL_S = (0.0002, 0.002)  # first and longest wait between tries of the lock file


class WriterTurn:
    """Write transactions on one SQLite file, one at a time across threads and processes."""

    def __init__(self, database: Path | None, timeout_s: float) -> None:
        self.path = None if database is None else database.with_name(database.name + "-writer.lock")
        self.timeout_s = timeout_s
        self._threads = threading.Lock()
        self._holder: int | None = None  # the thread holding the turn
        self._fd: int | None = None
        self._pid = 0

    @contextmanager
    def held(self) -> Iterator[None]:
        """Wait for this writer's turn (at most ``timeout_s``), hold it for the block.

        A thread asking again inside its own turn would wait for itself: it fails at once.
        """
        if self._holder == threading.get_ident():
            raise BridgeError(
                "a write transaction was opened inside another on the same thread; on SQLite it "
                "would wait for its own lock. Pass the open session down instead."
            )
        deadline = time.monotonic() + self.timeout_s
        if not self._threads.acquire(timeout=self.timeout_s):
            raise self._busy()
        self._holder = threading.get_ident()
        try:
            fd = self._file_lock(deadline)
            try:
                yield
            finally:
                if fd is not None:
                    fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            self._holder = None
            self._threads.release()

    def close(self) -> None:
        """Close the lock file (the engine was disposed); the next turn opens it again."""
        with self._threads:
            if self._fd is not None and self._pid == os.getpid():
                os.close(self._fd)
            self._fd = None

    def _file_lock(self, deadline: float) -> int | None:
        if self.path is None:
            return None
        if self._fd is None or self._pid != os.getpid():  # a forked child opens its own
            self._fd, self._pid = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600), os.getpid()
        wait = POLL_S[0]
        while True:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return self._fd
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise self._busy() from None
                time.sleep(wait)
                wait = min(wait * 2, POLL_S[1])

    def _busy(self) -> Unavailable:
        return Unavailable(f"the local database stayed busy for {self.timeout_s:g} s; try again")
