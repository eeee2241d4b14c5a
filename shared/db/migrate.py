"""Run Alembic migrations programmatically (dev server start, tests, the deploy's migrate function).

On PostgreSQL the upgrade holds a session-level advisory lock, so migrators started at once
(two deploys, a retried call) run one after the other; the second finds the database at head
and does nothing. Upgrading is idempotent either way.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, text

ROOT = Path(__file__).resolve().parents[2]
LOCK_KEY = 0x6272_6964_6765  # "bridge": one advisory lock id for every migrator


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database behind ``engine`` to ``revision``."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(ROOT / "migrations"))
    postgres = engine.dialect.name == "postgresql"
    with engine.connect() as lock:
        if postgres:
            lock.execute(text("SELECT pg_advisory_lock(:key)"), {"key": LOCK_KEY})
            lock.commit()
        try:
            with engine.begin() as conn:
                config.attributes["connection"] = conn
                command.upgrade(config, revision)
        finally:
            if postgres:
                lock.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": LOCK_KEY})
                lock.commit()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None before the first migration)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


FUNCTIONS_ROLE = "cloudsqliamserviceaccount"  # every function's IAM database user is a member


def grant_functions(engine: Engine) -> bool:
    """Give every function's database user read/write on the tables (Cloud SQL); False if no such role."""
    if engine.dialect.name != "postgresql":
        return False
    with engine.begin() as conn:
        if conn.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": FUNCTIONS_ROLE}) is None:
            return False
        for statement in (
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {FUNCTIONS_ROLE}",
            f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {FUNCTIONS_ROLE}",
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES"
            f" TO {FUNCTIONS_ROLE}",
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {FUNCTIONS_ROLE}",
        ):
            conn.execute(text(statement))
    return True
