"""One tool call's scope: a single DB session and the turn's team and connection, resolved once.

Every Bridge tool is written as ``fn(scope, **arguments)`` and wrapped with :func:`scoped`, which
opens the session, checks the user's membership of ``ctx.team_id`` and loads ``ctx.connection_id``
of that team (ids of another team are not found) before the tool body runs.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared.agent.context import AgentContext
from shared.db.models import Connection, Dataset, Table, Team
from shared.errors import NotFound, ValidationFailed

if TYPE_CHECKING:
    from shared.services.queries import ConnectionSql


@dataclass
class Scope:
    """What a tool body may touch: this session, this team and this connection."""

    ctx: AgentContext
    session: Session
    team: Team
    conn: Connection

    @classmethod
    def open(cls, ctx: AgentContext, s: Session) -> Scope:
        from shared.services.teams import require_team

        team = require_team(s, ctx.user, ctx.team_id)
        conn = s.scalar(
            select(Connection).where(Connection.id == ctx.connection_id, Connection.team_id == team.id)
        )
        if conn is None:
            raise NotFound("connection not found")
        return cls(ctx, s, team, conn)

    @cached_property
    def sql(self) -> ConnectionSql:
        """Guarded SQL over this connection's own tables."""
        from shared.services.queries import ConnectionSql

        return ConnectionSql.load(self.ctx.ports, self.session, self.conn)

    @cached_property
    def byte_cap(self) -> int:
        from shared.services.queries import byte_cap

        return byte_cap(self.ctx.ports, self.team)

    def tables(self, dataset: str | None = None) -> list[tuple[Dataset, Table]]:
        """The connection's scanned tables (of one dataset when given), by name."""
        s, conn = self.session, self.conn
        query = (
            select(Dataset, Table)
            .join(Table, Table.dataset_id == Dataset.id)
            .where(Dataset.connection_id == conn.id)
            .order_by(Table.fully_qualified_name)
        )
        rows = [(d, t) for d, t in s.execute(query).all()]
        if dataset is None:
            return rows
        wanted = dataset.replace("`", "").lower()
        names = {
            d.fully_qualified_name.lower()
            for d in s.scalars(select(Dataset).where(Dataset.connection_id == conn.id))
        }
        if not any(n == wanted or n.endswith("." + wanted) for n in names):
            raise NotFound(f"dataset '{dataset}' not found; call list_datasets to see the datasets")
        return [
            (d, t)
            for d, t in rows
            if d.fully_qualified_name.lower() in (wanted,)
            or d.fully_qualified_name.lower().endswith("." + wanted)
        ]

    def table_page(
        self, dataset: str | None, start: int, limit: int
    ) -> tuple[int, list[tuple[Dataset, Table]]]:
        """(total, one page) of the connection's tables by name, of one dataset when given."""
        where = [Dataset.connection_id == self.conn.id]
        if dataset is not None:
            wanted = dataset.replace("`", "").lower()
            names = [
                n
                for n in self.session.scalars(
                    select(Dataset.fully_qualified_name).where(Dataset.connection_id == self.conn.id)
                )
                if n.lower() == wanted or n.lower().endswith("." + wanted)
            ]
            if not names:
                raise NotFound(f"dataset '{dataset}' not found; call list_datasets to see the datasets")
            where.append(Dataset.fully_qualified_name.in_(names))
        base = select(Dataset, Table).join(Table, Table.dataset_id == Dataset.id).where(*where)
        total = self.session.scalar(select(func.count()).select_from(base.subquery())) or 0
        rows = self.session.execute(
            base.order_by(Table.fully_qualified_name).offset(start).limit(limit)
        ).all()
        return total, [(d, t) for d, t in rows]

    def find_table(self, name: str) -> Table:
        """A table by ``project.dataset.table``, ``dataset.table`` or a unique bare name."""
        wanted = name.replace("`", "").strip().lower()
        bare = wanted.rsplit(".", 1)[-1]
        rows = list(  # only the candidates: names ending in the bare table name
            self.session.scalars(
                select(Table)
                .join(Dataset, Dataset.id == Table.dataset_id)
                .where(
                    Dataset.connection_id == self.conn.id,
                    func.lower(Table.fully_qualified_name).like(f"%{_like(bare)}", escape="\\"),
                )
            )
        )
        for suffix_match in (
            lambda fq: fq == wanted,
            lambda fq: fq.endswith("." + wanted) and wanted.count(".") == 1,
            lambda fq: fq.rsplit(".", 1)[-1] == wanted,
        ):
            hits = [t for t in rows if suffix_match(t.fully_qualified_name.lower())]
            if len(hits) == 1:
                return hits[0]
            if len(hits) > 1:
                names = ", ".join(t.fully_qualified_name for t in hits)
                raise ValidationFailed(f"table name '{name}' is ambiguous: {names}")
        raise NotFound(f"table '{name}' not found; call search_catalog to find tables")


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def scoped(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn(scope, **arguments)`` as a tool function ``(ctx, **arguments)``: one read-only session per call.

    Read-only (:meth:`~shared.db.engine.Database.read`): on SQLite a tool that queries the warehouse
    holds no writer lock meanwhile. A read that may repair a row is :func:`scoped_repairing`; the
    tool that saves opens its own short write transaction.
    """

    @functools.wraps(fn)
    def run(ctx: AgentContext, **arguments: Any) -> Any:
        with ctx.ports.db.read() as s:
            return fn(Scope.open(ctx, s), **arguments)

    return run


def scoped_repairing(fn: Callable[..., Any]) -> Callable[..., Any]:
    """:func:`scoped` for a read that may repair a row (:meth:`~shared.db.engine.Database.read_or_repair`):
    ``fn`` may run twice, so it must not emit events."""

    @functools.wraps(fn)
    def run(ctx: AgentContext, **arguments: Any) -> Any:
        return ctx.ports.db.read_or_repair(lambda s: fn(Scope.open(ctx, s), **arguments))

    return run
