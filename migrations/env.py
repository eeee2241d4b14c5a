"""Alembic environment: uses the connection handed in by shared.db.migrate, else the settings."""

from __future__ import annotations

from alembic import context

from shared.db.models import Base

target_metadata = Base.metadata


def run() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        from shared.db.engine import make_engine
        from shared.settings import get_settings

        with make_engine(get_settings()).begin() as conn:
            _run_with(conn)
    else:
        _run_with(connection)


def _run_with(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
