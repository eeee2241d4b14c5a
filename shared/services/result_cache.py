"""Cached query results: an in-process LRU in front of gzip JSON objects in the cache bucket.

Both tiers are bounded by bytes; the store keeps one generation per object (the cache bucket is
not versioned).

Keys are derived from team + connection + compiled SQL + parameter values + data version, and
objects live under the team's prefix, so one team's results can never answer another's request.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
from dataclasses import asdict, dataclass
from typing import Any

from shared.adapters.objectstore.port import ObjectStore
from shared.adapters.warehouse.port import QueryParam
from shared.bounded_cache import BoundedCache
from shared.errors import BridgeError, NotFound

log = logging.getLogger("bridge.result_cache")
MB = 1_000_000


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
    """Two tiers: a per-instance LRU in memory, then the object store shared by all instances.

    Both are bounded by bytes (a result's size is its JSON text): ``memory_bytes`` of results in
    memory, and ``store_bytes`` of the objects this instance wrote, the oldest of which it deletes
    once over the bound. (GCS also expires cache objects by age; see terraform/storage.tf.)
    """

    def __init__(
        self, store: ObjectStore, *, memory_bytes: int = 256 * MB, store_bytes: int = 1024 * MB
    ) -> None:
        self._store = store
        self._memory: BoundedCache[str, tuple[CachedResult, int]] = BoundedCache(
            memory_bytes, sizeof=lambda entry: entry[1]
        )
        self._written: BoundedCache[str, int] = BoundedCache(
            store_bytes, sizeof=lambda size: size, on_evict=self._delete_object
        )

    @staticmethod
    def _path(team_id: str, key: str) -> str:
        return f"{team_id}/{key}.json.gz"

    @property
    def memory_bytes(self) -> int:
        """Bytes of results held in memory (their JSON size)."""
        return self._memory.size

    @property
    def store_bytes(self) -> int:
        """Bytes of the cache objects this instance wrote that still exist (compressed)."""
        return self._written.size

    def get(self, team_id: str, key: str) -> CachedResult | None:
        path = self._path(team_id, key)
        hit = self._memory.get(path)
        if hit is not None:
            return hit[0]
        try:
            obj = self._store.get(path)
        except NotFound:
            return None
        try:
            raw = gzip.decompress(obj.data)
            result = CachedResult(**json.loads(raw))
        except (ValueError, TypeError, OSError):
            return None  # a corrupt entry is a miss, and the next write replaces it
        if result.team_id != team_id or result.key != key:
            return None
        self._memory.put(path, (result, len(raw)))
        return result

    def put(self, result: CachedResult) -> None:
        path = self._path(result.team_id, result.key)
        raw = json.dumps(asdict(result), separators=(",", ":")).encode()
        self._memory.put(path, (result, len(raw)))
        data = gzip.compress(raw, compresslevel=5)
        self._store.put(path, data, content_type="application/json")
        if not self._written.put(path, len(data)):
            self._delete_object(path, len(data))  # larger than the whole bound: not kept

    def forget_local(self) -> None:
        self._memory.clear()

    def _delete_object(self, path: str, _size: int) -> None:
        try:
            self._store.delete(path)
        except BridgeError as err:  # another instance's write may be live there; it expires by age
            log.info("cache object delete failed: %s", err.code)
