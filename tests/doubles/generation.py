"""DashboardGenerationService: one chat turn from message to saved dashboard, run to the end."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from shared.adapters.identity.port import Principal
from shared.bootstrap import Container
from shared.db.models import Turn
from shared.db.wakeup import Watch
from shared.errors import Timeout
from shared.services import chat


@dataclass
class GenerationResult:
    turn_id: str
    status: str
    message: str
    dashboard_slug: str | None
    yaml_path: str | None
    preview_url: str | None
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


def create_session(c: Container, user: Principal, team_id: str, connection_id: str) -> str:
    with c.db.session() as s:
        return chat.create_session(s, user, team_id, connection_id).id


class DashboardGenerationService:
    """Sends a message and follows the turn's steps (on whatever task queue is configured) to ``done``."""

    def __init__(self, c: Container, *, timeout_s: float = 120.0) -> None:
        self.c, self.timeout_s = c, timeout_s

    def start(self, session_id: str, message: str, *, user: Principal) -> str:
        with self.c.db.session() as s:
            session = chat.require_session(s, user, session_id)
            turn = chat.start_turn(self.c, s, session, message)
            turn_id = turn.id
        chat.enqueue_step(self.c, session_id, turn_id, 0)
        return turn_id

    def generate(self, session_id: str, message: str, *, user: Principal) -> GenerationResult:
        turn_id = self.start(session_id, message, user=user)
        return self.wait(session_id, turn_id)

    def wait(self, session_id: str, turn_id: str) -> GenerationResult:
        """Read the turn each time a write for the session commits (as the event stream does)."""
        deadline = time.monotonic() + self.timeout_s
        with self.c.db.wakeup.watch(session_id) as watch:
            return self._follow(watch, turn_id, deadline)

    def _follow(self, watch: Watch, turn_id: str, deadline: float) -> GenerationResult:
        session_id = watch.key
        while True:
            seen = watch.version
            with self.c.db.read() as s:  # no writer lock on SQLite
                turn = s.get(Turn, turn_id)
                assert turn is not None
                if turn.status in ("done", "failed"):
                    events = [
                        (e.type, e.data)
                        for e in chat.events_after(s, session_id, 0, limit=100_000)
                        if e.turn_id == turn_id
                    ]
                    done = next(d for t, d in reversed(events) if t == "done")
                    return GenerationResult(
                        turn_id,
                        turn.status,
                        done.get("message", ""),
                        done.get("dashboard_slug"),
                        done.get("yaml_path"),
                        done.get("preview_url"),
                        events,
                    )
            if time.monotonic() > deadline:
                raise Timeout(f"the turn did not finish within {self.timeout_s:g}s")
            # the slow poll covers a wake-up that cannot arrive (another process writing the SQLite file)
            watch.wait(seen, 0.25)
