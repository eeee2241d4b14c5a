"""The conversation a step sends to the model, carried from step to step instead of re-read.

A step's history is the session's earlier turns as question + answer (their tool calls and
results elided, so a prompt grows with the session's messages, not with every earlier tool
output), then this turn's question and the messages of its committed steps. Rebuilding it reads
every earlier turn and ``done`` event of the session and every step record of the turn, work
that grows with the session on every step. So the instance keeps, per session, the history as
of the step it committed last, keyed by (turn id, next step); the next step on this instance
starts from it, and step 0 of the next turn from the finished turn's entry plus its question and
answer. A step whose key does not match (another instance committed the last step, the instance
restarted, recovery failed the turn) rebuilds it from the database and the session log: the
same messages by construction, since a step's record is create-only and committed once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.adapters.model.messages import AssistantMessage, Message, UserMessage, message_from_dict
from shared.agent.steplog import SESSIONS, StepRecord, step_path
from shared.bounded_cache import BoundedCache
from shared.db.models import ChatEvent, ChatSession, Turn
from shared.errors import NotFound
from shared.ports import Ports

CARRIED_BYTES = 32 * 1024 * 1024  # the messages this instance keeps, over all its sessions


@dataclass(frozen=True)
class Carried:
    """A session's history as of ``next_step`` of ``turn_id``."""

    turn_id: str
    next_step: int
    question: str  # the turn's user message
    earlier: tuple[Message, ...]  # the turns before it, question + answer
    steps: tuple[Message, ...]  # the messages of its committed steps
    answer: str | None  # the turn's final message, once its last step committed
    size: int  # JSON bytes of the messages, for the cache's bound


_CARRIED: BoundedCache[str, Carried] = BoundedCache(CARRIED_BYTES, sizeof=lambda v: v.size)


def conversation(c: Ports, s: Session, session: ChatSession, turn: Turn) -> list[Message]:
    """The messages step ``turn.step`` of ``turn`` sends: carried when this instance ran the last step."""
    got = _CARRIED.get(session.id)
    if got is not None and got.turn_id == turn.id and got.next_step == turn.step:
        return [*got.earlier, UserMessage(turn.user_message), *got.steps]
    if turn.step == 0 and got is not None and got.answer is not None:
        previous = s.scalar(
            select(Turn.id)
            .where(Turn.session_id == session.id, Turn.seq < turn.seq)
            .order_by(Turn.seq.desc())
            .limit(1)
        )
        if previous == got.turn_id:
            earlier = _after(got)
            size = got.size + len(got.question) + len(got.answer)
            _CARRIED.put(
                session.id,
                Carried(turn.id, 0, turn.user_message, earlier, (), None, size + len(turn.user_message)),
            )
            return [*earlier, UserMessage(turn.user_message)]
    return rebuild(c, s, session, turn)


def carry(session_id: str, turn: Turn, step: int, record: StepRecord) -> None:
    """After ``record`` of ``step`` committed: the history of the next step (or the next turn)."""
    got = _CARRIED.get(session_id)
    if got is None or got.turn_id != turn.id or got.next_step != step:
        return  # this instance did not carry the history up to this step: the next one rebuilds
    added = tuple(message_from_dict(m) for m in record.messages)
    answer = None
    if record.final:
        answer = next((str(d.get("message") or "") for k, d in reversed(record.events) if k == "done"), "")
    _CARRIED.put(
        session_id,
        Carried(
            turn.id,
            step + 1,
            got.question,
            got.earlier,
            got.steps + added,
            answer,
            got.size + sum(_size(m) for m in record.messages),
        ),
    )


def forget(session_id: str) -> None:
    _CARRIED.pop(session_id)


def clear() -> None:
    """Forget every session (tests: as a fresh instance would start)."""
    _CARRIED.clear()


def rebuild(c: Ports, s: Session, session: ChatSession, turn: Turn) -> list[Message]:
    """The history read from the database and the session log, remembered for the next step."""
    got = read(c, s, session, turn)
    _CARRIED.put(session.id, got)
    return [*got.earlier, UserMessage(turn.user_message), *got.steps]


def read(c: Ports, s: Session, session: ChatSession, turn: Turn) -> Carried:
    """Every earlier turn's question and answer, and the messages of this turn's step records."""
    earlier_turns = list(
        s.scalars(select(Turn).where(Turn.session_id == session.id, Turn.seq < turn.seq).order_by(Turn.seq))
    )
    answers = {
        e.turn_id: str(e.data.get("message") or "")
        for e in s.scalars(
            select(ChatEvent).where(ChatEvent.session_id == session.id, ChatEvent.type == "done")
        )
    }
    earlier: list[Message] = []
    size = len(turn.user_message)
    for t in earlier_turns:
        earlier.append(UserMessage(t.user_message))
        if answers.get(t.id):
            earlier.append(AssistantMessage(answers[t.id]))
        size += len(t.user_message) + len(answers.get(t.id) or "")
    store = c.store(SESSIONS)
    raw: list[dict[str, Any]] = []
    for n in range(turn.step):
        try:
            raw.extend(StepRecord.from_bytes(store.get(step_path(session, turn, n)).data).messages)
        except NotFound:
            continue
    size += sum(_size(m) for m in raw)
    steps = tuple(message_from_dict(m) for m in raw)
    return Carried(turn.id, turn.step, turn.user_message, tuple(earlier), steps, None, size)


def _after(got: Carried) -> tuple[Message, ...]:
    """The earlier turns as seen by the turn after ``got``'s (finished) turn."""
    answer = (AssistantMessage(got.answer),) if got.answer else ()
    return (*got.earlier, UserMessage(got.question), *answer)


def _size(message: dict[str, Any]) -> int:
    return len(json.dumps(message, separators=(",", ":"), default=str))
