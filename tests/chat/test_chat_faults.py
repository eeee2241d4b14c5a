"""At-least-once agent steps: duplicates, crashes and model failures leave one consistent transcript."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from chat_helpers import ChatEnv, lookup_script
from doubles.generation import DashboardGenerationService, create_session
from sqlalchemy import select

from shared.adapters.model.messages import ToolCallEvent
from shared.adapters.tasks.inprocess import InProcessTaskQueue
from shared.agent import runner
from shared.db.models import ChatEvent, Turn
from shared.errors import Unavailable
from shared.services import chat


class StepRecorder:
    """A real in-process queue whose agent_step handler only records deliveries (the test runs them)."""

    def __init__(self) -> None:
        self.queue = InProcessTaskQueue(workers=1)
        self.delivered: list[dict[str, Any]] = []
        self.queue.register("agent_step", self.delivered.append)
        self.queue.register("precompute", lambda payload: None)


def manual(env: ChatEnv) -> StepRecorder:
    rec = StepRecorder()
    env.c.__dict__["task_queue"] = rec.queue
    return rec


def events(env: ChatEnv, session_id: str) -> list[tuple[int, str, dict[str, Any]]]:
    with env.c.db.session() as s:
        rows = s.scalars(select(ChatEvent).where(ChatEvent.session_id == session_id).order_by(ChatEvent.seq))
        return [(e.seq, e.type, e.data) for e in rows]


def assert_consistent(evs: list[tuple[int, str, dict[str, Any]]]) -> None:
    seqs = [e[0] for e in evs]
    assert seqs == list(range(1, len(seqs) + 1)), "event ids are dense and ordered"
    keys = [(e[2]["turn_id"], e[2]["step"], e[1], e[2].get("call_id"), e[2].get("text")) for e in evs]
    assert len(keys) == len(set(keys)), "no event appears twice"
    calls = [e[2]["call_id"] for e in evs if e[1] == "tool_call"]
    results = [e[2]["call_id"] for e in evs if e[1] == "tool_result"]
    assert calls == results
    for turn in {e[2]["turn_id"] for e in evs}:
        types = [e[1] for e in evs if e[2]["turn_id"] == turn]
        assert types.count("done") <= 1 and ("done" not in types or types[-1] == "done")


def start(env: ChatEnv, text: str = "what is there?") -> tuple[str, str]:
    session_id = create_session(env.c, env.user, env.team_id, env.connection_id)
    with env.c.db.session() as s:
        turn = chat.start_turn(env.c, s, chat.require_session(s, env.user, session_id), text)
        return session_id, turn.id


def test_every_step_delivered_twice_leaves_one_transcript(chat_env: ChatEnv) -> None:
    rec = manual(chat_env)
    chat_env.install(lookup_script())
    session_id, turn_id = start(chat_env)
    outcomes = []
    for step in range(3):
        outcomes.append(runner.run_step(chat_env.c, session_id, turn_id, step))
        outcomes.append(runner.run_step(chat_env.c, session_id, turn_id, step))  # redelivery
    assert outcomes == ["stepped", "duplicate", "stepped", "duplicate", "done", "finished"]
    assert runner.run_step(chat_env.c, session_id, turn_id, 0) == "finished"
    evs = events(chat_env, session_id)
    assert_consistent(evs)
    assert [t for _, t, _ in evs].count("tool_call") == 3
    assert len(chat_env.tool_runs) == 3, "duplicates never re-ran a tool"
    final = "".join(d["text"] for _, t, d in evs if t == "token" and d["step"] == 2)
    assert final.startswith("Here is what I found: three lookups")
    assert evs[-1][1] == "done" and evs[-1][2]["message"] == final
    rec.queue.close()


def test_concurrent_duplicate_of_a_step_runs_it_once(chat_env: ChatEnv) -> None:
    manual(chat_env)
    chat_env.install(lookup_script())
    session_id, turn_id = start(chat_env)
    barrier = threading.Barrier(2)
    results: list[str] = []

    def deliver() -> None:
        barrier.wait()
        try:
            results.append(runner.run_step(chat_env.c, session_id, turn_id, 0))
        except Unavailable:
            results.append("retry-later")

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(results) in (["duplicate", "stepped"], ["retry-later", "stepped"])
    assert len(chat_env.tool_runs) == 1
    assert_consistent(events(chat_env, session_id))


@pytest.mark.parametrize("where", ["after_log_write", "before_log_write"])
def test_crash_between_tools_and_event_append_is_redone_once(
    chat_env: ChatEnv, monkeypatch, where: str
) -> None:
    manual(chat_env)
    chat_env.install(lookup_script())
    session_id, turn_id = start(chat_env)

    class Crash(BaseException):
        pass

    if where == "after_log_write":
        real_commit = runner._commit
        monkeypatch.setattr(runner, "_commit", lambda *a, **k: (_ for _ in ()).throw(Crash()))
    else:
        store = chat_env.c.store("sessions")
        real_put = store.put
        monkeypatch.setattr(store, "put", lambda *a, **k: (_ for _ in ()).throw(Crash()))
    with pytest.raises(Crash):
        runner.run_step(chat_env.c, session_id, turn_id, 0)
    assert events(chat_env, session_id) == []
    assert len(chat_env.tool_runs) == 1
    monkeypatch.undo()
    if where == "after_log_write":
        assert runner._commit is real_commit
    else:
        assert chat_env.c.store("sessions").put == real_put
    # a crashed process cannot release its lease: an early redelivery is told to retry later ...
    with pytest.raises(Unavailable):
        runner.run_step(chat_env.c, session_id, turn_id, 0)
    with chat_env.c.db.session() as s:  # ... and once the lease has run out, it runs the step
        s.get(Turn, turn_id).lease_until = 0.0
    assert runner.run_step(chat_env.c, session_id, turn_id, 0) == "stepped"
    # after the log was written the redo reuses the record; before it, the tool ran again
    assert len(chat_env.tool_runs) == (1 if where == "after_log_write" else 2)
    for step in (1, 2):
        runner.run_step(chat_env.c, session_id, turn_id, step)
    evs = events(chat_env, session_id)
    assert_consistent(evs)
    assert [t for _, t, _ in evs if t in ("tool_call", "tool_result")] == ["tool_call", "tool_result"] * 3


class FlakyModel:
    """Test double: fails the first ``failures`` calls with Unavailable, then plays the script."""

    name = "flaky"

    def __init__(self, inner: Any, failures: int) -> None:
        self.inner, self.failures = inner, failures

    def stream(self, request: Any) -> Any:
        if self.failures > 0:
            self.failures -= 1
            raise Unavailable("model overloaded (429)")
        return self.inner.stream(request)


def test_model_failing_once_is_retried_and_the_turn_completes(chat_env: ChatEnv) -> None:
    from doubles.scripted_model import ScriptedModel

    chat_env.c.install_model(FlakyModel(ScriptedModel(lookup_script(), by_history=True), failures=1))
    session_id = create_session(chat_env.c, chat_env.user, chat_env.team_id, chat_env.connection_id)
    result = DashboardGenerationService(chat_env.c, timeout_s=30).generate(
        session_id, "hi", user=chat_env.user
    )
    assert result.status == "done"
    evs = events(chat_env, session_id)
    assert_consistent(evs)
    assert "error" not in [t for _, t, _ in evs]
    with chat_env.c.db.session() as s:
        turn = s.scalar(select(Turn).where(Turn.session_id == session_id))
        assert turn.state["limits"]["errors"] == {"unavailable": 1}


def test_model_failing_for_good_ends_the_turn_with_a_clear_error(chat_env: ChatEnv) -> None:
    chat_env.install(
        [["Checking. ", ToolCallEvent("c1", "lookup", {"what": "x"})], Unavailable("overloaded (503)")]
    )
    session_id = create_session(chat_env.c, chat_env.user, chat_env.team_id, chat_env.connection_id)
    result = DashboardGenerationService(chat_env.c, timeout_s=30).generate(
        session_id, "hi", user=chat_env.user
    )
    assert result.status == "failed"
    assert "model kept failing" in result.message
    evs = events(chat_env, session_id)
    assert_consistent(evs)
    types = [t for _, t, _ in evs]
    assert types[-2:] == ["error", "done"] and evs[-1][2]["status"] == "failed"
    assert types.count("tool_call") == 1 and len(chat_env.tool_runs) == 1
    with chat_env.c.db.session() as s:  # the session takes the next message once the failed turn is over
        assert chat.active_turn(s, session_id) is None


def test_a_second_message_during_a_turn_is_refused(chat_env: ChatEnv) -> None:
    manual(chat_env)
    chat_env.install(lookup_script())
    session_id, _ = start(chat_env)
    from shared.errors import Conflict

    with chat_env.c.db.session() as s, pytest.raises(Conflict):
        chat.start_turn(chat_env.c, s, chat.require_session(s, chat_env.user, session_id), "another")


def test_team_overrides_model_and_region(chat_env: ChatEnv) -> None:
    from shared.adapters.model.gemini import GeminiModel

    default = chat_env.c.chat_model(None)
    assert default.name == "offline" or type(default).__name__ == "OfflinePlanner"
    override = chat_env.c.chat_model("gemini-2.5-pro", "us-central1")
    assert isinstance(override, GeminiModel)
    assert (override.name, override.location) == ("gemini-2.5-pro", "us-central1")
    assert chat_env.c.chat_model("gemini-2.5-pro", "us-central1") is override  # one per instance
    assert chat_env.c.chat_model("gemini-2.5-pro", "europe-west4") is not override
