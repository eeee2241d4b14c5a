"""One chat turn through the product's chat path: session, message, agent steps on the task queue."""

from __future__ import annotations

import time
from dataclasses import dataclass

from shared.adapters.identity.port import Principal
from shared.bootstrap import Container
from shared.db.models import Turn
from shared.errors import NotFound
from shared.services import chat, dashboards

POLL_S = 0.002


@dataclass
class TurnOutcome:
    """How a turn ended: its status, final reply, the YAML it saved (if any) and how long it took."""

    status: str  # done | failed | timeout
    message: str
    dashboard_slug: str | None
    yaml: str | None
    seconds: float
    tool_calls: list[str]
    agent_seconds: float = 0.0  # from the turn's row: queued → its last step committed


def run_turn(
    c: Container,
    who: Principal,
    team_id: str,
    connection_id: str,
    question: str,
    *,
    timeout_s: float = 120.0,
    forget: bool | str = False,
) -> TurnOutcome:
    """Open a new session, send ``question``, follow its steps to ``done``; read the saved dashboard.

    With ``forget`` a dashboard this turn created is deleted once read, so every case meets the
    same team state (a new version of an existing dashboard is left alone); with ``forget="any"``
    (the eval's own scratch team) any dashboard the turn saved is deleted.
    """
    started = time.perf_counter()
    with c.db.session() as s:
        session = chat.create_session(s, who, team_id, connection_id)
        turn = chat.start_turn(c, s, session, question)
        session_id, turn_id = session.id, turn.id
    chat.enqueue_step(c, session_id, turn_id, 0)
    deadline = time.monotonic() + timeout_s
    delay = POLL_S
    while True:
        with c.db.session() as s:
            row = s.get(Turn, turn_id)
            assert row is not None
            status = row.status
            agent_s = (row.updated_at - row.created_at).total_seconds()
        if status in ("done", "failed"):
            break
        if time.monotonic() > deadline:
            return TurnOutcome("timeout", "", None, None, time.perf_counter() - started, [])
        time.sleep(delay)
        delay = min(delay * 1.5, 0.05)
    with c.db.session() as s:
        events = [e for e in chat.events_after(s, session_id, 0, limit=100_000) if e.turn_id == turn_id]
        done = next((e.data for e in reversed(events) if e.type == "done"), {})
        calls = [str(e.data.get("name")) for e in events if e.type == "tool_call"]
        slug = done.get("dashboard_slug")
        versions = [e.data.get("version") for e in events if e.type == "yaml_artifact"]
        saved = bool(versions) or any(e.type == "dashboard_saved" for e in events)
        text = None
        if slug and saved:
            try:
                text = dashboards.get_dashboard(c, s, who, team_id, slug)[1]
                scratch = forget == "any" and bool(versions)  # the eval's own team: nothing else is there
                if scratch or (forget and versions and versions[0] == 1):  # made by this turn
                    dashboards.delete_dashboard(c, s, who, team_id, slug)
            except NotFound:
                text = None
    return TurnOutcome(
        status,
        str(done.get("message", "")),
        slug if text else None,
        text,
        time.perf_counter() - started,
        calls,
        agent_s,
    )
