"""What a tool call may touch: one team, one connection, one user, and the turn's own state.

``TurnState`` survives between agent steps (it is stored on the Turn row as JSON), so rules like
"save only SQL that passed a dry run in this turn" hold across task boundaries.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from shared.adapters.identity.port import Principal
from shared.ports import Ports

if TYPE_CHECKING:
    from shared.adapters.model.port import ChatModel
    from shared.agent.prompts import PromptBlock
    from shared.agent.tools import ToolRegistry


class AgentPorts(Ports, Protocol):
    """What the agent runner uses: the ports, its tools, its models and its prompt blocks."""

    @property
    def tools(self) -> ToolRegistry: ...

    def chat_model(self, name: str | None = None, region: str | None = None) -> ChatModel:
        """The model called ``name`` in ``region`` (defaults from settings), one per instance."""
        ...

    def prompt_blocks(self) -> list[PromptBlock]:
        """The stable system prompt blocks, read once per instance."""
        ...


def sql_fingerprint(sql: str) -> str:
    """A stable id of a SQL text (whitespace at the ends ignored)."""
    return hashlib.sha256(sql.strip().encode()).hexdigest()


@dataclass
class TurnState:
    """Per-turn memory of the rules enforced by code."""

    dry_run_passed: dict[str, int] = field(default_factory=dict)  # sql fingerprint -> bytes
    dashboard_slug: str | None = None  # the dashboard this session is building or editing
    dashboard_version: int | None = None
    saved: dict[str, Any] | None = None  # {dashboard_slug, version, yaml_path, preview_url} once saved

    def to_dict(self) -> dict[str, Any]:
        return {
            "dry_run_passed": dict(self.dry_run_passed),
            "dashboard_slug": self.dashboard_slug,
            "dashboard_version": self.dashboard_version,
            "saved": self.saved,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> TurnState:
        data = data or {}
        return cls(
            dry_run_passed=dict(data.get("dry_run_passed") or {}),
            dashboard_slug=data.get("dashboard_slug"),
            dashboard_version=data.get("dashboard_version"),
            saved=data.get("saved"),
        )


@dataclass
class AgentContext:
    """Passed as ``ctx`` to every tool: everything is scoped to this team and connection."""

    ports: Ports
    team_id: str
    connection_id: str
    user: Principal
    session_id: str
    turn_id: str
    state: TurnState = field(default_factory=TurnState)
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # extra events tools emit

    def emit(self, event_type: str, data: dict[str, Any]) -> None:
        """Queue an event (yaml_artifact, dashboard_saved) to stream after the tool result."""
        self.events.append((event_type, data))
