"""A turn whose worker died is recovered on the next stream read or message, never stuck.

Finding 4: after ``kill -9`` mid-turn the session stayed ``running`` for good (every new message
409, every stream read hung). A crash leaves exactly this in the directory DB: the turn running,
its lease held by a process that is gone, the step's events uncommitted. The row is written that
way, then the real dev server, task queue and agent runner take it from there.
"""

from __future__ import annotations

import time
from typing import Any

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
