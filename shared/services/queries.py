"""The only way SQL reaches a warehouse: guarded (read-only, own tables) and capped."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from functools import cached_property
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from shared.adapters.warehouse.port import DryRun, ParsedSql, QueryOptions, QueryParam, QueryResult
from shared.bounded_cache import BoundedCache
from shared.db.models import Connection, Team
from shared.ports import Ports
from shared.services.catalog import allowed_tables

if TYPE_CHECKING:
    from shared.dashboards.validate import ValidationReport
    from shared.dashboards.validated import ValidatedDashboard
    from shared.sqlguard import GuardedSql

# Guard results by (guard key, scope, SQL text). A result is reused only under the guard key it was
# checked with (same connection, default project and allowed tables), so it refuses what a fresh
# guard would; refusals are never remembered.
GuardMemo = BoundedCache[tuple[Hashable, Hashable, str], "GuardedSql"]


def byte_cap(c: Ports, team: Team) -> int:
    """The team's ``maximum_bytes_billed``, or the default (100 MB)."""
    return team.byte_cap or c.settings.default_byte_cap


class ConnectionSql:
    """Guards and runs SQL for one connection: every statement is checked before any warehouse call.

    Each text is parsed once: the guard's result is remembered (in ``memo`` when given, e.g. one
    kept per dashboard generation, keyed with ``scope``) and its tree goes to the warehouse.
    """

    def __init__(
        self,
        c: Ports,
        conn: Connection,
        tables: set[str],
        *,
        memo: GuardMemo | None = None,
        scope: Hashable = None,
    ) -> None:
        self.c, self.conn, self._tables = c, conn, tables
        self._memo: GuardMemo = memo if memo is not None else BoundedCache(64)
        self._scope = scope

    @classmethod
    def load(
        cls, c: Ports, s: Session, conn: Connection, *, memo: GuardMemo | None = None, scope: Hashable = None
    ) -> ConnectionSql:
        return cls(c, conn, allowed_tables(s, conn), memo=memo, scope=scope)

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

    def adopt(self, document: ValidatedDashboard) -> None:
        """Remember the guard results of a dashboard validated with this connection's tables, so
        its dry runs and queries do not guard the same SQL again (any other document: nothing)."""
        if document.checked_with != self.guard_key:
            return
        for name, guarded in document.queries.items():
            query = document.model.queries.get(name)
            if query is not None:
                self._memo.put((self.guard_key, self._scope, query.sql), guarded)

    def guard(self, sql: str) -> GuardedSql:
        """Parse and check ``sql``; raises UnsafeSql before anything reaches the warehouse."""
        from shared.sqlguard import guard_select

        if not isinstance(sql, str):  # not a text: the guard refuses it (nothing to remember)
            return guard_select(sql, allowed_tables=self.allows(), default_project=self.project)
        key = (self.guard_key, self._scope, str(sql))
        hit = self._memo.get(key)
        if hit is not None:
            return hit
        guarded = guard_select(sql, allowed_tables=self.allows(), default_project=self.project)
        self._memo.put(key, guarded)
        return guarded

    def parsed(self, sql: str) -> ParsedSql:
        """``sql`` guarded, with the guard's tree for the warehouse (no second parse there)."""
        return ParsedSql(sql, self.guard(sql).expression)

    def dry_run(self, sql: str, params: tuple[QueryParam, ...] = ()) -> DryRun:
        from shared.services.connections import open_warehouse

        return open_warehouse(self.c, self.conn).dry_run(self.parsed(sql), params)

    def query(self, sql: str, params: tuple[QueryParam, ...], options: QueryOptions) -> QueryResult:
        from shared.services.connections import open_warehouse

        return open_warehouse(self.c, self.conn).query(self.parsed(sql), params, options)
