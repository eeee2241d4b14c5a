"""The session log: one create-only object per agent step, what the step produced."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from shared.db.models import ChatSession, Turn

SESSIONS = "sessions"  # the object store bucket kind of the session log


@dataclass
class StepRecord:
    """What one step produced; stored as the session log object of that step."""

    messages: list[dict[str, Any]]
    events: list[tuple[str, dict[str, Any]]]
    state: dict[str, Any]
    final: bool
    status: str = "running"  # running | done | failed
    error: str | None = None

    def to_bytes(self) -> bytes:
        return json.dumps(self.__dict__, separators=(",", ":"), default=str).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> StepRecord:
        raw = json.loads(data)
        raw["events"] = [tuple(e) for e in raw["events"]]
        return cls(**raw)


def step_path(session: ChatSession, turn: Turn, step: int) -> str:
    return f"{session.team_id}/{session.id}/{turn.seq:05d}-{turn.id}/step-{step:03d}.json"
