"""Turns whose worker died mid-step (a crash, ``kill -9``, a lost task) are recovered, not stuck.

A turn is stalled when it is queued or running and either its lease expired (the step's owner is
gone) or nobody holds it and the row has not moved for ``STALL_S``. The next stream read
re-queues it from its last committed step (at most ``MAX_RECOVERIES`` times, under a new task
name so neither the in-process queue nor Cloud Tasks deduplicates it away); the next message
fails it cleanly (an ``error`` event and a failed ``done``) so the new message can run.
"""

from __future__ import annotations

import datetime as dt
import logging
import time

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from shared.adapters.tasks.naming import task_name
from shared.db.models import Turn
from shared.ports import Ports

log = logging.getLogger("bridge.chat")

STALL_S = 120.0  # the agent step lease (shared.agent.runner.LEASE_S): a live step renews it per step
MAX_RECOVERIES = 2
INTERRUPTED = "I had to stop: the worker answering this message stopped. Please send it again."


def stalled(turn: Turn, now: float, stall_s: float = STALL_S) -> bool:
    """True when ``turn`` is active but nobody is (or will be) running it."""
    if turn.status not in ("queued", "running"):
        return False
    if turn.lease_owner:
        return bool(turn.lease_until is not None and turn.lease_until < now)
    updated = turn.updated_at
    if updated.tzinfo is None:
        updated = updated.replace(tzinfo=dt.UTC)
    return updated.timestamp() < now - stall_s


def recover(c: Ports, s: Session, session_id: str, *, resume: bool, stall_s: float = STALL_S) -> str | None:
    """Recover the session's stalled turn: ``requeued`` (resume) or ``failed``; None when none is."""
    from shared.services import chat

    turn = s.scalar(select(Turn).where(Turn.session_id == session_id, Turn.status.in_(chat.ACTIVE)))
    if turn is None or not stalled(turn, time.time(), stall_s):
        return None
    recoveries = int((turn.state or {}).get("recoveries", 0))
    try:
        if resume and recoveries < MAX_RECOVERIES:
            turn.state = {**(turn.state or {}), "recoveries": recoveries + 1}
            turn.lease_owner, turn.lease_until = None, None
            s.flush()
            c.task_queue.enqueue(
                "agent_step",
                {"session_id": session_id, "turn_id": turn.id, "step": turn.step},
                name=task_name(
                    "agent-step", session_id, turn.id, str(turn.step), f"recover-{recoveries + 1}"
                ),
            )
            log.warning("turn %s stalled at step %d: re-queued", turn.id, turn.step)
            return "requeued"
        done = {
            "status": "failed",
            "message": INTERRUPTED,
            "dashboard_slug": None,
            "yaml_path": None,
            "preview_url": None,
        }
        chat.append_events(
            s, turn, turn.step, [("error", {"code": "interrupted", "message": INTERRUPTED}), ("done", done)]
        )
        turn.status, turn.error, turn.lease_owner, turn.lease_until = "failed", INTERRUPTED, None, None
        s.flush()
    except StaleDataError:
        return None  # another reader recovered it first
    log.warning("turn %s stalled at step %d: failed", turn.id, turn.step)
    return "failed"
