"""Crashed-turn recovery on Google Cloud's path: the Cloud Tasks adapter and its HTTP target.

On Google Cloud a turn's steps are Cloud Tasks tasks (``POST /tasks/agent_step`` with an OIDC
token) and a worker that dies leaves its task to Cloud Tasks' retries, which the dead worker's
lease turns away. Here the dev server's container enqueues through the real Cloud Tasks adapter
(google-cloud-tasks, REST transport) to FakeCloudTasksServer (tests/cloud/fake_tasks.py), which
signs an OIDC token and dispatches each task to the dev server's real ``/tasks/agent_step`` route,
where the token is verified against the fake's certs before the agent runner runs the step.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from shared.adapters.tasks import cloudtasks
from shared.adapters.tasks.cloudtasks import CloudTasksQueue
from shared.adapters.tasks.naming import task_name
from shared.db.models import Turn
from shared.entry.task_handlers import TASKS
from shared.services import turn_recovery
from shared.services.chat import step_task_name

from .conftest import TwoTeams
from .figures import record
from .helpers import TIMEOUT
from .test_load import parse_sse
from .test_turn_recovery import crashed_turn, events

SERVICE_ACCOUNT = "tasks-invoker@bridge-test.iam.gserviceaccount.com"


@dataclass
class CloudPath:
    env: TwoTeams
    tasks: Any  # FakeCloudTasksServer

    def created(self, turn_id: str) -> list[str]:
        """Names of the agent_step tasks created for ``turn_id``, in order (refused ones too)."""
        names = []
        for body in self.tasks.created:
            http = body["task"]["httpRequest"]
            payload = json.loads(_b64(http["body"]))
            if http["url"].endswith("/tasks/agent_step") and payload.get("turn_id") == turn_id:
                names.append(body["task"]["name"].rsplit("/", 1)[1])
        return names


def _b64(text: str) -> bytes:
    import base64

    return base64.b64decode(text)


@pytest.fixture
def cloud(two_teams: TwoTeams, monkeypatch: pytest.MonkeyPatch) -> Iterator[CloudPath]:
    """Team A's dev server with its agent steps on Cloud Tasks (settings, adapter, OIDC check)."""
    from cloud.fake_tasks import QUEUE, FakeCloudTasksServer
    from cloud.google_issuer import CertsFromFake
    from cloud.stores import anonymous

    c = two_teams.container
    fake = FakeCloudTasksServer(max_attempts=4, min_backoff_s=0.05, max_backoff_s=0.2)
    url = two_teams.server.url
    settings = c.settings.replace(
        task_queue="cloudtasks",
        tasks_queue=QUEUE,
        tasks_target_url=url,
        tasks_service_account=SERVICE_ACCOUNT,
    )
    queue = CloudTasksQueue(
        QUEUE,
        target_url=url,
        service_account=SERVICE_ACCOUNT,
        transport="rest",
        client_options={"api_endpoint": fake.url},
        credentials=anonymous(),
        handlers=TASKS,
    )
    monkeypatch.setattr(c, "settings", settings)
    monkeypatch.setitem(c.__dict__, "task_queue", queue)
    monkeypatch.setattr(cloudtasks, "_default_request", CertsFromFake(fake.url))
    try:
        yield CloudPath(two_teams, fake)
    finally:
        fake.close()


def _read_until_done(env: TwoTeams, sid: str) -> tuple[list[str], float | None]:
    """Follow the session's stream as EventSource does (reconnecting after the last id seen, as
    when the instance had no stream slot free) until ``done``; the kinds seen and the time taken."""
    started, kinds, after = time.perf_counter(), [], "0"
    while time.perf_counter() - started < 90:
        with requests.get(
            f"{env.server.url}/v1/chat/sessions/{sid}/events",
            params={"after": after, "wait": "30"},
            headers=env.a.headers,
            timeout=120,
            stream=True,
        ) as r:
            assert r.status_code == 200, r.text
            for line in r.iter_lines(decode_unicode=True):
                if line and line.startswith("id:"):
                    after = line.split(":", 1)[1].strip()
                if line and line.startswith("event:"):
                    kinds.append(line.split(":", 1)[1].strip())
                    if kinds[-1] == "done":
                        return kinds, (time.perf_counter() - started) * 1000
        time.sleep(0.2)
    return kinds, None


def _turn(env: TwoTeams, turn_id: str) -> Turn:
    with env.container.db.session() as s:
        turn = s.get(Turn, turn_id)
        assert turn is not None
        s.expunge(turn)
        return turn


