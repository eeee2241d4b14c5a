"""chat_turn: chat sessions, messages and the server-sent event stream."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response, g, request, stream_with_context

from shared.adapters.identity.port import Principal
from shared.db.wakeup import Watch
from shared.entry import stream_token
from shared.entry.app import container, json_body, obj, principal
from shared.entry.input_guard import parse_int
from shared.entry.stream_slots import stream_slots
from shared.errors import BadRequest, Unauthorized
from shared.services import chat, turn_recovery

bp = Blueprint("chat", __name__)

SESSION_BODY = obj(
    {"team_id": {"type": "string", "maxLength": 100}, "connection_id": {"type": "string", "maxLength": 100}},
    ["team_id", "connection_id"],
)
MESSAGE_BODY = obj(
    {"content": {"type": "string", "minLength": 1, "maxLength": 4000, "pattern": r"\S"}}, ["content"]
)
# A stream wakes when a write for its session commits (shared/db/wakeup.py: in-process at once,
# other instances through Postgres NOTIFY); these slow polls only cover a missed wake-up.
POLL_RUNNING_S = 1.0
POLL_IDLE_S = 2.0
BUSY_RETRY_MS = 1500  # EventSource reconnect delay when this instance has no stream slot free
IDLE_WAIT_S = 25.0
# Writing is how a stream learns that its client left (and frees its slot): an idle stream writes a
# comment this often, so a departed viewer holds a slot for seconds, not until its wait runs out.
KEEPALIVE_S = 2.0
MAX_STREAM_S = 55.0  # below the function timeout; clients resume with Last-Event-ID


@bp.post("/v1/chat/sessions")
def create_session() -> Any:
    body = json_body(SESSION_BODY)
    who = principal()
    with container().db.session() as s:
        session = chat.create_session(s, who, body["team_id"], body["connection_id"])
        return {"id": session.id, "team_id": session.team_id, "connection_id": session.connection_id}, 201


@bp.get("/v1/chat/sessions/<session_id>")
def get_session(session_id: str) -> Any:
    who = principal()
    with container().db.read() as s:
        return chat.session_json(s, chat.require_session(s, who, session_id))


@bp.post("/v1/chat/sessions/<session_id>/messages")
def post_message(session_id: str) -> Any:
    """Queue a turn and stream its events until it is done."""
    body = json_body(MESSAGE_BODY)
    who = principal()
    c = container()
    with c.db.session() as s:
        session = chat.require_session(s, who, session_id)
        after = chat.last_event_id(s, session.id)
        turn = chat.start_turn(c, s, session, body["content"].strip())
        turn_id = turn.id
    chat.enqueue_step(c, session_id, turn_id, 0)
    return _sse(session_id, after, until_turn=turn_id)


@bp.post("/v1/chat/sessions/<session_id>/stream-token")
def mint_stream_token(session_id: str) -> Any:
    """A short-lived token for ``?access_token=`` on this session's event stream (EventSource)."""
    who = principal()
    c = container()
    with c.db.read() as s:
        session = chat.require_session(s, who, session_id)
        team_id = session.team_id
    token, exp = stream_token.mint(c.local_identity.secret, who, team_id, session_id)
    return {"token": token, "expires_at": exp}, 201


def _stream_principal(session_id: str) -> tuple[Principal, str | None]:
    """The caller of the event stream: a bearer header, else a stream token for this session."""
    if "access_token" not in request.args:
        return principal(), None
    if request.headers.get("Authorization"):
        raise Unauthorized("send either Authorization or ?access_token=, not both")
    raw = request.args.get("access_token", "")
    who, team_id = stream_token.verify(container().local_identity.secret, raw, session_id)
    g.principal = who
    return who, team_id


@bp.get("/v1/chat/sessions/<session_id>/events")
def events(session_id: str) -> Any:
    """Replay events after ``Last-Event-ID`` (or ``?after=``), then follow the running turn."""
    who, token_team = _stream_principal(session_id)
    raw = request.headers.get("Last-Event-ID") or request.args.get("after") or "0"
    after = parse_int(raw, "after")
    c = container()
    with c.db.session() as s:
        session = chat.require_session(s, who, session_id)  # still a member of the team
        if token_team is not None and session.team_id != token_team:
            raise Unauthorized("the stream token is for another team")
        turn_recovery.recover(c, s, session_id, resume=True)  # a turn whose worker died runs again
    return _sse(session_id, after, until_turn=None)


def _wait_s() -> float:
    try:
        return max(0.0, min(float(request.args.get("wait", IDLE_WAIT_S)), MAX_STREAM_S))
    except ValueError:
        raise BadRequest("wait must be a number of seconds", details=[{"path": "wait"}]) from None


def _sse(session_id: str, after: int, *, until_turn: str | None) -> Response:
    """Tail the session's event log as SSE.

    With ``until_turn`` the stream ends at that turn's ``done``; otherwise it follows whatever turn
    is running and ends after ``wait`` idle seconds (the browser reconnects with Last-Event-ID).
    Without a free stream slot (see :mod:`shared.entry.stream_slots`) it sends what is committed
    and ends at once, asking the browser to reconnect a little later.
    """
    c = container()
    wait_s = _wait_s()
    slots = stream_slots()

    def stream() -> Iterator[str]:
        held = slots.acquire()
        try:
            with c.db.wakeup.watch(session_id) as watch:
                yield from follow(held, watch)
        finally:
            if held:
                slots.release()

    def follow(held: bool, watch: Watch) -> Iterator[str]:
        last, live_seen, started = after, 0, time.monotonic()
        quiet_since = last_write = started
        yield "retry: 1000\n\n" if held else f"retry: {BUSY_RETRY_MS}\n\n"
        while time.monotonic() - started < MAX_STREAM_S:
            seen = watch.version  # before reading: a commit after this wakes the wait below
            with c.db.read() as s:
                batch = chat.events_after(s, session_id, last)
                running = chat.active_turn(s, session_id)
                live = chat.live_tokens_after(s, session_id, live_seen) if running and not batch else []
            for t in live:  # no ``id:``: live text is superseded by the step's committed tokens
                live_seen = t.id
                data = {
                    "turn_id": t.turn_id,
                    "step": t.step,
                    "text": t.text,
                    "live": True,
                    "attempt": t.attempt,
                    "seq": t.id,
                }
                yield f"event: token\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"
            for e in batch:
                last = e.seq
                yield f"id: {e.seq}\nevent: {e.type}\ndata: {json.dumps(e.data, separators=(',', ':'))}\n\n"
                if e.type == "done" and until_turn is not None and e.turn_id == until_turn:
                    return
            if not held:
                return
            now = time.monotonic()
            if batch or live:
                quiet_since = last_write = now
                continue
            idle = until_turn is None and running is None
            if idle and now - quiet_since >= wait_s:
                return
            if now - last_write >= KEEPALIVE_S:
                last_write = now
                yield ": keep-alive\n\n"
            timeout = min(
                POLL_RUNNING_S if running else POLL_IDLE_S,
                KEEPALIVE_S - (now - last_write),
                MAX_STREAM_S - (now - started),
                wait_s - (now - quiet_since) if idle else MAX_STREAM_S,
            )
            watch.wait(seen, max(timeout, 0.0))

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return Response(stream_with_context(stream()), mimetype="text/event-stream", headers=headers)
