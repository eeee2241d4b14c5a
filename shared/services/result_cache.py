"""Cached query results: an in-process LRU in front of gzip JSON objects in the cache bucket.

Both tiers are bounded by bytes; the store keeps one generation per object (the cache bucket is
not versioned). Writes to the store happen behind the response (:mod:`shared.services.write_behind`):
a result is in memory, and answers this instance, before its object is written.

Keys are derived from team + connection + compiled SQL + parameter values + data version, and
objects live under the team's prefix, so one team's results can never answer another's request.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import zlib
from dataclasses import dataclass
from typing import Any

from shared.adapters.objectstore.port import ObjectStore
from shared.adapters.warehouse.port import QueryParam
from shared.bounded_cache import BoundedCache
from shared.errors import BridgeError, NotFound
from shared.services.write_behind import WriteBehind

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


def _fields(result: CachedResult) -> dict[str, Any]:
    """The result as JSON fields (``asdict`` would deep-copy every value list)."""
    return {name: getattr(result, name) for name in CachedResult.__dataclass_fields__}


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
    once over the bound. (GCS also expires cache objects by age; see terraform/storage.tf.) Up to
    ``pending_bytes`` of results wait for their store write behind the response; past that, a
    ``put`` writes before it returns.
    """

    def __init__(
        self,
        store: ObjectStore,
        *,
        memory_bytes: int = 256 * MB,
        store_bytes: int = 1024 * MB,
        pending_bytes: int = 64 * MB,
    ) -> None:
        self._store = store
        # (JSON, its result) of a result; (the object as it is, None) of a shared response
        self._pending: WriteBehind[tuple[bytes, CachedResult | None]] = WriteBehind(
            lambda path, entry: self._write(path, entry[0], packed=entry[1] is None),
            sizeof=lambda entry: len(entry[0]),
            max_bytes=pending_bytes,
            name="bridge-cache-writer",
        )
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
        queued = self._pending.peek(path)
        if queued is not None and queued[1] is not None:  # pushed out of memory while its write waits
            return queued[1]
        try:
            obj = self._store.get(path)
        except NotFound:
            return None
        try:
            raw = gzip.decompress(obj.data)
            result = CachedResult(**json.loads(raw))
        except (ValueError, TypeError, OSError, EOFError, zlib.error):
            return None  # a corrupt or truncated entry is a miss, and the next write replaces it
        if result.team_id != team_id or result.key != key:
            return None
        self._memory.put(path, (result, len(raw)))
        return result

    def put(self, result: CachedResult) -> None:
        """Keep ``result`` in memory now; its object is written behind (see the class doc)."""
        path = self._path(result.team_id, result.key)
        raw = json.dumps(_fields(result), separators=(",", ":")).encode()
        self._memory.put(path, (result, len(raw)))
        self._pending.submit(path, (raw, result))

    def share(self, path: str, data: bytes) -> None:
        """Write another cache object (a shared response) behind, under the same store bound."""
        self._pending.submit(path, (data, None))

    def flush(self, timeout_s: float = 30.0) -> bool:
        """Wait until every result (and shared object) put so far is written to the store; False on timeout."""
        return self._pending.flush(timeout_s)

    def forget_local(self) -> None:
        """Drop the in-memory tier (after writing what is queued), as a new instance starts."""
        self.flush()
        self._memory.clear()

    def _write(self, path: str, raw: bytes, *, packed: bool = False) -> None:
        data = raw if packed else gzip.compress(raw, compresslevel=5)
        self._store.put(path, data, content_type="application/json")
        if not self._written.put(path, len(data)):
            self._delete_object(path, len(data))  # larger than the whole bound: not kept

    def _delete_object(self, path: str, _size: int) -> None:
        try:
            self._store.delete(path)
        except BridgeError as err:  # another instance's write may be live there; it expires by age
            log.info("cache object delete failed: %s", err.code)
