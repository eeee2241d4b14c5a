"""Writes behind the caller: per-path order, coalescing, the byte bound, flush, and the result
cache on top (its objects written without fsync, recovered from damage)."""

from __future__ import annotations

import gzip
import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from shared.adapters.objectstore.local import LocalObjectStore
from shared.errors import Unavailable
from shared.services import write_behind
from shared.services.result_cache import CachedResult, ResultCache
from shared.services.write_behind import WriteBehind


class Gate:
    """A write function that blocks until released and records what it wrote."""

    def __init__(self) -> None:
        self.open = threading.Event()
        self.started = threading.Event()
        self.written: list[tuple[str, bytes, str]] = []

    def __call__(self, path: str, value: bytes) -> None:
        self.started.set()
        assert self.open.wait(10)
        self.written.append((path, value, threading.current_thread().name))


def test_submit_returns_before_the_write_and_flush_waits_for_it() -> None:
    gate = Gate()
    queue: WriteBehind[bytes] = WriteBehind(gate, sizeof=len, max_bytes=1000, name="writer-under-test")
    queue.submit("a", b"1")
    assert gate.started.wait(5) and gate.written == []
    assert queue.peek("a") == b"1"  # visible while it is written
    assert not queue.flush(0.05)
    gate.open.set()
    assert queue.flush(5)
    assert gate.written == [("a", b"1", "writer-under-test")] and queue.peek("a") is None
    assert queue.pending_bytes == 0


def test_a_newer_value_replaces_a_waiting_one_and_never_lands_before_an_older_one() -> None:
    gate = Gate()
    queue: WriteBehind[bytes] = WriteBehind(gate, sizeof=len, max_bytes=1000)
    queue.submit("a", b"first")
    assert gate.started.wait(5)  # "first" is being written
    queue.submit("b", b"other")
    queue.submit("a", b"second")
    queue.submit("a", b"third")  # replaces "second", still waiting
    gate.open.set()
    assert queue.flush(5)
    assert [(p, v) for p, v, _ in gate.written] == [("a", b"first"), ("b", b"other"), ("a", b"third")]


def test_over_the_byte_bound_the_caller_writes_itself() -> None:
    gate = Gate()
    queue: WriteBehind[bytes] = WriteBehind(gate, sizeof=len, max_bytes=10)
    queue.submit("a", b"12345678")
    assert gate.started.wait(5)
    done = threading.Event()

    def submit_big() -> None:
        queue.submit("b", b"123456")  # 8 + 6 > 10: written in this thread
        done.set()

    caller = threading.Thread(target=submit_big, name="the-caller")
    caller.start()
    time.sleep(0.05)
    assert not done.is_set()  # the caller waits on its own write: back pressure
    gate.open.set()
    caller.join(5)
    assert queue.flush(5)
    assert ("b", b"123456", "the-caller") in gate.written


def test_a_failed_write_is_logged_and_the_queue_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    written: list[str] = []

    def write(path: str, value: bytes) -> None:
        if path == "bad":
            raise Unavailable("bucket down")
        written.append(path)

    queue: WriteBehind[bytes] = WriteBehind(write, sizeof=len, max_bytes=100)
    queue.submit("bad", b"x")
    queue.submit("good", b"y")
    assert queue.flush(5)
    assert written == ["good"] and "bucket down" not in caplog.text and "unavailable" in caplog.text


def test_the_writer_thread_exits_when_idle_and_starts_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(write_behind, "IDLE_EXIT_S", 0.05)
    written: list[str] = []
    queue: WriteBehind[bytes] = WriteBehind(lambda p, v: written.append(p), sizeof=len, max_bytes=100)
    queue.submit("a", b"1")
    assert queue.flush(5)
    deadline = time.monotonic() + 5
    while queue._thread is not None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert queue._thread is None
    queue.submit("b", b"2")
    assert queue.flush(5) and written == ["a", "b"]


# -- the result cache on a store written without fsync ------------------------------------------


def _result(key: str, value: int) -> CachedResult:
    return CachedResult(
        team_id="team",
        key=key,
        columns=[{"name": "x", "type": "INT64"}],
        values=[[value] * 100],
        row_count=100,
        truncated=False,
        bytes_processed=1,
        cached_at=float(value),
        expires_at=float(value + 60),
    )


def _store(root: Path) -> LocalObjectStore:
    return LocalObjectStore(root, bucket="cache", versioned=False, durable=False)


def test_cache_objects_are_written_without_fsync_and_read_by_another_instance(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    syncs: list[int] = []
    fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: syncs.append(fd) or fsync(fd))
    cache = ResultCache(_store(tmp_path))
    cache.put(_result("k", 7))
    assert cache.flush()
    assert syncs == []
    durable = LocalObjectStore(tmp_path / "dashboards")
    durable.put("team/a.yaml", b"v1")
    assert len(syncs) == 3  # data, metadata, pointer: durability where it matters
    other = ResultCache(_store(tmp_path))
    got = other.get("team", "k")
    assert got is not None and got.values == [[7] * 100]


@pytest.mark.parametrize("damage", ["pointer", "metadata", "data"])
def test_a_cache_object_a_crash_damaged_is_a_miss_and_the_next_write_replaces_it(
    tmp_path: Path, damage: str
) -> None:
    cache = ResultCache(_store(tmp_path))
    cache.put(_result("k", 1))
    assert cache.flush()
    folder = next(tmp_path.rglob("k.json.gz@o"))
    target = {
        "pointer": folder / "pointer",
        "metadata": next(folder.glob("gens/*.json")),
        "data": next(folder.glob("gens/*.data")),
    }[damage]
    target.write_bytes(target.read_bytes()[: len(target.read_bytes()) // 2])  # a torn, unsynced file
    cold = ResultCache(_store(tmp_path))
    assert cold.get("team", "k") is None
    cold.put(_result("k", 2))
    assert cold.flush()
    fresh = ResultCache(_store(tmp_path)).get("team", "k")
    assert fresh is not None and fresh.cached_at == 2.0
    assert gzip.decompress(_store(tmp_path).get("team/k.json.gz").data)


def test_a_durable_store_does_not_hide_a_damaged_pointer(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path)
    store.put("team/a.yaml", b"v1")
    pointer = next(tmp_path.rglob("pointer"))
    pointer.write_bytes(b'{"live": 1')
    with pytest.raises(ValueError):
        store.get("team/a.yaml")


def test_a_result_pushed_out_of_memory_is_still_served_while_its_write_waits(tmp_path: Path) -> None:
    store = _store(tmp_path)
    gate = threading.Event()
    real_put = store.put

    def slow_put(*args: Any, **kwargs: Any) -> Any:
        assert gate.wait(10)
        return real_put(*args, **kwargs)

    store.put = slow_put  # type: ignore[method-assign]
    cache = ResultCache(store, memory_bytes=1)  # nothing fits in memory
    cache.put(_result("k", 3))
    got = cache.get("team", "k")
    assert got is not None and got.cached_at == 3.0
    gate.set()
    assert cache.flush()
    del store.put
    assert ResultCache(_store(tmp_path)).get("team", "k") is not None
