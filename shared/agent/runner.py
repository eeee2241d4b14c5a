"""One agent step: call the model once, run its tool calls, append events, chain the next step.

Delivery is at least once and a step may crash anywhere, so:

* a lease on the turn row stops a duplicate delivery from running the same step concurrently;
* the step's outcome is written as a create-only object (the session log) before it is
  committed, so a step that crashed after that point is finished from its record, not redone;
* events are appended in the transaction that advances the turn, unique by (turn, step, idx).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import CursorResult, Update, delete, or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shared.adapters.identity.port import Principal
from shared.adapters.model.messages import (
    AssistantMessage,
    Message,
    SystemBlock,
    TextDelta,
    ToolCallEvent,
    ToolResultMessage,
    message_to_dict,
)
from shared.adapters.model.protocol import CurrentDashboard
from shared.agent import history
from shared.agent.context import AgentContext, AgentPorts, TurnState
from shared.agent.steplog import SESSIONS, StepRecord, step_path
from shared.db.models import ChatSession, Connection, LiveToken, Team, Turn
from shared.db.wakeup import mark
from shared.errors import BridgeError, LimitExceeded, NotFound, PreconditionFailed, Unavailable
from shared.services.chat import append_events, enqueue_step

log = logging.getLogger("bridge.agent")
LEASE_S = 120.0  # longer than one step may take; a crashed step is retried after it
TOKEN_CHUNK = 48
LIVE_FLUSH_S = 0.15  # a slow model's text still reaches the browser within this


@dataclass
class Loaded:
    session: ChatSession
    turn: Turn
    team: Team
    conn: Connection
    history: list[Message] = field(default_factory=list)


def handle_task(c: AgentPorts, payload: dict[str, Any]) -> None:
    """The ``agent_step`` task handler (Cloud Tasks target and in-process queue alike)."""
    run_step(c, payload["session_id"], payload["turn_id"], int(payload["step"]))


def run_step(c: AgentPorts, session_id: str, turn_id: str, step: int) -> str:
    """Run ``step`` of a turn once; returns what happened (for tests and logs)."""
    owner = uuid.uuid4().hex
    with c.db.read() as s:  # on SQLite the writer lock is held only for the claim's one UPDATE
        turn = s.get(Turn, turn_id)
        if turn is None or turn.session_id != session_id:
            return "unknown"
        if turn.status in ("done", "failed"):
            return "finished"
        if step < turn.step:
            enqueue_step(c, session_id, turn_id, turn.step)  # the chain may have broken after a commit
            return "duplicate"
        if step > turn.step:
            return "early"
        if turn.lease_owner and turn.lease_until and turn.lease_until > time.time():
            raise Unavailable("this step is running elsewhere; retry later")
    if not _claim(c, turn_id, step, owner):
        raise Unavailable("this step was claimed concurrently; retry later")
    with c.db.read() as s:
        loaded = _load(c, s, session_id, turn_id)
    path = step_path(loaded.session, loaded.turn, step)
    store = c.store(SESSIONS)
    existing = store.head(path)
    if existing is not None:
        record = StepRecord.from_bytes(store.get(path).data)
    else:
        try:
            record = _compute(c, loaded, step)
        except _RetryStep as retry:
            _release(c, turn_id, owner, retry.state)
            raise retry.error from None
        except BaseException:
            _release(c, turn_id, owner, None)
            raise
        try:
            store.put(path, record.to_bytes(), content_type="application/json", if_generation_match=0)
        except PreconditionFailed:
            record = StepRecord.from_bytes(store.get(path).data)
    return _commit(c, loaded, step, record)


class _RetryStep(Exception):
    """The step failed transiently: persist the error count, release the lease, let the queue retry."""

    def __init__(self, error: BridgeError, state: dict[str, Any]) -> None:
        self.error, self.state = error, state


def _release(c: AgentPorts, turn_id: str, owner: str, state: dict[str, Any] | None) -> None:
    with c.db.session() as s:
        turn = s.get(Turn, turn_id)
        if turn is not None and turn.lease_owner == owner:
            turn.lease_owner, turn.lease_until = None, None
            if state is not None:
                turn.state = state


def _claim(c: AgentPorts, turn_id: str, step: int, owner: str) -> bool:
    """Lease ``step`` to ``owner`` if it is still the turn's next step and nobody holds it."""
    now = time.time()
    with c.db.session() as s:
        claimed = _updated(
            s,
            update(Turn)
            .where(
                Turn.id == turn_id,
                Turn.step == step,
                Turn.status.not_in(("done", "failed")),
                or_(Turn.lease_owner.is_(None), Turn.lease_until.is_(None), Turn.lease_until <= now),
            )
            .values(
                lease_owner=owner,
                lease_until=now + LEASE_S,
                status="running",
                row_version=Turn.row_version + 1,  # an ORM copy read before this is stale
            ),
        )
        return claimed == 1


