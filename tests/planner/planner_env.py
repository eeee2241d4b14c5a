"""The planner test environment: a seeded container and a local agent loop (model → tools → model).

The loop is test-local until ``shared.services.generation`` lands; it runs the real tools against
the real DuckDB warehouse, SQLite directory and folder object store.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from shared.agent.bridge_tools import build_registry
from shared.agent.context import AgentContext, TurnState
from shared.bootstrap import Container, set_container
from shared.identity.port import Principal
from shared.model.messages import (
    Message,
    ModelRequest,
    SystemBlock,
    ToolResultMessage,
    UserMessage,
)
from shared.planner.model import OfflinePlanner
from shared.seed import DEMO_EMAIL
from shared.settings import Settings

MAX_STEPS = 20


@dataclass
class Turn:
    """What one message produced."""

    text: str
    messages: list[Message]
    events: list[tuple[str, dict[str, Any]]]
    state: TurnState
    calls: list[str]

    @property
    def saved(self) -> dict[str, Any] | None:
        return self.state.saved

    def results(self, tool: str) -> list[ToolResultMessage]:
        return [m for m in self.messages if isinstance(m, ToolResultMessage) and m.name == tool]


@dataclass
class Session:
    history: list[Message] = field(default_factory=list)
    slug: str | None = None
    id: str = field(default_factory=lambda: f"cs_{uuid.uuid4().hex[:10]}")


@dataclass
class PlannerEnv:
    container: Container
    team_id: str
    connection_id: str
    user: Principal
    model: OfflinePlanner = field(default_factory=OfflinePlanner)

    def ask(self, message: str, session: Session | None = None) -> Turn:
        """Run one chat turn to its end, like the agent runner does."""
        session = session or Session()
        registry = build_registry()
        state = TurnState(dashboard_slug=session.slug)
        ctx = AgentContext(
            self.container,
            self.team_id,
            self.connection_id,
            self.user,
            session.id,
            f"tu_{uuid.uuid4().hex[:8]}",
            state,
        )
        context = (
            f"This chat is editing dashboard '{session.slug}'."
            if session.slug
            else "No dashboard has been saved in this chat yet."
        )
        messages: list[Message] = [*session.history, UserMessage(message)]
        start = len(messages)
        calls: list[str] = []
        text = ""
        for _ in range(MAX_STEPS):
            request = ModelRequest(
                (SystemBlock("context", context),), tuple(messages), tuple(registry.specs())
            )
            response = self.model.complete(request)
            messages.append(response.to_message())
            if not response.tool_calls:
                text = response.text
                break
            for call in response.tool_calls:
                calls.append(call.name)
                messages.append(registry.run(call, ctx))
        else:
            raise AssertionError(f"turn did not finish in {MAX_STEPS} steps: {calls}")
        session.history = messages
        if state.dashboard_slug:
            session.slug = state.dashboard_slug
        return Turn(text, messages[start:], list(ctx.events), state, calls)

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


def build_env(
    root: Path,
    warehouse: Path | None,
    register: Callable[[Container, Principal], tuple[str, str]] | None = None,
) -> Iterator[PlannerEnv]:
    from shared.db.migrate import upgrade
    from shared.seed import seed_demo

    settings = Settings(
        data_dir=root / "data",
        database_url=f"sqlite:///{root / 'bridge.db'}",
        auth_secret="test-secret-0123456789-0123456789-abcdef",
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
        yield PlannerEnv(c, team_id, conn_id, user)
    finally:
        set_container(None)
        queue = c.__dict__.get("task_queue")
        if queue is not None:
            queue.close()
        c.db.engine.dispose()
