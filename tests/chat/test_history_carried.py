"""A step's history is carried from the step before it, and equals what re-reading the session gives.

Steps are run by hand on a real in-process queue whose ``agent_step`` handler only records the
delivery (as in test_chat_faults); before every step the expected history is read from the
database and the session log (``history.read``, which remembers nothing), and the model's request
must carry exactly that. Redeliveries, a crash after the log write, another instance running a
step and a stale entry all keep it so.
"""

from __future__ import annotations

from typing import Any

import pytest
from chat_helpers import ChatEnv, lookup_script
from doubles.generation import create_session
from doubles.scripted_model import ScriptedModel
from sqlalchemy import select

from shared.adapters.model.messages import Message, UserMessage
from shared.adapters.tasks.inprocess import InProcessTaskQueue
from shared.agent import history, runner
from shared.db.models import ChatEvent, ChatSession, Turn
from shared.services import chat


@pytest.fixture
def env(chat_env: ChatEnv, monkeypatch: pytest.MonkeyPatch) -> Any:
    queue = InProcessTaskQueue(workers=1)
    queue.register("agent_step", lambda payload: None)  # the test delivers every step itself
    queue.register("precompute", lambda payload: None)
    chat_env.c.__dict__["task_queue"] = queue
    chat_env.model = ScriptedModel(lookup_script() * 4)
    chat_env.c.install_model(chat_env.model)
    history.clear()
    rebuilds: list[str] = []
    real = history.rebuild

    def counted(c: Any, s: Any, session: Any, turn: Any) -> list[Message]:
        rebuilds.append(f"{turn.seq}.{turn.step}")
        return real(c, s, session, turn)

    monkeypatch.setattr(history, "rebuild", counted)
    chat_env.rebuilds = rebuilds
    yield chat_env
    queue.close()
    history.clear()


def expected(env: ChatEnv, turn_id: str) -> tuple[Message, ...]:
    """The history re-read from scratch (what every step did before it was carried)."""
    with env.c.db.session() as s:
        turn = s.get(Turn, turn_id)
        session = s.get(ChatSession, turn.session_id)
        got = history.read(env.c, s, session, turn)
    return (*got.earlier, UserMessage(turn.user_message), *got.steps)


def new_turn(env: ChatEnv, session_id: str, text: str) -> str:
    with env.c.db.session() as s:
        return chat.start_turn(env.c, s, chat.require_session(s, env.user, session_id), text).id


def step(env: ChatEnv, session_id: str, turn_id: str, n: int) -> str:
    """Run step ``n`` and check the model was sent exactly the re-read history."""
    want = expected(env, turn_id)
    calls = len(env.model.requests)
    outcome = runner.run_step(env.c, session_id, turn_id, n)
    if len(env.model.requests) > calls:
        assert env.model.requests[-1].messages == want
    return outcome


def test_three_turns_rebuild_the_history_once(env: ChatEnv) -> None:
    session_id = create_session(env.c, env.user, env.team_id, env.connection_id)
    for text in ("what is there?", "and the columns?", "and now?"):
        turn_id = new_turn(env, session_id, text)
        assert [step(env, session_id, turn_id, n) for n in range(3)] == ["stepped", "stepped", "done"]
    assert len(env.model.requests) == 9
    last = env.model.requests[-1].messages
    assert [m.text for m in last if isinstance(m, UserMessage)] == [
        "what is there?",
        "and the columns?",
        "and now?",
    ]
    # only the session's very first step read the session; the other eight were carried
    assert env.rebuilds == ["1.0"]


def test_redelivered_steps_keep_the_carried_history_exact(env: ChatEnv) -> None:
    session_id = create_session(env.c, env.user, env.team_id, env.connection_id)
    first = new_turn(env, session_id, "what is there?")
    outcomes = []
    for n in range(3):
        outcomes += [step(env, session_id, first, n), step(env, session_id, first, n)]
    assert outcomes == ["stepped", "duplicate", "stepped", "duplicate", "done", "finished"]
    assert len(env.tool_runs) == 3, "no duplicate re-ran a tool"
    second = new_turn(env, session_id, "and now?")
    assert step(env, session_id, second, 0) == "stepped"
    assert env.rebuilds == ["1.0"]
    with env.c.db.session() as s:
        done = s.scalars(
            select(ChatEvent).where(ChatEvent.session_id == session_id, ChatEvent.type == "done")
        ).all()
    assert len(done) == 1


def test_a_crash_after_the_log_write_is_finished_from_the_record(
    env: ChatEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    session_id = create_session(env.c, env.user, env.team_id, env.connection_id)
    turn_id = new_turn(env, session_id, "what is there?")
    assert step(env, session_id, turn_id, 0) == "stepped"

    class Crash(BaseException):
        pass

    monkeypatch.setattr(runner, "_commit", lambda *a, **k: (_ for _ in ()).throw(Crash()))
    with pytest.raises(Crash):
        step(env, session_id, turn_id, 1)  # the record of step 1 is written, its commit never runs
    monkeypatch.undo()
    env.rebuilds = []
    monkeypatch.setattr(history, "rebuild", _counting(env))
    with env.c.db.session() as s:  # the crashed worker's lease runs out
        s.get(Turn, turn_id).lease_until = 0.0
    assert step(env, session_id, turn_id, 1) == "stepped"  # finished from its record, no model call
    assert len(env.model.requests) == 2
    assert step(env, session_id, turn_id, 2) == "done"  # sent the history carried through the redo
    assert env.rebuilds == []
    assert len(env.tool_runs) == 3


def test_another_instance_and_a_stale_entry_rebuild(env: ChatEnv) -> None:
    session_id = create_session(env.c, env.user, env.team_id, env.connection_id)
    turn_id = new_turn(env, session_id, "what is there?")
    assert step(env, session_id, turn_id, 0) == "stepped"
    stale = history._CARRIED.get(session_id)
    assert stale is not None and stale.next_step == 1
    history.clear()  # step 1 runs on another instance: it reads the session ...
    assert step(env, session_id, turn_id, 1) == "stepped"
    history._CARRIED.put(session_id, stale)  # ... and this one still holds the entry for step 1
    assert step(env, session_id, turn_id, 2) == "done"  # the entry's key no longer matches
    assert env.rebuilds == ["1.0", "1.1", "1.2"]
    # recovery or another instance finished the turn: the next turn cannot start from an unfinished one
    history._CARRIED.put(session_id, stale)
    second = new_turn(env, session_id, "and now?")
    assert step(env, session_id, second, 0) == "stepped"
    assert env.rebuilds[-1] == "2.0"


def _counting(env: ChatEnv) -> Any:
    real = history.rebuild

    def counted(c: Any, s: Any, session: Any, turn: Any) -> list[Message]:
        env.rebuilds.append(f"{turn.seq}.{turn.step}")
        return real(c, s, session, turn)

    return counted