def test_a_stream_read_requeues_the_dead_turn_through_cloud_tasks(cloud: CloudPath) -> None:
    env = cloud.env
    sid, turn_id = crashed_turn(env)

    kinds, recovery_ms = _read_until_done(env, sid)

    assert recovery_ms is not None, kinds
    assert _turn(env, turn_id).status == "done"
    names = cloud.created(turn_id)
    recovered = task_name("agent-step", sid, turn_id, "0", "recover-1")
    assert names[0] == recovered  # a new name: Cloud Tasks keeps the dead step's name taken
    assert step_task_name(sid, turn_id, 0) not in names
    assert cloud.tasks.wait_idle(30) and cloud.tasks.dead == []
    replay = events(env, sid, wait="0")
    assert replay.ids == list(range(1, len(replay.ids) + 1)) and replay.kinds.count("done") == 1
    record("crashed turn: re-queued through Cloud Tasks", tried=1, latencies_ms=[recovery_ms])


def test_recovery_is_idempotent_under_concurrent_reads_and_redelivery(cloud: CloudPath) -> None:
    """Four readers find the dead turn at once; then Cloud Tasks redelivers both the recovery task
    and the dead worker's own step: one recovery task, one run of the step, one ``done``."""
    env = cloud.env
    sid, turn_id = crashed_turn(env)
    results: list[tuple[list[str], float | None]] = []

    readers = [threading.Thread(target=lambda: results.append(_read_until_done(env, sid))) for _ in range(4)]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join(timeout=120)

    assert len(results) == 4 and all(ms is not None for _, ms in results), results
    assert cloud.tasks.wait_idle(30)
    recover_names = [n for n in cloud.created(turn_id) if "recover" in n]
    assert set(recover_names) == {task_name("agent-step", sid, turn_id, "0", "recover-1")}, recover_names
    queue = env.container.task_queue
    payload = {"session_id": sid, "turn_id": turn_id, "step": 0}
    assert queue.enqueue("agent_step", payload, name=recover_names[0]) is False  # name still taken
    assert queue.enqueue("agent_step", payload, name=f"redelivery-{turn_id}") is True  # a late retry
    assert cloud.tasks.wait_idle(30) and cloud.tasks.dead == []
    replay = events(env, sid, wait="0")
    assert replay.ids == list(range(1, len(replay.ids) + 1))
    assert replay.kinds.count("done") == 1, replay.kinds
    assert _turn(env, turn_id).status == "done"
    record("crashed turn: Cloud Tasks concurrent reads + redelivery", tried=6, rejected=5)


def test_past_its_recoveries_a_dead_turn_fails_cleanly_on_cloud_tasks(cloud: CloudPath) -> None:
    env = cloud.env
    sid, turn_id = crashed_turn(env)
    with env.container.db.session() as s:
        turn = s.get(Turn, turn_id)
        assert turn is not None
        turn.state = {"recoveries": turn_recovery.MAX_RECOVERIES}

    kinds, _ = _read_until_done(env, sid)

    assert kinds[-2:] == ["error", "done"], kinds
    turn = _turn(env, turn_id)
    assert turn.status == "failed" and turn.error == turn_recovery.INTERRUPTED
    assert not [n for n in cloud.created(turn_id) if "recover" in n]  # nothing re-queued
    # the session takes the next message, whose steps run through Cloud Tasks
    r = requests.post(
        f"{env.server.url}/v1/chat/sessions/{sid}/messages",
        json={"content": "and by country?"},
        headers=env.a.headers,
        timeout=TIMEOUT,
    )
    assert r.status_code == 200 and parse_sse(r.text).kinds[-1:] == ["done"], r.text[-300:]
    replay = events(env, sid, wait="0")
    assert replay.ids == list(range(1, len(replay.ids) + 1)) and replay.kinds.count("done") == 2
    assert replay.kinds.count("error") == 1  # the dead turn's, once
    record("crashed turn: failed cleanly on Cloud Tasks", tried=1, rejected=1)


def test_a_queued_turn_whose_task_was_lost_is_requeued_through_cloud_tasks(cloud: CloudPath) -> None:
    """No worker ever took it (the task was lost after the turn was committed): unleased and
    unchanged for longer than ``STALL_S``, the next stream read re-queues it."""
    import datetime as dt

    env = cloud.env
    sid, turn_id = crashed_turn(env, leased=False)
    with env.container.db.session() as s:
        turn = s.get(Turn, turn_id)
        assert turn is not None
        turn.status = "queued"
    stale = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=turn_recovery.STALL_S + 5)
    with env.container.db.engine.begin() as conn:  # below the ORM, so updated_at keeps this value
        conn.execute(Turn.__table__.update().where(Turn.__table__.c.id == turn_id).values(updated_at=stale))

    kinds, recovery_ms = _read_until_done(env, sid)

    assert recovery_ms is not None, kinds
    assert _turn(env, turn_id).status == "done"
    assert task_name("agent-step", sid, turn_id, "0", "recover-1") in cloud.created(turn_id)
    record("crashed turn: lost task re-queued through Cloud Tasks", tried=1, latencies_ms=[recovery_ms])
