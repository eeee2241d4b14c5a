"""The one bounded cache type: a thread-safe LRU map bounded by entries or by bytes.

Built on ``cachetools.LRUCache``; ``sizeof`` turns the bound into bytes (the cache holds at most
``max_size`` bytes by that measure, and refuses a single value larger than the whole bound).
``on_evict`` hears about every entry pushed out by the bound (not about ``pop``/``clear``), after
the cache's lock is released, so it may do I/O.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterator
from typing import Generic, TypeVar

from cachetools import Cache, LRUCache

__all__ = ["BoundedCache"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class _Lru(LRUCache[K, V]):
    def __init__(self, maxsize: int, getsizeof: Callable[[V], int] | None) -> None:
        super().__init__(maxsize, getsizeof)
        self.evicted: list[tuple[K, V]] = []

    def popitem(self) -> tuple[K, V]:  # cachetools evicts through popitem
        item = super().popitem()
        self.evicted.append(item)
        return item


class BoundedCache(Generic[K, V]):
    """An LRU map of at most ``max_size`` entries, or bytes when ``sizeof`` is given."""

    def __init__(
        self,
        max_size: int,
        *,
        sizeof: Callable[[V], int] | None = None,
        on_evict: Callable[[K, V], None] | None = None,
    ) -> None:
        self._sizeof, self._on_evict = sizeof, on_evict
        self._data: _Lru[K, V] = _Lru(max_size, sizeof)
        self._lock = threading.Lock()

    @property
    def max_size(self) -> int:
        return int(self._data.maxsize)

    @property
    def size(self) -> int:
        """Entries held, or bytes when the cache has a ``sizeof``."""
        return int(self._data.currsize)

    def get(self, key: K) -> V | None:
        """The value (now the most recently used), or None."""
        with self._lock:
            return self._data.get(key)

    def put(self, key: K, value: V) -> bool:
        """Remember ``value``, evicting the least recently used; False if it alone is over the bound."""
        with self._lock:
            try:
                self._data[key] = value
                stored = True
            except ValueError:  # cachetools: "value too large"
                self._data.pop(key, None)
                stored = False
            evicted, self._data.evicted = self._data.evicted, []
        if self._on_evict is not None:
            for old_key, old_value in evicted:
                self._on_evict(old_key, old_value)
        return stored

    def pop(self, key: K) -> V | None:
        with self._lock:
            return self._data.pop(key, None)

    def pop_where(self, predicate: Callable[[K], bool]) -> int:
        """Forget every entry whose key matches; returns how many."""
        with self._lock:
            keys = [key for key in self._data if predicate(key)]
            for key in keys:
                del self._data[key]
            return len(keys)

    def clear(self) -> None:
        with self._lock:
            self._data = _Lru(int(self._data.maxsize), self._sizeof)

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._data

    def keys(self) -> Iterator[K]:
        """A snapshot of the keys (in insertion order)."""
        with self._lock:
            return iter(list(self._data))

    def items(self) -> list[tuple[K, V]]:
        """A snapshot of the entries (in insertion order), leaving their recency as it is."""
        with self._lock:  # Cache.__getitem__: LRUCache's own would mark each entry used
            return [(key, Cache.__getitem__(self._data, key)) for key in self._data]
