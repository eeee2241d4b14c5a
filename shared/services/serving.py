"""Data serving: compile a dashboard, answer each view from cache or the warehouse (capped).

Views of a dashboard run concurrently; views sharing SQL and parameters share one result. A view
that fails (byte cap, warehouse error) reports its own error while the others still return.
"""

from __future__ import annotations

import datetime as dt
import decimal
import gzip
import json
import logging
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from shared.adapters.identity.port import Principal
from shared.adapters.warehouse.port import QueryOptions, QueryParam
from shared.bounded_cache import BoundedCache
from shared.db.models import Connection, Dashboard, Team, TeamMember
from shared.errors import BridgeError, NotFound
from shared.ports import Ports
from shared.services.dashboards import DASHBOARDS, repair
from shared.services.queries import ConnectionSql, byte_cap
from shared.services.result_cache import CachedResult, ResultCache, cache_key
from shared.services.singleflight import SingleFlight
from shared.services.teams import require_team

log = logging.getLogger("bridge.serving")

STALE_FACTOR = 24  # a stale result is served (and refreshed behind) up to 24 TTLs old
DATA_VERSION_TTL_S = 30.0
POINTER_TTL_S = 2.0  # how long a cache hit may trust a remembered membership + dashboard version

if TYPE_CHECKING:
    from shared.dashboards.compile import CompiledDashboard, CompiledView
    from shared.dashboards.model import Dashboard as DashboardModel


_LIVE_GENERATION = (
    select(Dashboard.generation)
    .join(TeamMember, TeamMember.team_id == Dashboard.team_id)
    .where(
        Dashboard.team_id == bindparam("team_id"),
        Dashboard.slug == bindparam("slug"),
        Dashboard.deleted_at.is_(None),
        TeamMember.user_id == bindparam("user_id"),
    )
)


@dataclass(frozen=True)
class LoadedDashboard:
    row: Dashboard
    team: Team
    conn: Connection
    dashboard: DashboardModel
    compiled: CompiledDashboard
    ttl_s: int | None  # ``refresh`` as written in the YAML (None: the team's default applies)


