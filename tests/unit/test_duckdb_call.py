"""The deadline of a DuckDB port call: one watchdog thread for every call, cancelled on close."""

from __future__ import annotations

import threading
import time

import duckdb
import pytest

from shared.adapters.warehouse.duckdb_call import DeadlineCall, _Watchdog
from shared.errors import Timeout


def test_deadlines_fire_in_order_and_cancelled_ones_never() -> None:
    dog = _Watchdog()
    fired: list[str] = []
    last = threading.Event()
    now = time.monotonic()
    dog.add(now + 0.30, lambda: (fired.append("late"), last.set()))
    cancelled = dog.add(now + 0.10, lambda: fired.append("cancelled"))
    dog.add(now + 0.20, lambda: fired.append("middle"))
    dog.add(now + 0.05, lambda: fired.append("early"))  # a new earliest deadline wakes the thread
    dog.cancel(cancelled)
    assert last.wait(10)
    assert fired == ["early", "middle", "late"]


def test_calls_share_one_watchdog_thread_and_a_deadline_still_interrupts() -> None:
    conn = duckdb.connect()
    DeadlineCall(conn.cursor(), 60).close()  # the process's watchdog is running
    before = threading.active_count()
    calls = [DeadlineCall(conn.cursor(), 60) for _ in range(20)]
    assert threading.active_count() == before  # no thread per call
    for call in calls:
        call.close()
    slow = DeadlineCall(conn.cursor(), 0.2)
    with pytest.raises(Timeout):
        slow.run("SELECT COUNT(*) FROM range(100000000) a, range(100000000) b WHERE a.range * b.range = -1")
    slow.close()
    fine = DeadlineCall(conn.cursor(), 60)
    assert fine.run("SELECT 1").fetchall() == [(1,)]
    fine.close()