def _updated(s: Session, statement: Update) -> int:
    """Run an UPDATE (no ORM objects to synchronize); how many rows it changed."""
    result = s.execute(statement.execution_options(synchronize_session=False))
    return int(cast("CursorResult[Any]", result).rowcount)


def _commit(c: AgentPorts, loaded: Loaded, step: int, record: StepRecord) -> str:
    """Advance the turn past ``step`` with its events, unless another delivery already did."""
    done = {"status": record.status, "error": record.error} if record.final else {}
    saved = TurnState.from_dict(record.state.get("turn")).saved
    turn = loaded.turn
    try:
        with c.db.session() as s:
            advanced = _updated(
                s,
                update(Turn)
                .where(Turn.id == turn.id, Turn.step == step, Turn.status.not_in(("done", "failed")))
                .values(
                    step=step + 1,
                    state=record.state,
                    lease_owner=None,
                    lease_until=None,
                    row_version=Turn.row_version + 1,
                    **done,
                ),
            )
            if advanced != 1:
                return "duplicate"
            append_events(s, turn, step, record.events)
            s.execute(delete(LiveToken).where(LiveToken.turn_id == turn.id, LiveToken.step == step))
            if saved:
                _updated(
                    s,
                    update(ChatSession)
                    .where(ChatSession.id == loaded.session.id)
                    .values(dashboard_slug=saved["dashboard_slug"]),
                )
    except IntegrityError:
        history.forget(loaded.session.id)
        return "duplicate"
    history.carry(loaded.session.id, loaded.turn, step, record)
    if not record.final:
        enqueue_step(c, loaded.session.id, loaded.turn.id, step + 1)
    return record.status if record.final else "stepped"


def _load(c: AgentPorts, s: Session, session_id: str, turn_id: str) -> Loaded:
    session = s.get(ChatSession, session_id)
    turn = s.get(Turn, turn_id)
    if session is None or turn is None:
        raise NotFound("chat turn not found")
    team = s.get(Team, session.team_id)
    conn = s.get(Connection, session.connection_id)
    if team is None or conn is None:
        raise NotFound("the session's team or connection is gone")
    messages = history.conversation(c, s, session, turn)  # carried from the last step, or rebuilt
    s.expunge_all()
    return Loaded(session, turn, team, conn, messages)


