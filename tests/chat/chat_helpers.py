"""Chat test helpers: the demo team seeded, a scripted model and small tools installed in the container.

A uniquely named module (not conftest) so other folders' conftest files never shadow it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from doubles.scripted_model import ScriptedModel

from shared.adapters.identity.port import Principal
from shared.adapters.model.messages import ToolCallEvent
from shared.agent.tools import ToolRegistry, tool
from shared.bootstrap import Container
from shared.dev.seed import DEMO_EMAIL

OBJ = {"type": "object"}


@dataclass
class ChatEnv:
    c: Container
    team_id: str
    connection_id: str
    user: Principal
    tool_runs: list[dict[str, Any]] = field(default_factory=list)

    def install(self, script: list[Any]) -> ScriptedModel:
        model = ScriptedModel(script, by_history=True)
        self.c.install_model(model)
        return model


def lookup_script() -> list[Any]:
    """Two tool steps, then a final answer streamed in pieces."""
    return [
        ["Let me look. ", ToolCallEvent("c1", "lookup", {"what": "tables"})],
        [ToolCallEvent("c2", "lookup", {"what": "columns"}), ToolCallEvent("c3", "lookup", {"what": "rows"})],
        ["Here is what I found: ", "three lookups, ", "all fine. " * 8],
    ]


@pytest.fixture
def chat_env(container: Container) -> Iterator[ChatEnv]:
    from shared.dev.server import prepare

    team_id, conn_id = prepare(container)
    env = ChatEnv(container, team_id, conn_id, Principal(DEMO_EMAIL, DEMO_EMAIL))

    @tool(
        "lookup",
        "Look something up.",
        {
            "type": "object",
            "properties": {"what": {"type": "string"}},
            "required": ["what"],
            "additionalProperties": False,
        },
        OBJ,
    )
    def lookup(ctx: Any, what: str) -> dict[str, Any]:
        env.tool_runs.append({"what": what, "turn": ctx.turn_id})
        return {"what": what, "found": len(what)}

    container.tools = ToolRegistry([lookup])
    yield env
