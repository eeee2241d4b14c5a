"""The hit's directory reads through SQLAlchemy (Cloud SQL's connector, any other URL), read-only transactions."""

from __future__ import annotations

from sqlalchemy import text

from shared.adapters.directory.port import POINTER_SQL, SUBJECT_SQL, TABLES_SQL, LivePointer
from shared.db.engine import Database


class OrmHitReads:
    """:class:`shared.adapters.directory.port.HitReads` over the process's database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def bound_subject(self, email: str) -> str | None:
        with self.db.read() as s:
            value = s.execute(text(SUBJECT_SQL), {"email": email}).scalar()
        return None if value is None else str(value)

    def live_pointer(self, user_id: str, team_id: str, slug: str) -> LivePointer | None:
        with self.db.read() as s:
            row = s.execute(text(POINTER_SQL), {"team_id": team_id, "slug": slug, "user_id": user_id}).first()
        return None if row is None else LivePointer(str(row[0]), int(row[1]), str(row[2]))

    def allowed_tables(self, connection_id: str) -> frozenset[str]:
        with self.db.read() as s:
            names = s.execute(text(TABLES_SQL), {"connection_id": connection_id}).scalars()
            return frozenset(str(n).lower() for n in names)
