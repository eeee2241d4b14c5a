"""What a service or tool receives from the composition root: settings and the ports it uses.

Services and agent tools type their first argument as :class:`Ports` (or a narrower protocol of
their own) and never import ``shared.bootstrap``; the container built there satisfies these
protocols structurally, and a test may pass any object that does.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Protocol

from shared.bounded_cache import BoundedCache

if TYPE_CHECKING:
    from shared.adapters.keys.port import KeyManager
    from shared.adapters.objectstore.port import ObjectStore
    from shared.adapters.tasks.port import TaskQueue
    from shared.adapters.warehouse.port import Warehouse
    from shared.db.engine import Database
    from shared.settings import Settings


class WarehousePool:
    """The warehouse adapters of one instance, one per connection identity, at most ``max_size``.

    Each adapter holds its connection's state (a DuckDB snapshot and its catalog, a BigQuery
    client), so the pool is bounded: the least recently used adapter is dropped (a call still
    using it finishes; the next use builds a new one).
    """

    def __init__(self, max_size: int = 16) -> None:
        self._lock = threading.Lock()
        self._by_key: BoundedCache[str, Warehouse] = BoundedCache(max_size)

    def __len__(self) -> int:
        return len(self._by_key)

    @property
    def max_size(self) -> int:
        return self._by_key.max_size

    def get(self, key: str, build: Callable[[], Warehouse]) -> Warehouse:
        """The adapter for ``key``, built with ``build`` on first use (or after it was dropped)."""
        with self._lock:
            found = self._by_key.get(key)
            if found is None:
                found = build()
                self._by_key.put(key, found)
            return found

    def replace(self, key: str, warehouse: Warehouse) -> None:
        with self._lock:
            self._by_key.put(key, warehouse)

    def items(self) -> Iterator[tuple[str, Warehouse]]:
        with self._lock:
            return iter(self._by_key.items())


class Ports(Protocol):
    """The ports of one instance that services and tools use."""

    @property
    def settings(self) -> Settings: ...

    @property
    def db(self) -> Database: ...

    def store(self, kind: str) -> ObjectStore:
        """The object store of one bucket kind (dashboards, cache, sessions, secrets)."""
        ...

    @property
    def key_manager(self) -> KeyManager: ...

    @property
    def task_queue(self) -> TaskQueue: ...

    @property
    def warehouses(self) -> WarehousePool: ...
