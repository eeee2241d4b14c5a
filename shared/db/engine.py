"""Engines for the directory database: SQLite file, PostgreSQL via pg8000, or Cloud SQL's connector."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from shared.settings import Settings


def make_engine(settings: Settings) -> Engine:
    """Build the engine the settings ask for (no connection is opened yet)."""
    if settings.cloudsql_instance:
        return _cloudsql_engine(settings)
    url = settings.database_url
    if url.startswith("sqlite"):
        return sqlite_engine(url)
    if url.startswith("postgresql://"):
        url = "postgresql+pg8000://" + url.removeprefix("postgresql://")
    return create_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_pre_ping=True,
        pool_recycle=1800,
    )


def sqlite_engine(url: str) -> Engine:
    """SQLite with WAL, foreign keys and a busy timeout, safe to share between threads."""
    path = url.split("///", 1)[-1]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    return engine


def _cloudsql_engine(settings: Settings) -> Engine:
    """Cloud SQL Postgres through the connector (lazy refresh suits serverless CPU throttling)."""
    from google.cloud.sql.connector import Connector, RefreshStrategy

    connector = Connector(refresh_strategy=RefreshStrategy.LAZY)

    def creator() -> Any:
        return connector.connect(
            settings.cloudsql_instance,
            "pg8000",
            user=settings.db_user,
            db=settings.db_name,
            enable_iam_auth=settings.db_iam_auth,
        )

    return create_engine(
        "postgresql+pg8000://",
        creator=creator,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_pre_ping=True,
        pool_recycle=1800,
    )


class Database:
    """An engine plus a unit-of-work helper."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A transaction: committed on success, rolled back on any error."""
        with self._sessions() as session, session.begin():
            yield session
