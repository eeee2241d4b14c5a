"""Run Alembic migrations programmatically (dev server start, tests, deploy)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

ROOT = Path(__file__).resolve().parents[2]


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database behind ``engine`` to ``revision``."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(ROOT / "migrations"))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
