"""The planner test environment: a seeded container whose chat turns run through the real service.

Each turn goes through ``DashboardGenerationService`` (chat turn → agent_step tasks on the
in-process queue → the configured model, "offline" = the planner → Bridge's tools) against the
real DuckDB warehouse, SQLite directory and folder object store.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from shared.adapters.identity.port import Principal
from shared.bootstrap import Container, set_container
from shared.dev.seed import DEMO_EMAIL
from shared.settings import Settings

TIMEOUT_S = 60.0


@dataclass
class Turn:
    """What one message produced: the turn's final message and its event log."""

    text: str
    status: str
    events: list[tuple[str, dict[str, Any]]]
    saved: dict[str, Any] | None

    @property
    def calls(self) -> list[str]:
        return [d["name"] for t, d in self.events if t == "tool_call"]

    def results(self, tool: str) -> list[dict[str, Any]]:
        return [d for t, d in self.events if t == "tool_result" and d["name"] == tool]

    def emitted(self) -> list[str]:
        """The artifact events the tools emitted (yaml_artifact, dashboard_saved)."""
        return [t for t, _ in self.events if t in ("yaml_artifact", "dashboard_saved")]


@dataclass
class Session:
    id: str


@dataclass
class PlannerEnv:
    container: Container
    team_id: str
    connection_id: str
    user: Principal
    register: Callable[[Container, Principal], tuple[str, str]] | None = None

    def fresh(self) -> PlannerEnv:
        """The same container and warehouse under a new team with no dashboards yet.

        The planner offers an existing dashboard instead of saving a copy when a request repeats;
        a test whose first request another test of the module made too starts from a fresh team.
        """
        assert self.register is not None
        team_id, conn_id = self.register(self.container, self.user)
        return PlannerEnv(self.container, team_id, conn_id, self.user, self.register)

    def session(self) -> Session:
        from doubles.generation import create_session

        return Session(create_session(self.container, self.user, self.team_id, self.connection_id))

    def ask(self, message: str, session: Session | None = None) -> Turn:
        """Run one chat turn to its end through the real generation service (agent_step tasks)."""
        from doubles.generation import DashboardGenerationService

        session = session or self.session()
        result = DashboardGenerationService(self.container, timeout_s=TIMEOUT_S).generate(
            session.id, message, user=self.user
        )
        saved = next((dict(d) for t, d in reversed(result.events) if t == "dashboard_saved"), None)
        return Turn(result.message, result.status, result.events, saved)

    def ask_new(self, message: str) -> Turn:
        """Ask for a new dashboard in a new session; when an earlier request of the module built
        this very dashboard (the planner offers it instead of a copy), answer "update it"."""
        session = self.session()
        turn = self.ask(message, session)
        if turn.saved is None and "get_dashboard" in turn.calls:
            assert "You already have" in turn.text and "update it" in turn.text, turn.text
            turn = self.ask("update it", session)
        return turn

    def dashboard(self, slug: str) -> tuple[dict[str, Any], str, int]:
        from shared.services.dashboards import get_dashboard

        with self.container.db.session() as s:
            row, text = get_dashboard(self.container, s, self.user, self.team_id, slug)
            return yaml.safe_load(text), text, row.version

    def data(self, slug: str) -> dict[str, Any]:
        """Every view's data through the data service (the same path the browser uses)."""
        from shared.services.serving import dashboard_data

        with self.container.db.session() as s:
            return dashboard_data(self.container, s, self.user, self.team_id, slug, {})


def _demo_team(c: Container, user: Principal) -> tuple[str, str]:
    """Another team with its own scanned connection to the demo warehouse."""
    from shared.services import catalog, connections, teams

    with c.db.session() as s:
        team = teams.create_team(s, user, "Another demo team")
        body = {
            "name": "Demo warehouse",
            "warehouse_type": "duckdb",
            "path": str(c.settings.demo_warehouse_path),
            "project": "demo",
        }
        conn = connections.create_connection(c, s, user, team.id, body)
        connections.validate_connection(c, s, conn)
        assert conn.status == "valid", conn.last_error
        catalog.scan(c, s, conn)
        return team.id, conn.id


def build_env(
    root: Path,
    warehouse: Path | None,
    register: Callable[[Container, Principal], tuple[str, str]] | None = None,
) -> Iterator[PlannerEnv]:
    from shared.db.migrate import upgrade
    from shared.dev.seed import seed_demo

    settings = Settings(
        data_dir=root / "data",
        database_url=f"sqlite:///{root / 'bridge.db'}",
        auth_secret="test-secret-0123456789-0123456789-abcdef",
        duckdb_roots=str(root),
    )
    c = Container(settings)
    upgrade(c.db.engine)
    user = Principal(DEMO_EMAIL, DEMO_EMAIL)
    if warehouse is not None:
        settings.demo_warehouse_path.parent.mkdir(parents=True, exist_ok=True)
        os.link(warehouse, settings.demo_warehouse_path)
    set_container(c)
    try:
        team_id, conn_id = register(c, user) if register else seed_demo(c)
        yield PlannerEnv(c, team_id, conn_id, user, register or _demo_team)
    finally:
        set_container(None)
        queue = c.__dict__.get("task_queue")
        if queue is not None:
            queue.close()
        c.db.engine.dispose()
