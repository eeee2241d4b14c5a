"""Shared fixtures: a container per test on SQLite or real PostgreSQL, a demo warehouse, live servers."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from testkit import LiveServer, make_container

from shared.bootstrap import Container, set_container

PG_ADMIN_URL = os.environ.get("BRIDGE_TEST_PG_URL", "postgresql+pg8000://postgres@127.0.0.1:5432/postgres")
IN_CI = os.environ.get("CI", "").lower() == "true"


def _pg_available() -> bool:
    try:
        with create_engine(PG_ADMIN_URL).connect() as conn:
            conn.execute(text("select 1"))
        return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def pg_server() -> str:
    """The admin URL of the real PostgreSQL server; in CI its absence is a failure, not a skip."""
    if not _pg_available():
        if IN_CI:
            pytest.fail(f"PostgreSQL is not reachable at {PG_ADMIN_URL} (CI must run the Postgres tests)")
        pytest.skip("PostgreSQL not reachable")
    return PG_ADMIN_URL


def fresh_pg_database(admin_url: str) -> tuple[str, object]:
    name = f"bridge_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return admin_url.rsplit("/", 1)[0] + "/" + name, drop


@pytest.fixture(scope="session")
def demo_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo DuckDB file, generated once per test session."""
    from shared.dev.demo_data import generate_demo

    path = tmp_path_factory.mktemp("warehouse") / "demo.duckdb"
    return generate_demo(path, scale=0.05, seed=42)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty directory database on SQLite and on real PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'bridge.db'}"
        return
    admin = request.getfixturevalue("pg_server")
    url, drop = fresh_pg_database(admin)
    try:
        yield url
    finally:
        drop()  # type: ignore[operator]


@pytest.fixture
def container(tmp_path: Path, db_url: str, demo_warehouse: Path) -> Iterator[Container]:
    """A fully wired container on embedded adapters, installed as the process container."""
    c = make_container(tmp_path / "data", db_url, demo_warehouse)
    set_container(c)
    try:
        yield c
    finally:
        set_container(None)
        queue = c.__dict__.get("task_queue")
        if queue is not None:
            queue.close()
        c.db.engine.dispose()


@pytest.fixture
def dev_server(container: Container) -> Iterator[LiveServer]:
    """The dev server (every function's routes) over real HTTP, with the demo seeded."""
    from shared.dev.server import prepare
    from shared.entry.functions import dev_app

    prepare(container)
    server = LiveServer(dev_app())
    server.demo_path = container.settings.demo_warehouse_path  # type: ignore[attr-defined]
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def token(container: Container) -> object:
    """``token(email)`` → a bearer header for that user."""

    def make(email: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {container.local_identity.issue(email)}"}

    return make