def _compute(c: AgentPorts, loaded: Loaded, step: int) -> StepRecord:
    """Call the model once and run its tool calls; every failure becomes part of the record."""
    from shared.agent.limits import LimitTracker

    raw = loaded.turn.state or {}
    tracker = LimitTracker.from_dict(raw["limits"]) if "limits" in raw else LimitTracker.start()
    turn_state = TurnState.from_dict(raw.get("turn"))
    if turn_state.dashboard_slug is None and loaded.session.dashboard_slug:
        turn_state.dashboard_slug = loaded.session.dashboard_slug
    context = raw.get("context") or turn_context(loaded, turn_state)  # fixed for the turn: a stable prefix
    editing = raw.get("editing", turn_state.dashboard_slug)  # fixed for the turn too
    events: list[tuple[str, dict[str, Any]]] = []
    messages: list[dict[str, Any]] = []

    def state_dict() -> dict[str, Any]:
        return {
            "limits": tracker.to_dict(),
            "turn": turn_state.to_dict(),
            "context": context,
            "editing": editing,
        }

    def record(final: bool, status: str = "running", error: str | None = None) -> StepRecord:
        return StepRecord(messages, events, state_dict(), final, status, error)

    try:
        tracker.start_step()
        response_text, calls = _call_model(
            c,
            loaded,
            tracker,
            context,
            current_dashboard(c, loaded, editing),
            events,
            _live_publisher(c, loaded, step),
        )
    except LimitExceeded as err:
        return _failed(record, events, turn_state, err)
    except BridgeError as err:
        try:
            tracker.record_error(err.code)
        except LimitExceeded as over:
            return _failed(record, events, turn_state, over, cause=err)
        tracker.steps -= 1  # the retried step is the same step
        raise _RetryStep(err, state_dict()) from err

    assistant = AssistantMessage(response_text, tuple(calls))
    messages.append(message_to_dict(assistant))
    if not calls:
        events.append(_done("done", response_text, turn_state))
        return record(final=True, status="done")

    registry = c.tools
    ctx = AgentContext(
        c,
        loaded.team.id,
        loaded.conn.id,
        Principal(loaded.session.user_id, loaded.session.user_id),
        loaded.session.id,
        loaded.turn.id,
        turn_state,
    )
    for call in calls:
        events.append(("tool_call", {"call_id": call.id, "name": call.name, "arguments": call.arguments}))
        outcome = registry.call(call.name, call.arguments, ctx)
        result_msg = outcome.to_message(call)
        messages.append(message_to_dict(result_msg))
        events.append(("tool_result", _result_event(call.id, call.name, result_msg)))
        events.extend(ctx.events)
        ctx.events.clear()
        if outcome.error is not None:
            try:
                tracker.record_error(outcome.error.code)
            except LimitExceeded as over:
                return _failed(record, events, turn_state, over)
    return record(final=False)


def _call_model(
    c: AgentPorts,
    loaded: Loaded,
    tracker: Any,
    context: str,
    dashboard: CurrentDashboard | None,
    events: list[tuple[str, dict[str, Any]]],
    live: Callable[[str], None],
) -> tuple[str, list[Any]]:
    from shared.adapters.model.messages import ModelRequest
    from shared.agent.knowledge_block import turn_knowledge

    knowledge, block = turn_knowledge(c, loaded.team.id, loaded.session.user_id, loaded.turn.user_message)
    request = ModelRequest(
        system=system_prompt(c, context, block),
        messages=tuple(loaded.history),
        tools=tuple(c.tools.specs()),
        max_output_tokens=tracker.output_budget(),
        dashboard=dashboard,
        knowledge=knowledge,
    )
    text: list[str] = []
    pending = unshown = ""
    flushed = time.monotonic()
    shown: float | None = None  # when text was last published live (None: not yet in this step)
    calls = []

    def flush() -> None:  # one token event, committed with the step's other events
        nonlocal pending, flushed
        events.append(("token", {"text": pending}))
        pending, flushed = "", time.monotonic()

    def show() -> None:  # one live row (one commit): the first text at once, then at most every flush
        nonlocal unshown, shown
        live(unshown)
        unshown, shown = "", time.monotonic()

    for event in c.chat_model(loaded.team.model, loaded.team.model_region).stream(request):
        if isinstance(event, TextDelta):
            text.append(event.text)
            pending += event.text
            unshown += event.text
            if len(pending) >= TOKEN_CHUNK or time.monotonic() - flushed >= LIVE_FLUSH_S:
                flush()
            if shown is None or time.monotonic() - shown >= LIVE_FLUSH_S:
                show()
        elif isinstance(event, ToolCallEvent):
            calls.append(event.to_call())
        else:
            tracker.record_usage(event.usage)
    if pending:
        flush()
    if unshown and calls:  # shown while the tools run; a final answer is committed right away instead
        show()
    return "".join(text), calls


