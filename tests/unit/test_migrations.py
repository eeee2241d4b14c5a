"""Alembic migrations build exactly the models' schema, on SQLite and on real PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from shared.db.migrate import upgrade
from shared.db.models import Base


def test_migrations_match_the_models(db_url: str) -> None:
    engine = create_engine(db_url)
    upgrade(engine)
    upgrade(engine)  # running again is a no-op
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == [], diff
    assert set(inspect(engine).get_table_names()) >= {t.name for t in Base.metadata.sorted_tables}
    engine.dispose()
