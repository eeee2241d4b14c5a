"""What one agent step writes: the claim, its live text coalesced, and one commit of all its events.

Write transactions are counted on the real database (SQLite and Postgres) while steps run by hand.
The live-text interval is set beyond the test's length, so what is coalesced does not depend on
the machine's speed: a step publishes its first text at once and the rest once, before its tools.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from chat_helpers import ChatEnv
from doubles.generation import create_session
from doubles.scripted_model import ScriptedModel
from sqlalchemy import event, select

from shared.adapters.model.messages import ToolCallEvent
from shared.adapters.tasks.inprocess import InProcessTaskQueue
from shared.agent import history, runner
from shared.db.models import ChatEvent
from shared.services import chat

WORDS = [f"word{n:02d} " for n in range(40)]  # 280 characters: six committed token chunks
WRITE_STATEMENTS: list[list[str]] = []  # per write transaction: the verb of every statement it ran


@pytest.fixture
def env(chat_env: ChatEnv, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[ChatEnv, list[Any]]]:
    queue = InProcessTaskQueue(workers=1)
    queue.register("agent_step", lambda payload: None)
    queue.register("precompute", lambda payload: None)
    chat_env.c.__dict__["task_queue"] = queue
    monkeypatch.setattr(runner, "LIVE_FLUSH_S", 3600.0)
    history.clear()
    writes: list[Any] = []  # per write transaction: the tables it inserted into
    WRITE_STATEMENTS.clear()

    @event.listens_for(chat_env.c.db.engine, "before_cursor_execute")
    def statement(conn: Any, _cur: Any, sql: str, *_: Any) -> None:
        verb = sql.lstrip().split(None, 1)[0].upper()
        conn.info.setdefault("ran", []).append(verb)
        if verb in ("INSERT", "UPDATE", "DELETE"):
            conn.info.setdefault("wrote", []).append(sql.split("(")[0].split(" SET ")[0].strip())

    @event.listens_for(chat_env.c.db.engine, "commit")
    def commit(conn: Any) -> None:
        ran = conn.info.pop("ran", [])
        if conn.info.get("wrote"):
            writes.append(conn.info.pop("wrote"))
            WRITE_STATEMENTS.append(ran)

    yield chat_env, writes
    event.remove(chat_env.c.db.engine, "before_cursor_execute", statement)
    event.remove(chat_env.c.db.engine, "commit", commit)
    queue.close()


def test_a_step_commits_its_events_once_and_its_live_text_twice(env: tuple[ChatEnv, list[Any]]) -> None:
    chat_env, writes = env
    chat_env.c.install_model(
        ScriptedModel([[*WORDS, ToolCallEvent("c1", "lookup", {"what": "tables"})], [*WORDS]])
    )
    session_id = create_session(chat_env.c, chat_env.user, chat_env.team_id, chat_env.connection_id)
    with chat_env.c.db.session() as s:
        turn_id = chat.start_turn(chat_env.c, s, chat.require_session(s, chat_env.user, session_id), "hi").id
    chat_env.c.prompt_blocks()  # an instance stores its prompt blocks once, before its first step
    writes.clear()
    assert runner.run_step(chat_env.c, session_id, turn_id, 0) == "stepped"
    tool_step, writes[:] = list(writes), []
    assert runner.run_step(chat_env.c, session_id, turn_id, 1) == "done"
    final_step = list(writes)

    def kinds(step: list[Any]) -> list[str]:
        return [
            "events"
            if any("chat_events" in w for w in tx)
            else "live"
            if tx == ["INSERT INTO live_tokens"]
            # the claim updates the turn row alone
            else "claim"
            if tx == ["UPDATE chat_turns"]
            else "other"
            for tx in step
        ]

    # the claim, the first text, the rest before the tool runs, then one transaction with every
    # event of the step
    assert kinds(tool_step) == ["claim", "live", "live", "events"]
    assert kinds(final_step) == ["claim", "live", "events"]  # a final answer's rest is committed at once
    # on SQLite a write transaction holds the writer lock: the claim is its one UPDATE (the step
    # reads the turn and its history in read transactions); the events' commit advances the turn,
    # reads the last event id, inserts every event at once (Postgres: a notify) and drops the live text
    assert WRITE_STATEMENTS.count(["UPDATE"]) == 2, WRITE_STATEMENTS
    notify = ["SELECT"] if chat_env.c.db.engine.dialect.name == "postgresql" else []
    commits = [ran for ran in WRITE_STATEMENTS if "DELETE" in ran]
    assert commits == [["UPDATE", "SELECT", "INSERT", *notify, "DELETE"]] * 2, WRITE_STATEMENTS
    with chat_env.c.db.session() as s:
        rows = s.scalars(
            select(ChatEvent).where(ChatEvent.session_id == session_id).order_by(ChatEvent.seq)
        ).all()
    tokens = [e for e in rows if e.type == "token" and e.step == 0]
    assert "".join(e.data["text"] for e in tokens) == "".join(WORDS)
    assert len(tokens) == 6  # committed in 48-character chunks, all in the step's one transaction
    assert [e.type for e in rows][-1] == "done"