def _live_publisher(c: AgentPorts, loaded: Loaded, step: int) -> Callable[[str], None]:
    """Publish text while the model writes it (best effort: the committed events are the record)."""
    attempt = uuid.uuid4().hex[:16]

    def publish(text: str) -> None:
        try:
            with c.db.session() as s:
                s.add(
                    LiveToken(
                        session_id=loaded.session.id,
                        turn_id=loaded.turn.id,
                        step=step,
                        attempt=attempt,
                        text=text,
                    )
                )
                mark(s, loaded.session.id)
        except Exception as exc:
            log.warning("live token not published: %s", type(exc).__name__)

    return publish


def _done(status: str, message: str, turn_state: TurnState) -> tuple[str, dict[str, Any]]:
    """The turn's last event: how it ended, what was said, and the dashboard it saved (if any)."""
    saved = turn_state.saved or {}
    return (
        "done",
        {
            "status": status,
            "message": message,
            "dashboard_slug": saved.get("dashboard_slug"),
            "yaml_path": saved.get("yaml_path"),
            "preview_url": saved.get("preview_url"),
        },
    )


def _failed(
    record: Any,
    events: list[tuple[str, dict[str, Any]]],
    turn_state: TurnState,
    err: BridgeError,
    cause: BridgeError | None = None,
) -> StepRecord:
    message = f"I had to stop: {err.message}."
    if cause is not None:
        message = f"I had to stop: the model kept failing ({cause.message})."
    events.append(("error", {"code": (cause or err).code, "message": message}))
    events.append(_done("failed", message, turn_state))
    rec: StepRecord = record(final=True, status="failed", error=message)
    return rec


def _result_event(call_id: str, name: str, msg: ToolResultMessage) -> dict[str, Any]:
    if msg.error is not None:
        return {
            "call_id": call_id,
            "name": name,
            "ok": False,
            "error": msg.error,
            "summary": f"{name} failed: {msg.error.get('message', '')}"[:300],
        }
    return {
        "call_id": call_id,
        "name": name,
        "ok": True,
        "result": msg.result,
        "summary": _summary(name, msg.result),
    }


def _summary(name: str, result: Any) -> str:
    if isinstance(result, dict):
        for key in ("summary", "message"):
            if isinstance(result.get(key), str):
                return str(result[key])[:300]
        if "total_bytes_processed" in result:
            return f"dry run: {result['total_bytes_processed']:,} bytes"
        if "tables" in result and isinstance(result["tables"], list):
            return f"{len(result['tables'])} tables"
    return f"{name} done"


def current_dashboard(c: AgentPorts, loaded: Loaded, slug: str | None) -> CurrentDashboard | None:
    """The dashboard this session edits, as the model request carries it (YAML None if unreadable)."""
    if not slug:
        return None
    from shared.services.dashboards import get_dashboard

    user = Principal(loaded.session.user_id, loaded.session.user_id)
    try:
        row, text = c.db.read_or_repair(lambda s: get_dashboard(c, s, user, loaded.team.id, slug))
    except BridgeError:  # deleted or no longer readable: the model still learns the slug
        return CurrentDashboard(slug)
    return CurrentDashboard(slug, row.version, text)


def turn_context(loaded: Loaded, turn_state: TurnState) -> str:
    """The volatile last prompt block: who and what this turn is about (computed once per turn)."""
    editing = (
        f"This chat is editing dashboard '{turn_state.dashboard_slug}'."
        if turn_state.dashboard_slug
        else "No dashboard has been saved in this chat yet."
    )
    return (
        f"Team: {loaded.team.name}. Connection: {loaded.conn.name} ({loaded.conn.warehouse_type}, "
        f"project {loaded.conn.config.get('project')}). {editing}"
    )


def system_prompt(c: AgentPorts, context: str, team: SystemBlock | None = None) -> tuple[SystemBlock, ...]:
    """Stable prompt blocks (from the database, byte-identical across steps), the team's knowledge
    block when it has one, then the turn's context."""
    from shared.agent.prompts import system_blocks

    return (*system_blocks(c.prompt_blocks()), *([team] if team else []), SystemBlock("context", context))