@dataclass(frozen=True)
class _Job:
    """One view query to run: what, for whom, under which cap, cached for how long."""

    loaded: LoadedDashboard
    sql: ConnectionSql
    text: str
    params: tuple[QueryParam, ...]
    key: str
    ttl: int
    cap: int

    @property
    def flight(self) -> str:
        return f"{self.key}:{self.cap}"  # callers under a different byte cap never share a computation


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
        self._parsed: BoundedCache[tuple[str, int], tuple[DashboardModel, CompiledDashboard, int | None]] = (
            BoundedCache(256)
        )
        self._versions: BoundedCache[tuple[str, tuple[str, ...]], tuple[float, str | None]] = BoundedCache(
            4096
        )
        self._lock = threading.Lock()
        self.warehouse_calls = 0  # observable by tests and benchmarks
        self.clock = time.time
        self._refreshing: set[str] = set()
        self._responses: BoundedCache[tuple[Any, ...], tuple[float, bytes, bytes]] = BoundedCache(
            settings.response_cache_bytes, sizeof=lambda entry: len(entry[1]) + len(entry[2])
        )
        self._pointers: BoundedCache[tuple[str, str, str], tuple[float, int]] = BoundedCache(4096)

    # -- loading -----------------------------------------------------------------------------
    def load(self, s: Session, team: Team, slug: str) -> LoadedDashboard:
        row = repair(self.c, s, team.id, slug)
        if row is None or row.deleted_at is not None:
            raise NotFound(f"dashboard '{slug}' not found")
        conn = s.get(Connection, row.connection_id)
        if conn is None:
            raise NotFound("the dashboard's connection no longer exists")
        return self._loaded(team, row, conn)

    def _parse(
        self, row: Dashboard, conn: Connection
    ) -> tuple[DashboardModel, CompiledDashboard, int | None]:
        key = (row.id, row.generation)
        hit = self._parsed.get(key)
        if hit is not None:
            return hit
        from shared.dashboards.compile import compile_dashboard, refresh_seconds
        from shared.dashboards.validate import validate_dashboard

        text = self.c.store(DASHBOARDS).get(row.yaml_path, generation=row.generation).data.decode()
        report = validate_dashboard(text, default_project=conn.config.get("project"))
        dashboard = report.model
        if dashboard is None:
            raise BridgeError(
                "the stored dashboard no longer validates; save it again", details=report.errors
            )
        ttl = refresh_seconds(dashboard.refresh) if dashboard.refresh_written else None
        parsed = (dashboard, compile_dashboard(dashboard), ttl)
        self._parsed.put(key, parsed)
        return parsed

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
    ) -> tuple[bytes, bytes]:
        """The serialized response (JSON, gzip JSON), reused while every view in it is fresh.

        The hot path of a cache hit is one indexed query (membership + pointer row) and a dict
        lookup; the response is rebuilt when a view expires, the dashboard changes generation, or
        at least every ``DATA_VERSION_TTL_S`` seconds so warehouse changes are seen.
        """
        params_key = tuple(sorted(raw_params.items()))
        now = self.clock()
        if not force:
            generation = self._live_generation(s, who, team_id, slug, now)
            entry = self._responses.get((team_id, slug, generation, view_id, params_key))
            if generation is not None and entry is not None and now < entry[0]:
                return entry[1], entry[2]
        team, row, conn = self._pointer(s, who, team_id, slug)
        key = (team.id, row.slug, row.generation, view_id, params_key)
        loaded = self._loaded(team, row, conn)
        body = self.views_data(s, loaded, raw_params, view_id=view_id, force=force)
        expires = min([now + DATA_VERSION_TTL_S, *(v.pop("_expires", now) for v in body["views"])])
        raw = json.dumps(body, separators=(",", ":"), default=str).encode()
        packed = (raw, gzip.compress(raw, compresslevel=5))
        cacheable = all(v["status"] == "ok" and v["cache"] in ("hit", "miss", "none") for v in body["views"])
        if cacheable and expires > now:
            for v in body["views"]:
                if v["cache"] == "miss":
                    v["cache"] = "hit"
            hit_raw = json.dumps(body, separators=(",", ":"), default=str).encode()
            self._responses.put(key, (expires, hit_raw, gzip.compress(hit_raw, compresslevel=5)))
        return packed

    def _live_generation(self, s: Session, who: Principal, team_id: str, slug: str, now: float) -> int | None:
        """The live generation of the dashboard if ``who`` is a member of its team.

        The hot path of a cache hit: one prebuilt, indexed lookup, remembered for ``POINTER_TTL_S``
        per (user, team, slug) on this instance, so a new version or a removed membership is seen
        here within that time (saves and deletes through this instance are seen at once).
        """
        key = (who.user_id, team_id, slug)
        hit = self._pointers.get(key)
        if hit is not None and now < hit[0]:
            return hit[1]
        generation = s.scalar(_LIVE_GENERATION, {"team_id": team_id, "slug": slug, "user_id": who.user_id})
        if generation is None:
            self._pointers.pop(key)
        else:
            self._pointers.put(key, (now + POINTER_TTL_S, generation))
        return generation

    def forget_pointers(self, team_id: str, slug: str) -> None:
        """Drop remembered pointers of one dashboard (after a save or delete on this instance)."""
        self._pointers.pop_where(lambda key: key[1] == team_id and key[2] == slug)

    def _pointer(
        self, s: Session, who: Principal, team_id: str, slug: str, *, repaired: bool = False
    ) -> tuple[Team, Dashboard, Connection]:
        """Team, live dashboard row and connection in one query, only for a member of the team."""
        found = s.execute(
            select(Team, Dashboard, Connection)
            .join(TeamMember, TeamMember.team_id == Team.id)
            .join(Dashboard, Dashboard.team_id == Team.id)
            .join(Connection, Connection.id == Dashboard.connection_id)
            .where(
                Team.id == team_id,
                TeamMember.user_id == who.user_id,
                Dashboard.slug == slug,
                Dashboard.deleted_at.is_(None),
            )
        ).first()
        if found is not None:
            return found[0], found[1], found[2]
        require_team(s, who, team_id)  # NotFound for another team's ids
        row = None if repaired else repair(self.c, s, team_id, slug)  # a save that crashed before its row
        if row is None or row.deleted_at is not None:
            raise NotFound(f"dashboard '{slug}' not found")
        return self._pointer(s, who, team_id, slug, repaired=True)

    def _loaded(self, team: Team, row: Dashboard, conn: Connection) -> LoadedDashboard:
        dashboard, compiled, ttl_s = self._parse(row, conn)
        return LoadedDashboard(row, team, conn, dashboard, compiled, ttl_s)

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

        params = bind_parameters(loaded.dashboard, raw_params)
        compiled, applied = cross_filtered(loaded, raw_params)
        params = (*params, *compiled[1])
        views = [v for v in compiled[0].views if view_id is None or v.view_id == view_id]
        if view_id is not None and not views:
            raise NotFound(f"view '{view_id}' not found")
        sql = ConnectionSql.load(self.c, s, loaded.conn)
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
            "dashboard": {
                "slug": loaded.row.slug,
                "title": loaded.row.title,
                "version": loaded.row.version,
                "theme": loaded.dashboard.theme,
            },
            "parameters": _parameters_json(loaded.dashboard, params),
            "views": [
                {
                    **_view_meta(loaded.dashboard, v),
                    **by_view[v.view_id],
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
            return _empty(view.view_id)
        try:
            guarded = sql.guard(view.sql)
            version = self._data_version(loaded.conn, guarded.tables)
            key = cache_key(loaded.team.id, loaded.conn.id, view.sql, params, version)
            job = _Job(loaded, sql, view.sql, params, key, ttl, cap)
            now = self.clock()
            cached = None if force else self.cache.get(loaded.team.id, key)
            if cached is not None and now < cached.expires_at:
                return _payload(view.view_id, cached, "hit")
            if cached is not None and now < cached.cached_at + ttl * STALE_FACTOR:
                self._refresh_behind(job)
                return _payload(view.view_id, cached, "stale")
            result, _ = self.flights.do(job.flight, lambda: self._execute(job))
            return _payload(view.view_id, result, "miss")
        except BridgeError as err:
            return _empty(view.view_id, error=err.to_dict()["error"])
        except Exception:  # one view's failure is its own error; the other views still return
            log.exception("view %s failed", view.view_id)
            return _empty(
                view.view_id, error=BridgeError("this view failed; it has been logged").to_dict()["error"]
            )

    def _refresh_behind(self, job: _Job) -> None:
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

    def _execute(self, job: _Job) -> CachedResult:
        with self._lock:
            self.warehouse_calls += 1
        loaded = job.loaded
        labels = {"bridge_team": _label(loaded.team.id), "bridge_dashboard": _label(loaded.row.slug)}
        options = QueryOptions(max_bytes_billed=job.cap, row_limit=self.c.settings.row_limit, labels=labels)
        res = job.sql.query(job.text, job.params, options)
        now = self.clock()
        columns = [{"name": col.name, "type": col.type} for col in res.columns]
        values = [[_json_value(row[i]) for row in res.rows] for i in range(len(res.columns))]
        result = CachedResult(
            team_id=loaded.team.id,
            key=job.key,
            columns=columns,
            values=values,
            row_count=len(res.rows),
            truncated=res.truncated,
            bytes_processed=res.bytes_processed,
            cached_at=now,
            expires_at=now + job.ttl,
        )
        try:
            self.cache.put(result)
        except BridgeError as err:  # the result is good; only sharing it with other instances failed
            log.warning("result cache write failed (%s); serving the fresh result", err.code)
        return result

    def _data_version(self, conn: Connection, tables: tuple[str, ...]) -> str | None:
        from shared.services.connections import open_warehouse

        key = (conn.id, tuple(sorted(tables)))
        now = time.monotonic()
        hit = self._versions.get(key)
        if hit is not None and now - hit[0] < DATA_VERSION_TTL_S:
            return hit[1]
        version = open_warehouse(self.c, conn).data_version(key[1])
        self._versions.put(key, (now, version))
        return version


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
    raw_body, _ = svc.response(s, who, team_id, slug, raw, view_id=view_id, force=force)
    return json.loads(raw_body)


def warm(c: ServingPorts, s: Session, team: Team, slug: str) -> dict[str, Any]:
    """Compute every view with default parameters unless a fresh result is cached."""
    svc = c.data_service
    out = svc.views_data(s, svc.load(s, team, slug), {})
    return {"views": {v["view_id"]: {"status": v["status"], "cache": v["cache"]} for v in out["views"]}}


def cross_filtered(
    loaded: LoadedDashboard, raw: dict[str, str]
) -> tuple[tuple[Any, tuple[QueryParam, ...]], dict[str, list[str]]]:
    """The compiled dashboard with the request's cross-filters (``filter.*``, ``range.*``) applied."""
    from shared.dashboards.compile import compile_dashboard
    from shared.dashboards.crossfilter import filter_queries, parse_filters

    filters = parse_filters(raw)
    if not filters:
        return (loaded.compiled, ()), {}
    from shared.dashboards.model import Query

    dashboard = loaded.dashboard
    plain = {name: query.model_dump(exclude_none=True) for name, query in dashboard.queries.items()}
    queries, params, applied = filter_queries(plain, filters)
    typed = {name: Query.model_validate(query) for name, query in queries.items()}
    return (compile_dashboard(dashboard.model_copy(update={"queries": typed})), params), applied


def _payload(view_id: str, r: CachedResult, status: str) -> dict[str, Any]:
    return {
        "_expires": r.expires_at,
        "view_id": view_id,
        "status": "ok",
        "columns": r.columns,
        "values": r.values,
        "row_count": r.row_count,
        "truncated": r.truncated,
        "bytes_processed": r.bytes_processed,
        "cache": status,
        "cached_at": dt.datetime.fromtimestamp(r.cached_at, dt.UTC).isoformat(),
        "expires_at": dt.datetime.fromtimestamp(r.expires_at, dt.UTC).isoformat(),
        "error": None,
    }


def _empty(view_id: str, *, error: dict[str, Any] | None = None) -> dict[str, Any]:
    """A view payload without rows: a text view, or a view that failed (``error``)."""
    return {
        "view_id": view_id,
        "status": "error" if error else "ok",
        "columns": [],
        "values": [],
        "row_count": 0,
        "truncated": False,
        "bytes_processed": 0,
        "cache": "none",
        "cached_at": None,
        "error": error,
    }


def _view_meta(dashboard: DashboardModel, view: CompiledView) -> dict[str, Any]:
    source = dashboard.view(view.view_id)
    return {
        "view_id": view.view_id,
        "type": view.type,
        "title": source.title if source is not None else None,
        "layout": source.layout.model_dump() if source is not None else None,
        "spec": view.spec,
    }


def _parameters_json(dashboard: DashboardModel, params: tuple[QueryParam, ...]) -> list[dict[str, Any]]:
    values = {p.name: _json_value(p.value) for p in params}
    out = []
    for p in dashboard.parameters:
        item = p.model_dump(include={"name", "type", "label", "options", "multiple"}, exclude_none=True)
        item["value"] = (
            [values.get(n) for n in p.bound_names()] if p.type == "date_range" else values.get(p.name)
        )
        out.append(item)
    return out


def _json_value(v: Any) -> Any:
    if isinstance(v, dt.datetime | dt.date | dt.time):
        return v.isoformat()
    if isinstance(v, decimal.Decimal):
        return float(v)
    if isinstance(v, bytes):
        return v.hex()
    if isinstance(v, float):
        if v != v or v in (float("inf"), float("-inf")):  # not representable in JSON
            return None
        return float(f"{v:.12g}")  # drop binary float noise (1558877.5399999816 -> 1558877.54)
    return v


def _label(value: str) -> str:
    return re.sub(r"[^a-z0-9_-]", "_", value.lower())[:63]
