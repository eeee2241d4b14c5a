"""Loading: a dashboard generation's compiled artifact, read once per instance.

The save stores the compiled dashboard beside the YAML (:mod:`shared.dashboards.artifact`); the
loader reads it, so a cold instance serving a hit parses no YAML, runs no JSON Schema and no
sqlglot. A generation without a usable artifact (saved before artifacts existed, by other
compiler code, or a save that stopped between its two writes) is parsed, validated and compiled
here once, and its artifact stored for the next instance.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from shared.adapters.warehouse.port import QueryParam
from shared.bounded_cache import BoundedCache
from shared.db.models import Connection, Dashboard, Team
from shared.errors import BridgeError, NotFound
from shared.ports import Ports
from shared.services.dashboards import DASHBOARDS, artifact_path, repair, store_artifact

if TYPE_CHECKING:
    from shared.dashboards.artifact import CompiledArtifact
    from shared.dashboards.compiled import CompiledDashboard
    from shared.dashboards.model import Dashboard as DashboardModel

log = logging.getLogger("bridge.serving")


@dataclass(frozen=True)
class LoadedDashboard:
    row: Dashboard
    team: Team
    conn: Connection
    dashboard: DashboardModel
    compiled: CompiledDashboard
    ttl_s: int | None  # ``refresh`` as written in the YAML (None: the team's default applies)
    # each compiled SQL text and the tables it reads, checked when the dashboard was compiled
    tables: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class _Parsed:
    dashboard: DashboardModel
    compiled: CompiledDashboard
    ttl_s: int | None
    tables: Mapping[str, tuple[str, ...]]


class Loader:
    """Typed, compiled dashboards of this instance, one load per (dashboard, generation)."""

    def __init__(self, c: Ports) -> None:
        self.c = c
        self._parsed: BoundedCache[tuple[str, int], _Parsed] = BoundedCache(256)
        self.compiles = 0  # generations this instance had to parse and compile (no usable artifact)

    def load(self, s: Session, team: Team, slug: str) -> LoadedDashboard:
        row = repair(self.c, s, team.id, slug)
        if row is None or row.deleted_at is not None:
            raise NotFound(f"dashboard '{slug}' not found")
        conn = s.get(Connection, row.connection_id)
        if conn is None:
            raise NotFound("the dashboard's connection no longer exists")
        return self.loaded(team, row, conn)

    def _parse(self, row: Dashboard, conn: Connection) -> _Parsed:
        key = (row.id, row.generation)
        hit = self._parsed.get(key)
        if hit is not None:
            return hit
        artifact = self._artifact(row) or self._compile(row, conn)
        parsed = _Parsed(artifact.model(), artifact.compiled(), artifact.ttl_s, artifact.tables_by_sql())
        self._parsed.put(key, parsed)
        return parsed

    def _artifact(self, row: Dashboard) -> CompiledArtifact | None:
        from shared.dashboards.artifact import decode

        try:
            stored = self.c.store(DASHBOARDS).get(artifact_path(row.team_id, row.slug, row.generation))
        except NotFound:
            return None
        except BridgeError as err:  # the YAML is still there to compile from
            log.warning("compiled artifact read failed (%s); compiling the YAML", err.code)
            return None
        return decode(stored.data, row.generation)

    def _compile(self, row: Dashboard, conn: Connection) -> CompiledArtifact:
        """Parse, validate and compile the stored YAML, and store its artifact (idempotent)."""
        from shared.dashboards.artifact import build
        from shared.dashboards.validate import validate_dashboard

        text = self.c.store(DASHBOARDS).get(row.yaml_path, generation=row.generation).data.decode()
        report = validate_dashboard(text, default_project=conn.config.get("project"))
        if report.model is None:
            raise BridgeError(
                "the stored dashboard no longer validates; save it again", details=report.errors
            )
        self.compiles += 1
        tables = {name: guarded.tables for name, guarded in report.queries.items()}
        artifact = build(report.model, tables, row.generation)
        store_artifact(self.c, row.team_id, row.slug, artifact)
        return artifact

    def loaded(self, team: Team, row: Dashboard, conn: Connection) -> LoadedDashboard:
        p = self._parse(row, conn)
        return LoadedDashboard(row, team, conn, p.dashboard, p.compiled, p.ttl_s, p.tables)


def cross_filtered(
    loaded: LoadedDashboard, raw: dict[str, str]
) -> tuple[tuple[Any, tuple[QueryParam, ...]], dict[str, list[str]]]:
    """The compiled dashboard with the request's cross-filters (``filter.*``, ``range.*``) applied."""
    from shared.dashboards.crossfilter import filter_queries, parse_filters

    filters = parse_filters(raw)
    if not filters:
        return (loaded.compiled, ()), {}
    from shared.dashboards.compile import compile_dashboard
    from shared.dashboards.model import Query

    dashboard = loaded.dashboard
    plain = {name: query.model_dump(exclude_none=True) for name, query in dashboard.queries.items()}
    queries, params, applied = filter_queries(plain, filters)
    typed = {name: Query.model_validate(query) for name, query in queries.items()}
    return (compile_dashboard(dashboard.model_copy(update={"queries": typed})), params), applied
