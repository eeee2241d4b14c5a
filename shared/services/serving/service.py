"""The serving state of one instance and its entry points (``dashboard_data``, ``warm``).

A cache hit is one indexed query (:mod:`.access`) and a lookup of the serialized response; a
miss loads the dashboard (:mod:`.loading`), runs each view (:mod:`.execution`) from the result
cache or the warehouse, and builds the payload (:mod:`.payload`). On a cold instance a hit reads
the pointer row, the compiled artifact, the data version record (:mod:`.versions`) and the cached
results: no YAML, JSON Schema or sqlglot, and no warehouse client while the record is fresh.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy.orm import Session

from shared.adapters.identity.port import Principal
from shared.adapters.warehouse.port import QueryParam
from shared.bounded_cache import BoundedCache
from shared.db.models import Team
from shared.errors import BridgeError, NotFound, UnsafeSql
from shared.ports import Ports
from shared.services.queries import ConnectionSql, GuardMemo, byte_cap
from shared.services.result_cache import CachedResult, ResultCache, cache_key
from shared.services.serving import execution
from shared.services.serving.access import Access
from shared.services.serving.body import Body, serialized
from shared.services.serving.execution import Job
from shared.services.serving.loading import LoadedDashboard, Loader, cross_filtered
from shared.services.serving.payload import (
    dashboard_json,
    empty_payload,
    parameters_json,
    split_totals,
    view_meta,
    view_payload,
)
from shared.services.serving.shared_responses import ResponseRecord, SharedResponses, ViewVersion, record_path
from shared.services.serving.versions import DATA_VERSION_TTL_S, DataVersions
from shared.services.singleflight import SingleFlight

if TYPE_CHECKING:
    from shared.dashboards.compile import CompiledView

log = logging.getLogger("bridge.serving")

STALE_FACTOR = 24  # a stale result is served (and refreshed behind) up to 24 TTLs old


class DataService:
    """Per-instance serving state: parsed dashboards, result cache, coalescing, a worker pool."""

    def __init__(self, c: Ports) -> None:
        self.c = c
        settings = c.settings
        self.cache = ResultCache(
            c.store("cache"),
            memory_bytes=settings.result_cache_memory_bytes,
            store_bytes=settings.result_cache_store_bytes,
        )
        self.flights: SingleFlight[CachedResult] = SingleFlight()
        self.pool = ThreadPoolExecutor(max_workers=6, thread_name_prefix="bridge-views")
        self.loader = Loader(c)
        self._guards: GuardMemo = BoundedCache(2048)  # guarded view SQL, per dashboard generation
        self.access = Access(c)
        self.versions = DataVersions(c, c.store("cache"))
        self._lock = threading.Lock()
        self.warehouse_calls = 0  # observable by tests and benchmarks
        self.clock = time.time
        self._refreshing: set[str] = set()
        self._responses: BoundedCache[tuple[Any, ...], tuple[float, Body]] = BoundedCache(
            settings.response_cache_bytes, sizeof=lambda entry: entry[1].held_bytes
        )
        # the same responses for cold instances (shared_responses, cold_hit)
        self.shared = SharedResponses(self.cache)

    # -- serving -----------------------------------------------------------------------------
    def response(
        self,
        s: Session,
        who: Principal,
        team_id: str,
        slug: str,
        raw_params: dict[str, str],
        *,
        view_id: str | None = None,
        force: bool = False,
    ) -> Body:
        """The serialized response (JSON; gzip on first ask), reused while every view in it is fresh.

        The hot path of a cache hit is one indexed query (membership + pointer row) and a dict
        lookup; the response is rebuilt when a view expires, the dashboard changes generation, or
        at least every ``DATA_VERSION_TTL_S`` seconds so warehouse changes are seen. A miss
        serializes each view once (:mod:`.body`); the body kept for hits is gzipped once, behind
        the response (for the shared record; GETs that accept gzip reuse it), and the body sent
        is gzipped only when the client accepts it.
        """
        params_key = tuple(sorted(raw_params.items()))
        now = self.clock()
        if not force:
            generation = self.access.live_generation(s, who, team_id, slug, now)
            entry = self._fresh_response((team_id, slug, generation, view_id, params_key), now)
            if generation is not None and entry is not None:
                return entry
        team, row, conn = self.access.pointer(s, who, team_id, slug)
        key = (team.id, row.slug, row.generation, view_id, params_key)
        loaded = self.loader.loaded(team, row, conn)
        body = self.views_data(s, loaded, raw_params, view_id=view_id, force=force)
        expires = min([now + DATA_VERSION_TTL_S, *(v.pop("_expires", now) for v in body["views"])])
        read = [v.pop("_read") for v in body["views"] if "_read" in v]
        sent, kept = serialized(body)
        cacheable = all(v["status"] == "ok" and v["cache"] in ("hit", "miss", "none") for v in body["views"])
        if cacheable and expires > now:
            self._responses.put(key, (expires, kept))
            versions = tuple(read)
            self.shared.put_behind(  # gzipped in the writer's thread, once: later GETs reuse it
                record_path(team.id, row.slug, row.generation, view_id, params_key),
                kept.held_bytes,
                lambda: ResponseRecord(
                    team.id,
                    row.slug,
                    row.generation,
                    view_id,
                    params_key,
                    conn.id,
                    expires,
                    versions,
                    kept.packed,
                ),
            )
        return sent

    def remembered_response(
        self,
        who: Principal,
        team_id: str,
        slug: str,
        raw_params: dict[str, str],
        *,
        view_id: str | None = None,
    ) -> Body | None:
        """The hit response when this instance remembers both ``who``'s membership + pointer and
        the response (what :meth:`response` would answer first), without a database session."""
        now = self.clock()
        generation = self.access.remembered_generation(who, team_id, slug, now)
        if generation is None:
            return None
        return self._fresh_response(
            (team_id, slug, generation, view_id, tuple(sorted(raw_params.items()))), now
        )

    def _fresh_response(self, key: tuple[Any, ...], now: float) -> Body | None:
        entry = self._responses.get(key)
        return entry[1] if entry is not None and now < entry[0] else None

    def forget_pointers(self, team_id: str, slug: str) -> None:
        """Drop remembered pointers of one dashboard (after a save or delete on this instance)."""
        self.access.forget(team_id, slug)

    def load(self, s: Session, team: Team, slug: str) -> LoadedDashboard:
        return self.loader.load(s, team, slug)

    def views_data(
        self,
        s: Session,
        loaded: LoadedDashboard,
        raw_params: dict[str, str],
        *,
        view_id: str | None = None,
        force: bool = False,
    ) -> dict[str, Any]:
        from shared.dashboards.params import bind_parameters, select_parameters
        from shared.dashboards.templates import bound_values

        params = bind_parameters(loaded.dashboard, raw_params)
        values = bound_values(loaded.dashboard.parameters, params)
        compiled, applied = cross_filtered(loaded, raw_params)
        params = (*params, *compiled[1])
        views = [v for v in compiled[0].views if view_id is None or v.view_id == view_id]
        if view_id is not None and not views:
            raise NotFound(f"view '{view_id}' not found")
        scope = (loaded.row.id, loaded.row.generation)  # a new generation guards its SQL afresh
        sql = ConnectionSql.load(self.c, s, loaded.conn, memo=self._guards, scope=scope)
        ttl = loaded.ttl_s
        if ttl is None:
            ttl = loaded.team.cache_ttl_seconds or self.c.settings.cache_ttl_seconds
        cap = byte_cap(self.c, loaded.team)

        def one(view: CompiledView) -> dict[str, Any]:
            bound = select_parameters(params, view.parameter_names)
            return self._view(loaded, sql, view, bound, ttl=ttl, cap=cap, force=force)

        results = list(self.pool.map(one, views)) if len(views) > 1 else [one(v) for v in views]
        by_view = {v["view_id"]: v for v in results}
        return {
            "dashboard": dashboard_json(loaded.dashboard, loaded.row, values),
            "parameters": parameters_json(loaded.dashboard, params),
            "views": [
                {
                    **view_meta(loaded.dashboard, v, values),
                    **split_totals(by_view[v.view_id], v.spec),
                    "filtered_by": applied.get(v.query_name or "", []),
                }
                for v in views
            ],
        }

    def _view(
        self,
        loaded: LoadedDashboard,
        sql: ConnectionSql,
        view: Any,
        params: tuple[QueryParam, ...],
        *,
        ttl: int,
        cap: int,
        force: bool,
    ) -> dict[str, Any]:
        if view.sql is None:  # text views have no query
            return empty_payload(view.view_id)
        try:
            tables = _tables(loaded, sql, view.sql)
            version = self.versions.get(loaded.conn, tables)
            key = cache_key(loaded.team.id, loaded.conn.id, view.sql, params, version)
            job = Job(loaded, sql, view.sql, params, key, ttl, cap)
            now = self.clock()
            read = ViewVersion(tuple(sorted(tables)), version)  # what a shared response is checked against
            cached = None if force else self.cache.get(loaded.team.id, key)
            if cached is not None and now < cached.expires_at:
                return {**view_payload(view.view_id, cached, "hit"), "_read": read}
            if cached is not None and now < cached.cached_at + ttl * STALE_FACTOR:
                self._refresh_behind(job)
                return view_payload(view.view_id, cached, "stale")
            result, _ = self.flights.do(job.flight, lambda: self._execute(job))
            return {**view_payload(view.view_id, result, "miss"), "_read": read}
        except BridgeError as err:
            return empty_payload(view.view_id, error=err.to_dict()["error"])
        except Exception:  # one view's failure is its own error; the other views still return
            log.exception("view %s failed", view.view_id)
            return empty_payload(
                view.view_id, error=BridgeError("this view failed; it has been logged").to_dict()["error"]
            )

    def _refresh_behind(self, job: Job) -> None:
        with self._lock:
            if job.key in self._refreshing:
                return
            self._refreshing.add(job.key)

        def run() -> None:
            try:
                self.flights.do(job.flight, lambda: self._execute(job))
            except BridgeError as err:
                log.info("background refresh failed: %s", err.code)
            except Exception:
                log.exception("background refresh failed")
            finally:
                with self._lock:
                    self._refreshing.discard(job.key)

        self.pool.submit(run)

    def _execute(self, job: Job) -> CachedResult:
        with self._lock:
            self.warehouse_calls += 1
        result = execution.run(job, row_limit=self.c.settings.row_limit, now=self.clock())
        try:
            self.cache.put(result)
        except BridgeError as err:  # the result is good; only sharing it with other instances failed
            log.warning("result cache write failed (%s); serving the fresh result", err.code)
        return result


def _tables(loaded: LoadedDashboard, sql: ConnectionSql, text: str) -> tuple[str, ...]:
    """The tables ``text`` reads, each one still among the connection's tables.

    SQL compiled with the dashboard carries its tables (guarded when it was compiled): they are
    checked against the connection's tables of now, without parsing. Other SQL (cross-filtered)
    is guarded here.
    """
    tables = loaded.tables.get(text)
    if tables is None:
        return sql.guard(text).tables
    allows = sql.allows()
    for name in tables:
        if not allows(name):
            message = f"table {name} is not one of this connection's tables"
            raise UnsafeSql(
                message, details=[{"path": "sql", "line": None, "column": None, "message": message}]
            )
    return tables


class ServingPorts(Ports, Protocol):
    """The ports plus this instance's :class:`DataService` (built once by the composition root)."""

    @property
    def data_service(self) -> DataService: ...


def dashboard_data(
    c: ServingPorts,
    s: Session,
    who: Principal,
    team_id: str,
    slug: str,
    raw: dict[str, str],
    *,
    view_id: str | None = None,
    force: bool = False,
) -> dict[str, Any]:
    svc = c.data_service
    return json.loads(svc.response(s, who, team_id, slug, raw, view_id=view_id, force=force).raw)


def warm(c: ServingPorts, s: Session, team: Team, slug: str) -> dict[str, Any]:
    """Compute every view with default parameters unless a fresh result is cached."""
    svc = c.data_service
    out = svc.views_data(s, svc.load(s, team, slug), {})
    return {"views": {v["view_id"]: {"status": v["status"], "cache": v["cache"]} for v in out["views"]}}
