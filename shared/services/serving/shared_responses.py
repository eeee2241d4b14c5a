"""Serialized hit responses shared through the cache bucket, for instances that have none yet.

When an instance caches a response (:meth:`DataService.response`), it also writes it, behind the
response, as ``responses/{team_id}/{hash}.bin``: a JSON header line with what the response was
built from (dashboard generation, view, request parameters, connection, the data version of each
view's tables, when it expires), then the gzip body. A cold instance (:mod:`.cold_hit`) serves
those bytes as they are once it has checked that they still hold, so it builds no dashboard model
and reads no cached result. They are written and bounded with the instance's result objects
(``BRIDGE_RESULT_CACHE_STORE_BYTES``, the oldest deleted past it); the cache bucket also expires
objects by age (terraform/storage.tf).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from shared.adapters.objectstore.port import ObjectStore
from shared.errors import NotFound

if TYPE_CHECKING:
    from shared.services.result_cache import ResultCache

Params = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class ViewVersion:
    """The tables one view read (sorted) and their data version when its result was computed."""

    tables: tuple[str, ...]
    version: str | None


@dataclass(frozen=True)
class ResponseRecord:
    team_id: str
    slug: str
    generation: int
    view_id: str | None
    params: Params  # the request's parameters, sorted
    connection_id: str
    expires_at: float  # epoch seconds: the earliest of its views' expiries and the version window
    versions: tuple[ViewVersion, ...]
    packed: bytes  # the gzip JSON body, every view a hit

    def answers(self, team_id: str, slug: str, generation: int, view_id: str | None, params: Params) -> bool:
        return (self.team_id, self.slug, self.generation, self.view_id, self.params) == (
            team_id,
            slug,
            generation,
            view_id,
            params,
        )


def record_path(team_id: str, slug: str, generation: int, view_id: str | None, params: Params) -> str:
    digest = hashlib.sha256(json.dumps([slug, generation, view_id, params]).encode()).hexdigest()[:40]
    return f"responses/{team_id}/{digest}.bin"


def encode(record: ResponseRecord) -> bytes:
    header = {
        "team": record.team_id,
        "slug": record.slug,
        "generation": record.generation,
        "view": record.view_id,
        "params": [list(p) for p in record.params],
        "connection": record.connection_id,
        "expires_at": record.expires_at,
        "versions": [{"tables": list(v.tables), "version": v.version} for v in record.versions],
    }
    return json.dumps(header, separators=(",", ":")).encode() + b"\n" + record.packed


def decode(data: bytes) -> ResponseRecord | None:
    """The record in ``data``; None when it is corrupt or truncated (a record is only a shortcut)."""
    head, sep, packed = data.partition(b"\n")
    if not sep or not packed:
        return None
    try:
        h = json.loads(head)
        versions = tuple(ViewVersion(tuple(str(t) for t in v["tables"]), v["version"]) for v in h["versions"])
        record = ResponseRecord(
            team_id=str(h["team"]),
            slug=str(h["slug"]),
            generation=int(h["generation"]),
            view_id=None if h["view"] is None else str(h["view"]),
            params=tuple((str(k), str(v)) for k, v in h["params"]),
            connection_id=str(h["connection"]),
            expires_at=float(h["expires_at"]),
            versions=versions,
            packed=packed,
        )
    except (ValueError, TypeError, KeyError):
        return None
    if not all(v.version is None or isinstance(v.version, str) for v in versions):
        return None
    return record


def read_record(store: ObjectStore, path: str) -> ResponseRecord | None:
    """The record at ``path``; None when there is none or it is unreadable."""
    try:
        return decode(store.get(path).data)
    except NotFound:
        return None


class SharedResponses:
    """Response records written behind the response through the result cache's writer and bound."""

    def __init__(self, cache: ResultCache) -> None:
        self._cache = cache

    def put_behind(self, path: str, size: int, record: Callable[[], ResponseRecord]) -> None:
        """Write the record ``record()`` builds (its body gzipped then, in the writer's thread)."""
        self._cache.share(path, size, lambda: encode(record()))

    def flush(self, timeout_s: float = 30.0) -> bool:
        """Wait until every record put so far is written; False on timeout."""
        return self._cache.flush(timeout_s)
