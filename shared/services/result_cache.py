"""Cached query results: an in-process LRU in front of gzip JSON objects in the cache bucket.

Keys are derived from team + connection + compiled SQL + parameter values + data version, and
objects live under the team's prefix, so one team's results can never answer another's request.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import asdict, dataclass
from typing import Any

from shared.adapters.objectstore.port import ObjectStore
from shared.adapters.warehouse.port import QueryParam
from shared.errors import NotFound


@dataclass(frozen=True)
class CachedResult:
    team_id: str
    key: str
    columns: list[dict[str, str]]
    values: list[list[Any]]  # columnar: values[i] is column i
    row_count: int
    truncated: bool
    bytes_processed: int
    cached_at: float
    expires_at: float


def cache_key(
    team_id: str, connection_id: str, sql: str, params: tuple[QueryParam, ...], data_version: str | None
) -> str:
    material = json.dumps(
        {
            "team": team_id,
            "connection": connection_id,
            "sql": sql,
            "params": sorted((p.name, p.type, str(p.value)) for p in params),
            "data_version": data_version,
        },
        sort_keys=True,
    )
    return hashlib.sha256(material.encode()).hexdigest()


class ResultCache:
    """Two tiers: a bounded per-instance LRU, then the object store shared by all instances."""

    def __init__(self, store: ObjectStore, *, max_entries: int = 512) -> None:
        self._store = store
        self._lru: OrderedDict[str, CachedResult] = OrderedDict()
        self._max = max_entries
        self._lock = threading.Lock()

    @staticmethod
    def _path(team_id: str, key: str) -> str:
        return f"{team_id}/{key}.json.gz"

    def get(self, team_id: str, key: str) -> CachedResult | None:
        lru_key = f"{team_id}/{key}"
        with self._lock:
            hit = self._lru.get(lru_key)
            if hit is not None:
                self._lru.move_to_end(lru_key)
                return hit
        try:
            obj = self._store.get(self._path(team_id, key))
        except NotFound:
            return None
        try:
            result = CachedResult(**json.loads(gzip.decompress(obj.data)))
        except (ValueError, TypeError, OSError):
            return None  # a corrupt entry is a miss, and the next write replaces it
        if result.team_id != team_id or result.key != key:
            return None
        self._remember(lru_key, result)
        return result

    def put(self, result: CachedResult) -> None:
        self._remember(f"{result.team_id}/{result.key}", result)
        data = gzip.compress(json.dumps(asdict(result), separators=(",", ":")).encode(), compresslevel=5)
        self._store.put(self._path(result.team_id, result.key), data, content_type="application/json")

    def forget_local(self) -> None:
        with self._lock:
            self._lru.clear()

    def _remember(self, lru_key: str, result: CachedResult) -> None:
        with self._lock:
            self._lru[lru_key] = result
            self._lru.move_to_end(lru_key)
            while len(self._lru) > self._max:
                self._lru.popitem(last=False)
