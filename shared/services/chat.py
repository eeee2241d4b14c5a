"""Chat sessions, turns and the session's event log (the source of every SSE stream).

A turn is one user message and the agent's work on it. Its steps run as named tasks
(``agent_step``); events are appended in the same transaction that advances the turn, keyed by
(turn, step, idx), so a step delivered twice appends its events once.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shared.adapters.identity.port import Principal
from shared.adapters.tasks.naming import task_name
from shared.db.models import ChatEvent, ChatSession, Connection, LiveToken, TeamMember, Turn, utcnow
from shared.db.wakeup import mark
from shared.errors import Conflict, NotFound
from shared.ports import Ports
from shared.services.teams import require_team

ACTIVE = ("queued", "running")
EVENT_TYPES = ("token", "tool_call", "tool_result", "yaml_artifact", "dashboard_saved", "error", "done")


def create_session(s: Session, who: Principal, team_id: str, connection_id: str) -> ChatSession:
    require_team(s, who, team_id)
    conn = s.scalar(select(Connection).where(Connection.id == connection_id, Connection.team_id == team_id))
    if conn is None:
        raise NotFound("connection not found")
    session = ChatSession(team_id=team_id, connection_id=connection_id, user_id=who.user_id)
    s.add(session)
    s.flush()
    return session


def require_session(s: Session, who: Principal, session_id: str) -> ChatSession:
    """The session if ``who`` belongs to its team; NotFound otherwise."""
    session = s.scalar(
        select(ChatSession)
        .join(TeamMember, TeamMember.team_id == ChatSession.team_id)
        .where(ChatSession.id == session_id, TeamMember.user_id == who.user_id)
    )
    if session is None:
        raise NotFound("chat session not found")
    return session


def active_turn(s: Session, session_id: str) -> str | None:
    """The id of the session's queued or running turn, if any."""
    return s.scalar(select(Turn.id).where(Turn.session_id == session_id, Turn.status.in_(ACTIVE)))


def step_task_name(session_id: str, turn_id: str, step: int) -> str:
    return task_name("agent-step", session_id, turn_id, str(step))


def start_turn(c: Ports, s: Session, session: ChatSession, content: str) -> Turn:
    """Queue a turn for ``content``; Conflict while another turn of the session is running (a turn
    whose worker died is failed cleanly first, see :mod:`shared.services.turn_recovery`)."""
    from shared.services.turn_recovery import recover

    recover(c, s, session.id, resume=False)
    active = s.scalar(select(Turn).where(Turn.session_id == session.id, Turn.status.in_(ACTIVE)))
    if active is not None:
        raise Conflict(
            "the assistant is still answering the previous message; wait for it to finish",
            details={"turn_id": active.id},
        )
    seq = (s.scalar(select(func.max(Turn.seq)).where(Turn.session_id == session.id)) or 0) + 1
    turn = Turn(session_id=session.id, seq=seq, status="queued", user_message=content, step=0, state={})
    s.add(turn)
    try:
        s.flush()
    except IntegrityError:
        raise Conflict("another message was sent at the same time; wait for its answer") from None
    if session.title is None:
        session.title = content[:120]
    return turn


def enqueue_step(c: Ports, session_id: str, turn_id: str, step: int) -> None:
    c.task_queue.enqueue(
        "agent_step",
        {"session_id": session_id, "turn_id": turn_id, "step": step},
        name=step_task_name(session_id, turn_id, step),
    )


def append_events(s: Session, turn: Turn, step: int, events: list[tuple[str, dict[str, Any]]]) -> list[int]:
    """Append a step's events in one INSERT; their ids (IntegrityError if this step's are there already)."""
    if not events:
        return []
    last = last_event_id(s, turn.session_id)
    now = utcnow()
    rows = []
    for idx, (kind, data) in enumerate(events):
        assert kind in EVENT_TYPES, kind
        rows.append(
            {
                "session_id": turn.session_id,
                "seq": last + idx + 1,
                "turn_id": turn.id,
                "step": step,
                "idx": idx,
                "type": kind,
                "data": {"turn_id": turn.id, "step": step, **data},
                "created_at": now,
            }
        )
    s.execute(insert(ChatEvent), rows)
    mark(s, turn.session_id)  # the session's streams wake when this commits
    return [last + idx + 1 for idx in range(len(rows))]


def last_event_id(s: Session, session_id: str) -> int:
    """The id of the session's newest event (0 when it has none)."""
    return s.scalar(select(func.max(ChatEvent.seq)).where(ChatEvent.session_id == session_id)) or 0


def events_after(s: Session, session_id: str, after: int, limit: int = 500) -> list[ChatEvent]:
    return list(
        s.scalars(
            select(ChatEvent)
            .where(ChatEvent.session_id == session_id, ChatEvent.seq > after)
            .order_by(ChatEvent.seq)
            .limit(limit)
        )
    )


def live_tokens_after(s: Session, session_id: str, after: int) -> list[LiveToken]:
    """Text being written right now (not yet committed), after live token ``after``."""
    return list(
        s.scalars(
            select(LiveToken)
            .where(LiveToken.session_id == session_id, LiveToken.id > after)
            .order_by(LiveToken.id)
        )
    )


def session_json(s: Session, session: ChatSession) -> dict[str, Any]:
    """The session with its messages: each turn's user text and the assistant's final answer."""
    turns = list(s.scalars(select(Turn).where(Turn.session_id == session.id).order_by(Turn.seq)))
    done = {
        e.turn_id: e.data
        for e in s.scalars(
            select(ChatEvent).where(ChatEvent.session_id == session.id, ChatEvent.type == "done")
        )
    }
    messages: list[dict[str, Any]] = []
    for t in turns:
        messages.append(
            {
                "role": "user",
                "turn_id": t.id,
                "content": t.user_message,
                "created_at": t.created_at.isoformat(),
            }
        )
        if t.id in done:
            d = done[t.id]
            messages.append(
                {
                    "role": "assistant",
                    "turn_id": t.id,
                    "content": d.get("message", ""),
                    "status": d.get("status"),
                    "dashboard_slug": d.get("dashboard_slug"),
                    "preview_url": d.get("preview_url"),
                }
            )
    last_seq = last_event_id(s, session.id)
    return {
        "id": session.id,
        "team_id": session.team_id,
        "connection_id": session.connection_id,
        "title": session.title,
        "dashboard_slug": session.dashboard_slug,
        "status": next((t.status for t in reversed(turns)), "idle"),
        "last_event_id": last_seq,
        "messages": messages,
    }
