"""The one bounded cache type: LRU by entries or bytes, eviction heard outside the lock."""

from __future__ import annotations

import threading

from shared.bounded_cache import BoundedCache


def test_bounded_by_entries_least_recently_used_goes_first() -> None:
    cache: BoundedCache[str, int] = BoundedCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # a is now the most recently used
    cache.put("c", 3)
    assert "b" not in cache and cache.get("a") == 1 and cache.get("c") == 3
    assert len(cache) == cache.size == 2


def test_bounded_by_bytes_and_a_value_over_the_bound_is_refused() -> None:
    evicted: list[str] = []
    cache: BoundedCache[str, bytes] = BoundedCache(
        100, sizeof=len, on_evict=lambda key, value: evicted.append(key)
    )
    for index in range(10):
        assert cache.put(f"k{index}", b"x" * 30)
        assert cache.size <= 100
    assert cache.size == 90 and len(cache) == 3
    assert evicted == [f"k{index}" for index in range(7)]
    cache.put("k9", b"x" * 10)  # replacing a value re-measures it
    assert cache.size == 70
    assert cache.put("huge", b"x" * 101) is False and "huge" not in cache
    assert cache.size == 70


def test_eviction_callback_runs_outside_the_lock() -> None:
    seen: list[str] = []
    cache: BoundedCache[str, int] = BoundedCache(1)

    def on_evict(key: str, value: int) -> None:
        done = threading.Event()
        threading.Thread(target=lambda: (cache.get("x"), done.set())).start()
        assert done.wait(2), "the cache stayed locked during the callback"
        seen.append(key)

    cache = BoundedCache(1, on_evict=on_evict)
    cache.put("a", 1)
    cache.put("b", 2)
    assert seen == ["a"]


def test_pop_where_and_clear_forget_without_eviction_callbacks() -> None:
    evicted: list[tuple[str, str]] = []
    cache: BoundedCache[tuple[str, str], int] = BoundedCache(10, on_evict=lambda k, v: evicted.append(k))
    for team in ("t1", "t2"):
        for slug in ("a", "b"):
            cache.put((team, slug), 1)
    assert cache.pop_where(lambda key: key[0] == "t1") == 2
    assert sorted(cache.keys()) == [("t2", "a"), ("t2", "b")]
    assert cache.pop(("t2", "a")) == 1 and cache.pop(("t2", "a")) is None
    cache.clear()
    assert len(cache) == 0 and cache.size == 0 and evicted == []
