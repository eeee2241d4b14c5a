"""Data versions (the result cache key's part that changes with the warehouse), shared by instances.

A version is asked of the warehouse at most every ``DATA_VERSION_TTL_S`` seconds per (connection,
tables) on an instance, and what it answered is written to the cache bucket with the time it was
asked (``versions/{team_id}/{hash}.json``). An instance without a fresh version of its own (a cold
one) reads that record and trusts it for the rest of the same window, so a cache hit there needs
neither the warehouse client nor the connection's credentials; only a record older than the
window, or none, sends it to the warehouse. A warehouse change is seen within the window, as on
one instance before.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from shared.adapters.objectstore.port import ObjectStore
from shared.bounded_cache import BoundedCache
from shared.errors import BridgeError, NotFound
from shared.ports import Ports

if TYPE_CHECKING:
    from shared.db.models import Connection

__all__ = ["DATA_VERSION_TTL_S", "DataVersions", "fresh_record", "record_path"]

log = logging.getLogger("bridge.serving")
DATA_VERSION_TTL_S = 30.0


def record_path(team_id: str, connection_id: str, tables: tuple[str, ...]) -> str:
    """Where the shared record of one (connection, sorted tables) lives in the cache bucket."""
    digest = hashlib.sha256(json.dumps([connection_id, list(tables)]).encode()).hexdigest()[:32]
    return f"versions/{team_id}/{digest}.json"


class DataVersions:
    """The data version of a connection's tables: this instance's, else the shared record, else asked."""

    def __init__(self, c: Ports, store: ObjectStore, *, wall: Callable[[], float] = time.time) -> None:
        self.c, self._store, self._wall = c, store, wall
        self._memo: BoundedCache[tuple[str, tuple[str, ...]], tuple[float, str | None]] = BoundedCache(4096)
        self.warehouse_asks = 0  # observable by tests

    def get(self, conn: Connection, tables: tuple[str, ...]) -> str | None:
        key = (conn.id, tuple(sorted(tables)))
        now = time.monotonic()
        hit = self._memo.get(key)
        if hit is not None and now - hit[0] < DATA_VERSION_TTL_S:
            return hit[1]
        path = record_path(conn.team_id, *key)
        shared = fresh_record(self._store, path, key, self._wall())
        if shared is not None:
            age, version = shared
            self._memo.put(key, (now - age, version))
            return version
        from shared.services.connections import open_warehouse

        self.warehouse_asks += 1
        version = open_warehouse(self.c, conn).data_version(key[1])
        self._memo.put(key, (now, version))
        record = {
            "connection": key[0],
            "tables": list(key[1]),
            "version": version,
            "checked_at": self._wall(),
        }
        try:
            self._store.put(path, json.dumps(record).encode(), content_type="application/json")
        except BridgeError as err:  # only sharing it failed; this instance still knows it
            log.info("data version record write failed: %s", err.code)
        return version


def fresh_record(
    store: ObjectStore, path: str, key: tuple[str, tuple[str, ...]], wall_now: float
) -> tuple[float, str | None] | None:
    """(age in seconds, version) of a fresh shared record for ``key``; None when there is none."""
    try:
        record = json.loads(store.get(path).data)
        if record["connection"] != key[0] or tuple(record["tables"]) != key[1]:
            return None
        age = wall_now - float(record["checked_at"])
        version = record["version"]
    except NotFound:
        return None
    except BridgeError as err:
        log.info("data version record read failed: %s", err.code)
        return None
    except (ValueError, TypeError, KeyError):
        return None  # a corrupt record is no record; the next ask rewrites it
    if not 0 <= age < DATA_VERSION_TTL_S or not (version is None or isinstance(version, str)):
        return None
    return age, version
