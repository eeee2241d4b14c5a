"""How many SSE streams one instance holds open at once, so streams never take every server thread.

functions-framework serves a function with gunicorn's threaded worker: ``THREADS`` threads
(default four per CPU), one per request in flight. A stream holds its thread for up to a
minute, so without a bound a handful of viewers would leave every other request queued.
Streams take a slot here (threads minus ``RESERVED``); a stream that finds none sends what is
committed and ends at once, and the browser's EventSource reconnects with ``Last-Event-ID``
after the ``retry`` delay, a short poll instead of a held thread.
"""

from __future__ import annotations

import os
import threading

RESERVED = 1  # threads no stream may take: other requests are always answered


def server_threads() -> int:
    """The thread count functions-framework gives gunicorn (``THREADS``, else four per CPU)."""
    try:
        return max(1, int(os.environ.get("THREADS", "")))
    except ValueError:
        return (os.cpu_count() or 1) * 4


class StreamSlots:
    """A non-blocking counter of open streams."""

    def __init__(self, size: int) -> None:
        self.size = max(1, size)
        self._lock = threading.Lock()
        self._open = 0

    def acquire(self) -> bool:
        with self._lock:
            if self._open >= self.size:
                return False
            self._open += 1
            return True

    def release(self) -> None:
        with self._lock:
            self._open = max(0, self._open - 1)


_slots: StreamSlots | None = None
_slots_lock = threading.Lock()


def stream_slots() -> StreamSlots:
    """This instance's slots, sized once from its server threads."""
    global _slots
    with _slots_lock:
        if _slots is None:
            _slots = StreamSlots(server_threads() - RESERVED)
        return _slots
