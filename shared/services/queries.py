"""The only way SQL reaches a warehouse: guarded (read-only, own tables) and capped."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from functools import cached_property
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from shared.adapters.warehouse.port import DryRun, QueryOptions, QueryParam, QueryResult
from shared.db.models import Connection, Team
from shared.ports import Ports
from shared.services.catalog import allowed_tables

if TYPE_CHECKING:
    from shared.dashboards.validate import ValidationReport
    from shared.dashboards.validated import ValidatedDashboard


def byte_cap(c: Ports, team: Team) -> int:
    """The team's ``maximum_bytes_billed``, or the default (100 MB)."""
    return team.byte_cap or c.settings.default_byte_cap


class ConnectionSql:
    """Guards and runs SQL for one connection: every statement is checked before any warehouse call."""

    def __init__(self, c: Ports, conn: Connection, tables: set[str]) -> None:
        self.c, self.conn, self._tables = c, conn, tables

    @classmethod
    def load(cls, c: Ports, s: Session, conn: Connection) -> ConnectionSql:
        return cls(c, conn, allowed_tables(s, conn))

    @property
    def project(self) -> str | None:
        return self.conn.config.get("project")

    def allows(self) -> Callable[[str], bool]:
        return lambda name: name.lower() in self._tables

    @cached_property
    def guard_key(self) -> Hashable:
        """What guarding depends on: equal keys allow the same tables with the same default project."""
        return (self.conn.id, self.project, frozenset(self._tables))

    def validate(self, text: str) -> tuple[ValidationReport, ValidatedDashboard | None]:
        """Load dashboard YAML ``text`` once (one parse, one schema run) with this connection's tables."""
        from shared.dashboards.validate import validate_dashboard
        from shared.dashboards.validated import validated

        report = validate_dashboard(text, allowed_tables=self.allows(), default_project=self.project)
        return report, validated(report, self.guard_key)

    def guard(self, sql: str):
        """Parse and check ``sql``; raises UnsafeSql before anything reaches the warehouse."""
        from shared.sqlguard import guard_select

        return guard_select(sql, allowed_tables=self.allows(), default_project=self.project)

    def dry_run(self, sql: str, params: tuple[QueryParam, ...] = ()) -> DryRun:
        from shared.services.connections import open_warehouse

        self.guard(sql)
        return open_warehouse(self.c, self.conn).dry_run(sql, params)

    def query(self, sql: str, params: tuple[QueryParam, ...], options: QueryOptions) -> QueryResult:
        from shared.services.connections import open_warehouse

        self.guard(sql)
        return open_warehouse(self.c, self.conn).query(sql, params, options)
