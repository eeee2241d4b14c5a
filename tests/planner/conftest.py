"""Planner fixtures: one seeded container per test module (the demo warehouse, or a second schema)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .planner_env import PlannerEnv, build_env


@pytest.fixture(scope="module")
def demo_env(tmp_path_factory: pytest.TempPathFactory, demo_warehouse: Path) -> Iterator[PlannerEnv]:
    """The seeded demo team and scanned demo connection, shared by one test module."""
    yield from build_env(tmp_path_factory.mktemp("planner"), demo_warehouse)


@pytest.fixture(scope="module")
def saas_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PlannerEnv]:
    """A team whose only connection is the second schema (SaaS billing), scanned."""
    from shared.adapters.identity.port import Principal
    from shared.bootstrap import Container
    from shared.services import catalog, connections, teams

    from .saas_warehouse import PROJECT, build_saas

    root = tmp_path_factory.mktemp("saas")
    path = build_saas(root / "acme.duckdb")

    def register(c: Container, user: Principal) -> tuple[str, str]:
        with c.db.session() as s:
            team = teams.create_team(s, user, "Acme analytics")
            body = {"name": "Acme billing", "warehouse_type": "duckdb", "path": str(path), "project": PROJECT}
            conn = connections.create_connection(c, s, user, team.id, body)
            connections.validate_connection(c, s, conn)
            assert conn.status == "valid", conn.last_error
            catalog.scan(c, s, conn)
            return team.id, conn.id

    yield from build_env(root, None, register)
