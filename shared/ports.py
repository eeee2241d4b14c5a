"""What a service or tool receives from the composition root: settings and the ports it uses.

Services and agent tools type their first argument as :class:`Ports` (or a narrower protocol of
their own) and never import ``shared.bootstrap``; the container built there satisfies these
protocols structurally, and a test may pass any object that does.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from shared.adapters.keys.port import KeyManager
    from shared.adapters.objectstore.port import ObjectStore
    from shared.adapters.tasks.port import TaskQueue
    from shared.adapters.warehouse.port import Warehouse
    from shared.db.engine import Database
    from shared.settings import Settings


class WarehousePool:
    """The warehouse adapters of one instance, one per connection identity (created once each)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_key: dict[str, Warehouse] = {}

    def get(self, key: str, build: Callable[[], Warehouse]) -> Warehouse:
        """The adapter for ``key``, built with ``build`` on first use."""
        with self._lock:
            if key not in self._by_key:
                self._by_key[key] = build()
            return self._by_key[key]

    def replace(self, key: str, warehouse: Warehouse) -> None:
        with self._lock:
            self._by_key[key] = warehouse

    def items(self) -> Iterator[tuple[str, Warehouse]]:
        with self._lock:
            return iter(list(self._by_key.items()))


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
