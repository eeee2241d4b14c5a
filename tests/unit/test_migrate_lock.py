"""Migrations: idempotent, and serialised on PostgreSQL by an advisory lock."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from shared.db.migrate import LOCK_KEY, current_revision, grant_functions, upgrade

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_engine(pg_server: str) -> Iterator[Engine]:
    """A fresh, empty PostgreSQL database."""
    name = f"bridge_migrate_{uuid.uuid4().hex[:10]}"
    admin = create_engine(pg_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = create_engine(pg_server.rsplit("/", 1)[0] + "/" + name)
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_a_migrator_waits_for_the_lock_and_a_second_run_changes_nothing(pg_engine: Engine) -> None:
    holder = pg_engine.connect()
    holder.execute(text("SELECT pg_advisory_lock(:k)"), {"k": LOCK_KEY})
    done = threading.Event()
    worker = threading.Thread(target=lambda: (upgrade(pg_engine), done.set()), daemon=True)
    worker.start()

    time.sleep(1.0)
    assert not done.is_set(), "upgrade ran while another migrator held the lock"
    assert current_revision(pg_engine) is None
    holder.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LOCK_KEY})
    holder.close()
    assert done.wait(60)
    head = current_revision(pg_engine)
    assert head

    upgrade(pg_engine)  # idempotent
    assert current_revision(pg_engine) == head


def test_concurrent_migrators_both_succeed(pg_engine: Engine) -> None:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            upgrade(pg_engine)
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    assert current_revision(pg_engine)


def test_grants_need_the_cloud_sql_role(pg_engine: Engine, tmp_path: Path) -> None:
    upgrade(pg_engine)
    assert grant_functions(pg_engine) is False  # no cloudsqliamserviceaccount outside Cloud SQL
    assert grant_functions(create_engine(f"sqlite:///{tmp_path / 'x.db'}")) is False
