"""Loading: the stored YAML parsed, validated and compiled once per dashboard generation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from shared.adapters.warehouse.port import QueryParam
from shared.bounded_cache import BoundedCache
from shared.db.models import Connection, Dashboard, Team
from shared.errors import BridgeError, NotFound
from shared.ports import Ports
from shared.services.dashboards import DASHBOARDS, repair

if TYPE_CHECKING:
    from shared.dashboards.compile import CompiledDashboard
    from shared.dashboards.model import Dashboard as DashboardModel


@dataclass(frozen=True)
class LoadedDashboard:
    row: Dashboard
    team: Team
    conn: Connection
    dashboard: DashboardModel
    compiled: CompiledDashboard
    ttl_s: int | None  # ``refresh`` as written in the YAML (None: the team's default applies)


class Loader:
    """Typed, compiled dashboards of this instance, one parse per (dashboard, generation)."""

    def __init__(self, c: Ports) -> None:
        self.c = c
        self._parsed: BoundedCache[tuple[str, int], tuple[DashboardModel, CompiledDashboard, int | None]] = (
            BoundedCache(256)
        )

    def load(self, s: Session, team: Team, slug: str) -> LoadedDashboard:
        row = repair(self.c, s, team.id, slug)
        if row is None or row.deleted_at is not None:
            raise NotFound(f"dashboard '{slug}' not found")
        conn = s.get(Connection, row.connection_id)
        if conn is None:
            raise NotFound("the dashboard's connection no longer exists")
        return self.loaded(team, row, conn)

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

    def loaded(self, team: Team, row: Dashboard, conn: Connection) -> LoadedDashboard:
        dashboard, compiled, ttl_s = self._parse(row, conn)
        return LoadedDashboard(row, team, conn, dashboard, compiled, ttl_s)


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
