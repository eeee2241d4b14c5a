"""The directory reads of a cache hit: the identity binding, membership + pointer, the allowed tables.

Two adapters: :mod:`.orm` (SQLAlchemy, over the process's :class:`shared.db.engine.Database`)
and :mod:`.dbapi` (sqlite3 or pg8000 directly, so a cold instance answering a hit never imports
SQLAlchemy). The composition root picks one (``Container.hit_reads``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

# one indexed lookup: the live dashboard of a team the user is a member of, and its connection
POINTER_SQL = (
    "SELECT d.id, d.generation, d.connection_id FROM dashboards d"
    " JOIN teams t ON t.id = d.team_id"
    " JOIN team_members m ON m.team_id = d.team_id"
    " JOIN connections c ON c.id = d.connection_id"
    " WHERE d.team_id = :team_id AND d.slug = :slug AND d.deleted_at IS NULL AND m.user_id = :user_id"
)
SUBJECT_SQL = "SELECT subject FROM user_identities WHERE email = :email"
TABLES_SQL = (
    "SELECT t.fully_qualified_name FROM tables t JOIN datasets ds ON ds.id = t.dataset_id"
    " WHERE ds.connection_id = :connection_id"
)


@dataclass(frozen=True)
class LivePointer:
    """The live version of a dashboard, read for a member of its team."""

    dashboard_id: str
    generation: int
    connection_id: str


class HitReads(Protocol):
    """What a cache hit reads from the directory database (nothing is written)."""

    def bound_subject(self, email: str) -> str | None:
        """The identity-provider subject bound to ``email``, if any."""
        ...

    def live_pointer(self, user_id: str, team_id: str, slug: str) -> LivePointer | None:
        """The live dashboard ``slug`` of ``team_id`` if ``user_id`` is a member; else None."""
        ...

    def allowed_tables(self, connection_id: str) -> frozenset[str]:
        """Fully qualified names of the connection's scanned tables (lower-cased)."""
        ...
