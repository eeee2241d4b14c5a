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
from collections.abc import Callable
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

    Both are bounded by bytes: ``memory_bytes`` of results in memory, held as their JSON text
    (so the bound is the memory they take, not an estimate of Python objects several times larger;
    a memory hit decodes it), and ``store_bytes`` of the objects this instance wrote, the oldest of
    which it deletes once over the bound. (GCS also expires cache objects by age; see
    terraform/storage.tf.) Up to ``pending_bytes`` of results wait for their store write behind
    the response; past that, a ``put`` writes before it returns.
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
        self._pending: WriteBehind[_Queued] = WriteBehind(
            self._write, sizeof=lambda q: q.size, max_bytes=pending_bytes, name="bridge-cache-writer"
        )
        self._memory: BoundedCache[str, bytes] = BoundedCache(memory_bytes, sizeof=len)
        self._written: BoundedCache[str, int] = BoundedCache(
            store_bytes, sizeof=lambda size: size, on_evict=self._delete_object
        )

    @staticmethod
    def _path(team_id: str, key: str) -> str:
        return f"{team_id}/{key}.json.gz"

    @property
    def memory_bytes(self) -> int:
        """Bytes of results held in memory (their JSON text)."""
        return self._memory.size

    @property
    def pending_bytes(self) -> int:
        """Bytes of results waiting for their store write (their JSON text)."""
        return self._pending.pending_bytes

    @property
    def store_bytes(self) -> int:
        """Bytes of the cache objects this instance wrote that still exist (compressed)."""
        return self._written.size

    def get(self, team_id: str, key: str) -> CachedResult | None:
        path = self._path(team_id, key)
        raw = self._memory.get(path)
        if raw is None:
            queued = self._pending.peek(path)  # pushed out of memory while its write waits
            raw = queued.result if queued is not None else None
        if raw is not None:
            return _decoded(raw, team_id, key)
        try:
            obj = self._store.get(path)
        except NotFound:
            return None
        try:
            raw = gzip.decompress(obj.data)
        except (OSError, EOFError, zlib.error):
            return None  # a corrupt or truncated entry is a miss, and the next write replaces it
        result = _decoded(raw, team_id, key)
        if result is not None:
            self._memory.put(path, raw)
        return result

    def put(self, result: CachedResult) -> None:
        """Keep ``result`` in memory now; its object is written behind (see the class doc)."""
        path = self._path(result.team_id, result.key)
        raw = json.dumps(_fields(result), separators=(",", ":")).encode()
        self._memory.put(path, raw)
        self._pending.submit(path, _Queued(len(raw), lambda: gzip.compress(raw, compresslevel=5), raw))

    def share(self, path: str, size: int, make: Callable[[], bytes]) -> None:
        """Write another cache object (a shared response) behind, under the same store bound:
        ``make()`` builds its bytes (about ``size``) in the writer's thread."""
        self._pending.submit(path, _Queued(size, make))

    def flush(self, timeout_s: float = 30.0) -> bool:
        """Wait until every result (and shared object) put so far is written to the store; False on timeout."""
        return self._pending.flush(timeout_s)

    def forget_local(self) -> None:
        """Drop the in-memory tier (after writing what is queued), as a new instance starts."""
        self.flush()
        self._memory.clear()

    def _write(self, path: str, queued: _Queued) -> None:
        data = queued.make()
        self._store.put(path, data, content_type="application/json")
        if not self._written.put(path, len(data)):
            self._delete_object(path, len(data))  # larger than the whole bound: not kept

    def _delete_object(self, path: str, _size: int) -> None:
        try:
            self._store.delete(path)
        except BridgeError as err:  # another instance's write may be live there; it expires by age
            log.info("cache object delete failed: %s", err.code)


@dataclass(frozen=True)
class _Queued:
    """A write waiting behind the response: ``make`` builds the object's bytes when it is written
    (a result's gzip, a shared response); ``result`` is the JSON of a result (its get reads it)."""

    size: int
    make: Callable[[], bytes]
    result: bytes | None = None


def _decoded(raw: bytes, team_id: str, key: str) -> CachedResult | None:
    """The result ``raw`` holds, if it decodes and belongs to ``team_id``/``key``."""
    try:
        result = CachedResult(**json.loads(raw))
    except (ValueError, TypeError):
        return None  # a corrupt entry is a miss, and the next write replaces it
    if result.team_id != team_id or result.key != key:
        return None
    return result
