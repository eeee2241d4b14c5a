"""The hit's directory reads through DB-API directly: sqlite3, or pg8000 for PostgreSQL.

Only plain URLs are taken (``sqlite:///path``; ``postgresql[+pg8000]://user:password@host:port/db``
without query options); :func:`for_url` answers None for any other, and the composition root
then uses the SQLAlchemy adapter. Statements are the port's, with ``:name`` parameters, which
both sqlite3 and ``pg8000.native`` take.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import unquote, urlsplit

from shared.adapters.directory.port import POINTER_SQL, SUBJECT_SQL, TABLES_SQL, LivePointer

Rows = list[Sequence[Any]]


class DbApiHitReads:
    """:class:`shared.adapters.directory.port.HitReads` over one DB-API connection (reopened on error)."""

    def __init__(self, connect: Callable[[], Any], run: Callable[[Any, str, dict[str, Any]], Rows]) -> None:
        self._connect, self._run = connect, run
        self._lock = threading.Lock()
        self._conn: Any = None

    def _query(self, sql: str, params: dict[str, Any]) -> Rows:
        with self._lock:
            for attempt in (1, 2):  # a connection gone stale (server restart) is replaced once
                try:
                    if self._conn is None:
                        self._conn = self._connect()
                    return self._run(self._conn, sql, params)
                except Exception:
                    self._close()
                    if attempt == 2:
                        raise
            raise AssertionError("unreachable")

    def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):  # already broken; dropping it is all that is left
                conn.close()

    def bound_subject(self, email: str) -> str | None:
        rows = self._query(SUBJECT_SQL, {"email": email})
        return str(rows[0][0]) if rows else None

    def live_pointer(self, user_id: str, team_id: str, slug: str) -> LivePointer | None:
        rows = self._query(POINTER_SQL, {"team_id": team_id, "slug": slug, "user_id": user_id})
        return LivePointer(str(rows[0][0]), int(rows[0][1]), str(rows[0][2])) if rows else None

    def allowed_tables(self, connection_id: str) -> frozenset[str]:
        rows = self._query(TABLES_SQL, {"connection_id": connection_id})
        return frozenset(str(r[0]).lower() for r in rows)


def _sqlite_run(conn: sqlite3.Connection, sql: str, params: dict[str, Any]) -> Rows:
    return list(conn.execute(sql, params).fetchall())


def _pg_run(conn: Any, sql: str, params: dict[str, Any]) -> Rows:
    return list(conn.run(sql, **params))


def for_url(url: str) -> DbApiHitReads | None:
    """The DB-API adapter for a plain SQLite or PostgreSQL URL; None for any other URL."""
    parts = urlsplit(url)
    if parts.query or parts.fragment:
        return None
    if parts.scheme == "sqlite":
        path = url.split("///", 1)[-1] if url.startswith("sqlite:///") else ""
        if not path or path == ":memory:":
            return None
        return DbApiHitReads(lambda: sqlite3.connect(path, timeout=30, check_same_thread=False), _sqlite_run)
    if parts.scheme in ("postgresql", "postgresql+pg8000") and parts.hostname and parts.path.strip("/"):
        options = {
            "user": unquote(parts.username or ""),
            "password": unquote(parts.password) if parts.password is not None else None,
            "host": parts.hostname,
            "port": parts.port or 5432,
            "database": unquote(parts.path.lstrip("/")),
        }

        def connect() -> Any:
            import pg8000.native

            return pg8000.native.Connection(**options)

        return DbApiHitReads(connect, _pg_run)
    return None
