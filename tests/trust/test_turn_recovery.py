"""A turn whose worker died is recovered on the next stream read or message, never stuck.

Finding 4: after ``kill -9`` mid-turn the session stayed ``running`` for good (every new message
409, every stream read hung). A crash leaves exactly this in the directory DB: the turn running,
its lease held by a process that is gone, the step's events uncommitted. The row is written that
way, then the real dev server, task queue and agent runner take it from there.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests

from shared.db.models import Turn

from .conftest import TwoTeams
from .figures import record
from .helpers import TIMEOUT
from .test_load import parse_sse


def crashed_turn(env: TwoTeams, *, lease_expired_s: float = 1.0, leased: bool = True) -> tuple[str, str]:
    """A new session of team A with a turn its (gone) worker was running at step 0."""
    created = requests.post(
        f"{env.server.url}/v1/chat/sessions",
        json={"team_id": env.a.team_id, "connection_id": env.a.connection_id},
        headers=env.a.headers,
        timeout=TIMEOUT,
    )
    sid = created.json()["id"]
    with env.container.db.session() as s:
        turn = Turn(
            session_id=sid, seq=1, status="running", user_message="revenue by month", step=0, state={}
        )
        if leased:
            turn.lease_owner, turn.lease_until = "dead-worker", time.time() - lease_expired_s
        s.add(turn)
        s.flush()
        return sid, turn.id


def events(env: TwoTeams, sid: str, **params: Any) -> Any:
    r = requests.get(
        f"{env.server.url}/v1/chat/sessions/{sid}/events",
        params={"after": "0", **params},
        headers=env.a.headers,
        timeout=120,
    )
    assert r.status_code == 200, r.text
    return parse_sse(r.text)


def test_a_stream_read_resumes_a_turn_whose_lease_expired(two_teams: TwoTeams) -> None:
    sid, turn_id = crashed_turn(two_teams)
    started, recovery_ms, kinds = time.perf_counter(), None, []
    with requests.get(
        f"{two_teams.server.url}/v1/chat/sessions/{sid}/events",
        params={"after": "0", "wait": "30"},
        headers=two_teams.a.headers,
        timeout=120,
        stream=True,
    ) as r:
        for line in r.iter_lines(decode_unicode=True):
            if line and line.startswith("event:"):
                kinds.append(line.split(":", 1)[1].strip())
                if kinds[-1] == "done":  # the read that found the dead turn sees it finish
                    recovery_ms = (time.perf_counter() - started) * 1000
                    break
    assert recovery_ms is not None, kinds
    with two_teams.container.db.session() as s:
        turn = s.get(Turn, turn_id)
        assert turn is not None and turn.status == "done", (
            turn.status if turn else None,
            turn and turn.error,
        )
    replay = events(two_teams, sid, wait="0")
    assert replay.ids == list(range(1, len(replay.ids) + 1)) and replay.kinds.count("done") == 1
    record("crashed turn: recovered by stream read", tried=1, latencies_ms=[recovery_ms])


def test_a_live_lease_is_left_alone(two_teams: TwoTeams) -> None:
    from shared.services import turn_recovery

    sid, turn_id = crashed_turn(two_teams, lease_expired_s=-60)  # the lease runs another minute
    _, unleased = crashed_turn(two_teams, leased=False)  # queued a moment ago: its task is coming
    with two_teams.container.db.session() as s:
        assert turn_recovery.recover(two_teams.container, s, sid, resume=True) is None
        turn = s.get(Turn, turn_id)
        assert turn is not None and turn.status == "running" and turn.lease_owner == "dead-worker"
        fresh = s.get(Turn, unleased)
        assert fresh is not None and not turn_recovery.stalled(fresh, time.time())
        assert turn_recovery.stalled(fresh, time.time() + turn_recovery.STALL_S + 1)


def test_the_next_message_fails_the_stalled_turn_cleanly_and_runs(two_teams: TwoTeams) -> None:
    sid, turn_id = crashed_turn(two_teams)
    started = time.perf_counter()
    r = requests.post(
        f"{two_teams.server.url}/v1/chat/sessions/{sid}/messages",
        json={"content": "and by country?"},
        headers=two_teams.a.headers,
        timeout=120,
    )
    recovery_ms = (time.perf_counter() - started) * 1000
    assert r.status_code == 200, r.text
    assert parse_sse(r.text).kinds[-1:] == ["done"]
    replay = events(two_teams, sid, wait="0")
    assert replay.kinds[:2] == ["error", "done"] and replay.kinds.count("done") == 2, replay.kinds
    assert replay.ids == list(range(1, len(replay.ids) + 1))
    with two_teams.container.db.session() as s:
        turn = s.get(Turn, turn_id)
        assert turn is not None and turn.status == "failed" and turn.error
    record("crashed turn: failed by next message", tried=1, latencies_ms=[recovery_ms])


class _DroppingQueue:
    """A task queue whose tasks never run: the worker that would take the next step died."""

    def __init__(self) -> None:
        self.dropped: list[dict[str, Any]] = []

    def enqueue(self, handler: str, payload: dict[str, Any], **_: Any) -> bool:
        self.dropped.append(payload)
        return True


@pytest.mark.parametrize("crashed_at", [1, 2])
@pytest.mark.parametrize("lease", ["expired", "unleased"])
def test_a_turn_dead_at_any_step_resumes_from_its_last_committed_step(
    two_teams: TwoTeams, monkeypatch: pytest.MonkeyPatch, crashed_at: int, lease: str
) -> None:
    """A three-step turn (two tool calls, then the answer) whose worker died at step
    ``crashed_at`` after the earlier steps committed: the next stream read runs the rest once;
    the committed steps' events are neither lost nor repeated."""
    import datetime as dt

    from doubles.scripted_model import ScriptedModel

    from shared.adapters.model.messages import ToolCallEvent
    from shared.agent.runner import run_step
    from shared.services import chat, turn_recovery

    env = two_teams
    calls = [[ToolCallEvent(f"c{i}", "list_datasets", {})] for i in range(2)]
    env.container.install_model(ScriptedModel([*calls, ["Here they are."]], by_history=True))
    sid, turn_id = crashed_turn(env, leased=False)
    with env.container.db.session() as s:
        turn = s.get(Turn, turn_id)
        assert turn is not None
        turn.status = "queued"
    dropping = _DroppingQueue()
    real_queue = env.container.__dict__["task_queue"]
    env.container.__dict__["task_queue"] = dropping
    try:
        for step in range(crashed_at):
            assert run_step(env.container, sid, turn_id, step) == "stepped"
    finally:
        env.container.__dict__["task_queue"] = real_queue
    assert [p["step"] for p in dropping.dropped] == list(range(1, crashed_at + 1))
    with env.container.db.session() as s:  # what the dead turn committed (a stream would follow it)
        committed = [(e.seq, e.type) for e in chat.events_after(s, sid, 0)]
    kinds = [kind for _, kind in committed]
    assert kinds.count("tool_call") == crashed_at and "done" not in kinds
    with env.container.db.session() as s:  # the worker that took step ``crashed_at`` is gone
        turn = s.get(Turn, turn_id)
        assert turn is not None and turn.step == crashed_at
        turn.status = "running"
        if lease == "expired":
            turn.lease_owner, turn.lease_until = "dead-worker", time.time() - 1
    if lease == "unleased":
        stale = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=turn_recovery.STALL_S + 5)
        with env.container.db.engine.begin() as conn:
            conn.execute(
                Turn.__table__.update().where(Turn.__table__.c.id == turn_id).values(updated_at=stale)
            )

    replay = events(env, sid, wait="2")  # the stream follows the running turn, then 2 s quiet

    assert replay.kinds.count("done") == 1, replay.kinds
    assert replay.ids == list(range(1, len(replay.ids) + 1))
    assert list(zip(replay.ids, replay.kinds, strict=False))[: len(committed)] == committed  # once, first
    assert replay.kinds.count("tool_call") == 2 and replay.kinds.count("tool_result") == 2
    with env.container.db.session() as s:
        turn = s.get(Turn, turn_id)
        assert turn is not None and turn.status == "done" and turn.step == 3
    record("crashed turn: dead at a later step", tried=1)
