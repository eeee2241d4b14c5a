"""Fault injection beyond tests/chat: precompute deliveries, crashed saves, refusing object stores,
a dropped database connection and a model that times out. Each ends with nothing lost or duplicated.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from typing import Any

import pytest
import requests
from doubles.generation import DashboardGenerationService, create_session
from doubles.scripted_model import ScriptedModel
from sqlalchemy import create_engine, func, select, text

from shared.adapters.identity.port import Principal
from shared.adapters.model.messages import ToolCallEvent
from shared.agent.tools import ToolRegistry, tool
from shared.db.models import ChatEvent, DashboardVersion, ProcessedEvent, Team, Turn
from shared.errors import BridgeError, PreconditionFailed, Timeout, Unavailable
from shared.services import chat, dashboards, precompute

from .conftest import TwoTeams
from .figures import record, scaled
from .helpers import GOOD, POSTGRES_ONLY, SQLITE_ONLY, TIMEOUT, assert_error, put_yaml, repair_at_once


class Crash(Exception):
    """A process dying at a step boundary (the HTTP layer answers 500)."""


def failing(
    real: Callable[..., Any], errors: list[BaseException], *, after: bool = False
) -> Callable[..., Any]:
    """``real`` that raises the next of ``errors`` on each call until none are left (after running, if ``after``)."""

    def call(*args: Any, **kwargs: Any) -> Any:
        if not errors:
            return real(*args, **kwargs)
        error = errors.pop(0)
        if after:
            real(*args, **kwargs)
        raise error

    return call


def no_warming(monkeypatch: pytest.MonkeyPatch) -> None:
    """Finalize events do nothing (tests where a background warm would race the request under test)."""
    monkeypatch.setattr(precompute, "handle_task", lambda c, payload: None)


def versions(env: TwoTeams, slug: str) -> list[int]:
    r = requests.get(
        f"{env.server.url}/v1/teams/{env.a.team_id}/dashboards/{slug}/versions",
        headers=env.a.headers,
        timeout=TIMEOUT,
    )
    assert r.status_code == 200, r.text
    return [v["version"] for v in r.json()["versions"]]


def get(env: TwoTeams, slug: str) -> requests.Response:
    return requests.get(
        f"{env.server.url}/v1/teams/{env.a.team_id}/dashboards/{slug}", headers=env.a.headers, timeout=TIMEOUT
    )


def save(env: TwoTeams, slug: str, title: str, version: int | None = None) -> requests.Response:
    h = dict(env.a.headers)
    if version is not None:
        h["If-Match"] = str(version)
    return put_yaml(env.server, h, env.a.team_id, slug, GOOD.replace("Secret revenue of team A", title))


# -- dashboard save: a crash at each step boundary ----------------------------------------------


BOUNDARIES = {
    # after validation and dry runs, before the object write
    "before_object_write": lambda c, mp: mp.setattr(
        c.store("dashboards"), "put", failing(c.store("dashboards").put, [Crash("died before the write")])
    ),
    # after the object write, before the row update
    "before_row_update": lambda c, mp: mp.setattr(
        dashboards, "_record", failing(dashboards._record, [Crash("died after the write")])
    ),
    # after the row update, before the transaction commits
    "before_commit": lambda c, mp: mp.setattr(
        dashboards, "_record", failing(dashboards._record, [Crash("died before commit")], after=True)
    ),
}


@SQLITE_ONLY
@pytest.mark.parametrize("boundary", list(BOUNDARIES))
def test_a_save_crashing_at_each_boundary_loses_and_duplicates_nothing(
    two_teams: TwoTeams, monkeypatch: pytest.MonkeyPatch, boundary: str
) -> None:
    env = two_teams
    no_warming(monkeypatch)
    repair_at_once(monkeypatch)
    assert save(env, "crashy", "Version one").status_code == 201
    BOUNDARIES[boundary](env.container, monkeypatch)
    crashed = save(env, "crashy", "Version two", version=1)
    assert_error(crashed, 500, "internal")
    landed = boundary != "before_object_write"  # the object write is the commit point
    shown = get(env, "crashy")
    assert shown.status_code == 200, shown.text
    assert shown.json()["version"] == (2 if landed else 1)
    assert ("Version two" if landed else "Version one") in shown.json()["title"]
    assert versions(env, "crashy") == ([1, 2] if landed else [1])
    # the user saves again against what they see: one new version, none lost or duplicated
    again = save(env, "crashy", "Version three", version=shown.json()["version"])
    assert again.status_code == 200, again.text
    expected = [1, 2, 3] if landed else [1, 2]
    assert versions(env, "crashy") == expected
    assert len(env.container.store("dashboards").versions(f"{env.a.team_id}/crashy.yaml")) == len(expected)
    old = requests.get(
        f"{env.server.url}/v1/teams/{env.a.team_id}/dashboards/crashy/versions/1",
        headers=env.a.headers,
        timeout=TIMEOUT,
    )
    assert "Version one" in old.json()["yaml"]
    record("faults: crashed saves", tried=1, rejected=1)


@pytest.mark.parametrize("first_save", [True, False], ids=["new-dashboard", "new-version"])
def test_concurrent_reads_after_a_crashed_save_all_succeed(
    two_teams: TwoTeams, monkeypatch: pytest.MonkeyPatch, first_save: bool
) -> None:
    """After a crash between object write and row update, readers arriving together all get the dashboard."""
    env = two_teams
    no_warming(monkeypatch)
    repair_at_once(monkeypatch)
    if not first_save:
        assert save(env, "racy", "Version one").status_code == 201
    monkeypatch.setattr(dashboards, "_record", failing(dashboards._record, [Crash("died after the write")]))
    assert_error(save(env, "racy", "Version two", version=None if first_save else 1), 500)
    readers = 8
    barrier = threading.Barrier(readers)
    statuses: list[int] = []

    def read() -> None:
        barrier.wait()
        statuses.append(get(env, "racy").status_code)

    threads = [threading.Thread(target=read) for _ in range(readers)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    record("faults: concurrent repair", tried=len(statuses), errors=sum(s != 200 for s in statuses))
    assert statuses == [200] * readers, f"concurrent first reads after a crashed save: {statuses}"
    assert versions(env, "racy") == ([1] if first_save else [1, 2])


# -- the object store refusing writes ------------------------------------------------------------


@SQLITE_ONLY
def test_dashboard_store_refusing_writes_gives_clear_errors(
    two_teams: TwoTeams, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = two_teams
    no_warming(monkeypatch)
    assert save(env, "store", "Version one").status_code == 201
    store = env.container.store("dashboards")
    errors: list[BaseException] = [
        Unavailable("object store is unavailable (503)"),
        PreconditionFailed("generation"),
    ]
    monkeypatch.setattr(store, "put", failing(store.put, errors))
    transient = save(env, "store", "Version two", version=1)
    assert_error(transient, 503, "unavailable")
    raced = save(env, "store", "Version two", version=1)
    assert_error(raced, 409, "conflict")
    assert "saved by someone else" in raced.json()["error"]["message"]
    assert get(env, "store").json()["version"] == 1 and versions(env, "store") == [1]
    ok = save(env, "store", "Version two", version=1)
    assert ok.status_code == 200 and ok.json()["version"] == 2
    assert versions(env, "store") == [1, 2]
    record("faults: store refusing writes", tried=3, rejected=2)


@SQLITE_ONLY
@pytest.mark.parametrize(
    "error", [Unavailable("cache bucket unavailable (503)"), PreconditionFailed("raced")]
)
def test_result_cache_refusing_writes_corrupts_nothing(
    two_teams: TwoTeams, monkeypatch: pytest.MonkeyPatch, error: BridgeError
) -> None:
    env = two_teams
    no_warming(monkeypatch)
    assert save(env, "cached", "Cached").status_code == 201
    svc = env.container.data_service
    cache_store = svc.cache._store
    refusing, real_put = [True], cache_store.put

    def put(*args: Any, **kwargs: Any) -> Any:  # every write of the first request: results, data versions
        if refusing:
            raise error
        return real_put(*args, **kwargs)

    monkeypatch.setattr(cache_store, "put", put)
    url = f"{env.server.url}/v1/teams/{env.a.team_id}/dashboards/cached/data"
    first = requests.get(url, headers=env.a.headers, timeout=TIMEOUT)
    # The result writes happen behind the response: the store refuses until they have all run
    # (clearing it before the flush let a write still queued land, and left an object behind).
    assert svc.cache.flush()
    refusing.clear()
    assert first.status_code == 200, first.text
    for view in first.json()["views"]:
        assert view["status"] == "ok" or view["error"]["code"] == error.code, view
    assert cache_store.list(f"{env.a.team_id}/") == [], "a refused write left an object behind"
    assert cache_store.list(f"versions/{env.a.team_id}/") == [], "a refused write left an object behind"
    second = requests.get(url, headers=env.a.headers, timeout=TIMEOUT).json()
    assert {v["status"] for v in second["views"]} == {"ok"}
    svc.cache.forget_local()  # the next answer comes from the objects, which must decode
    third = requests.get(url, headers=env.a.headers, timeout=TIMEOUT).json()
    assert {v["cache"] for v in third["views"]} == {"hit"}
    assert [v["values"] for v in third["views"]] == [v["values"] for v in second["views"]]
    record("faults: cache refusing writes", tried=len(first.json()["views"]), rejected=0)


# -- precompute: duplicate and out-of-order finalize deliveries ----------------------------------


@SQLITE_ONLY
def test_finalize_events_duplicated_concurrently_and_out_of_order_warm_once(
    two_teams: TwoTeams, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shared.adapters.objectstore.events import finalize_event

    env = two_teams
    no_warming(monkeypatch)
    assert save(env, "warm", "One").status_code == 201
    assert save(env, "warm", "Two", version=1).status_code == 200
    store = env.container.store("dashboards")
    path = f"{env.a.team_id}/warm.yaml"
    gen1, gen2 = store.versions(path)[0], store.head(path)
    assert gen1 is not None and gen2 is not None and gen1.generation < gen2.generation
    svc = env.container.data_service
    before = svc.warehouse_calls
    # the newer generation's event arrives eight times at once, then the older one, twice
    barrier = threading.Barrier(8)
    outcomes: list[str] = []

    def deliver() -> None:
        barrier.wait()
        outcomes.append(precompute.handle_finalize(env.container, finalize_event(store.bucket, gen2)))

    threads = [threading.Thread(target=deliver) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    late = [precompute.handle_finalize(env.container, finalize_event(store.bucket, gen1)) for _ in range(2)]
    assert sorted(outcomes) == ["duplicate"] * 7 + ["warmed"], outcomes
    assert late == ["stale", "stale"]
    with env.container.db.session() as s:
        team = s.get(Team, env.a.team_id)
        assert team is not None
        queries = {v.sql for v in svc.load(s, team, "warm").compiled.views if v.sql}
    assert svc.warehouse_calls - before == len(queries), "one warm ran each of the dashboard's queries once"
    with env.container.db.session() as s:
        keys = list(s.scalars(select(ProcessedEvent.key).where(ProcessedEvent.key.contains("warm.yaml"))))
    assert keys == [f"finalize:{store.bucket}/{path}#{gen2.generation}"]
    record("faults: precompute deliveries", tried=10, rejected=9, duplicated=0)


@SQLITE_ONLY
def test_a_failed_warm_releases_its_claim_and_the_redelivery_warms(
    two_teams: TwoTeams, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shared.adapters.objectstore.events import finalize_event
    from shared.services import serving

    env = two_teams
    no_warming(monkeypatch)
    assert save(env, "flaky", "Flaky").status_code == 201
    store = env.container.store("dashboards")
    event = finalize_event(store.bucket, store.head(f"{env.a.team_id}/flaky.yaml"))
    monkeypatch.setattr(serving, "warm", failing(serving.warm, [Unavailable("warehouse unavailable")]))
    with pytest.raises(Unavailable):
        precompute.handle_finalize(env.container, event)
    assert precompute.handle_finalize(env.container, event) == "warmed"
    assert precompute.handle_finalize(env.container, event) == "duplicate"
    record("faults: precompute deliveries", tried=3, rejected=1)


# -- agent steps delivered out of order ---------------------------------------------------------


@SQLITE_ONLY
def test_agent_steps_delivered_shuffled_and_repeated_leave_one_transcript(two_teams: TwoTeams) -> None:
    from shared.adapters.tasks.inprocess import InProcessTaskQueue
    from shared.agent import runner

    env, c = two_teams, two_teams.container
    runs: list[str] = []

    @tool("probe", "Probe.", {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]})
    def probe(ctx: Any, n: int) -> dict[str, Any]:
        runs.append(f"{ctx.turn_id}:{n}")
        return {"n": n}

    c.tools = ToolRegistry([probe])
    steps = 5
    c.install_model(
        ScriptedModel(
            [[ToolCallEvent(f"c{i}", "probe", {"n": i})] for i in range(steps - 1)] + [["Finished."]],
            by_history=True,
        )
    )
    queue = InProcessTaskQueue(workers=1)  # records deliveries; the test delivers them itself
    delivered: list[dict[str, Any]] = []
    queue.register("agent_step", delivered.append)
    queue.register("precompute", lambda payload: None)
    c.__dict__["task_queue"] = queue
    user = Principal("alice@a.example", "alice@a.example")
    session_id = create_session(c, user, env.a.team_id, env.a.connection_id)
    with c.db.session() as s:
        turn_id = chat.start_turn(c, s, chat.require_session(s, user, session_id), "go").id
    rng = random.Random(7)
    outcomes: list[str] = []
    for _ in range(40):
        order = list(range(steps + 1))
        rng.shuffle(order)
        for step in order + order[:2]:  # every step, shuffled, and some twice
            outcomes.append(runner.run_step(c, session_id, turn_id, step))
        with c.db.session() as s:
            if s.get(Turn, turn_id).status == "done":  # type: ignore[union-attr]
                break
    queue.close()
    with c.db.session() as s:
        events = [
            (e.seq, e.type, e.data)
            for e in s.scalars(
                select(ChatEvent).where(ChatEvent.session_id == session_id).order_by(ChatEvent.seq)
            )
        ]
    seqs = [e[0] for e in events]
    kinds = [e[1] for e in events]
    duplicated = len(runs) - len(set(runs))
    lost = (steps - 1) - len(set(runs))
    record(
        "faults: agent steps shuffled",
        tried=len(outcomes),
        rejected=outcomes.count("duplicate") + outcomes.count("early") + outcomes.count("finished"),
        lost=lost,
        duplicated=duplicated,
    )
    assert seqs == list(range(1, len(seqs) + 1))
    assert kinds.count("tool_call") == kinds.count("tool_result") == steps - 1
    assert kinds[-1] == "done" and kinds.count("done") == 1
    assert sorted(runs) == sorted(f"{turn_id}:{i}" for i in range(steps - 1)), "each tool ran exactly once"


# -- the model timing out ----------------------------------------------------------------------------


@SQLITE_ONLY
def test_a_model_that_keeps_timing_out_fails_the_turn_cleanly(two_teams: TwoTeams) -> None:
    env, c = two_teams, two_teams.container
    model = ScriptedModel([Timeout("model call timed out after 60s")], by_history=True)
    c.install_model(model)
    user = Principal("alice@a.example", "alice@a.example")
    session_id = create_session(c, user, env.a.team_id, env.a.connection_id)
    result = DashboardGenerationService(c, timeout_s=60).generate(session_id, "hello", user=user)
    assert result.status == "failed"
    kinds = [t for t, _ in result.events]
    assert kinds == ["error", "done"], kinds
    error = result.events[0][1]
    assert error["code"] == "timeout" and "model kept failing" in error["message"]
    from shared.agent.limits import DEFAULT_RETRY_CAPS

    assert len(model.requests) == DEFAULT_RETRY_CAPS["timeout"] + 1, "retried up to the cap, then stopped"
    with c.db.session() as s:
        assert chat.active_turn(s, session_id) is None
        seqs = list(
            s.scalars(select(ChatEvent.seq).where(ChatEvent.session_id == session_id).order_by(ChatEvent.seq))
        )
    assert seqs == [1, 2]
    # the session takes the next message, and the model answering again completes it
    c.install_model(ScriptedModel([["Back again."]] * 3, by_history=True))
    again = DashboardGenerationService(c, timeout_s=60).generate(session_id, "hello again", user=user)
    assert again.status == "done" and again.message == "Back again."
    record("faults: model timeouts", tried=len(model.requests), rejected=len(model.requests), errors=0)


# -- the database connection dropping ------------------------------------------------------------


def _terminate_all(admin_url: str, database: str) -> int:
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            return len(
                conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = :db AND pid <> pg_backend_pid()"
                    ),
                    {"db": database},
                ).all()
            )
    finally:
        engine.dispose()


@POSTGRES_ONLY
def test_dropped_database_connections_give_clean_answers(two_teams: TwoTeams, pg_server: str) -> None:
    env = two_teams
    database = env.container.settings.database_url.rsplit("/", 1)[-1]
    assert save(env, "dbdrop", "Before").status_code == 201
    env.container.task_queue.join(15)
    # between requests: every pooled connection is killed; pre-ping must replace them unseen
    after_kill: list[int] = []
    for _ in range(scaled(60)):  # a few percent of kills hit the bug: enough rounds to see it
        fill = [threading.Thread(target=get, args=(env, "dbdrop")) for _ in range(3)]  # several pooled
        for th in fill:
            th.start()
        for th in fill:
            th.join()
        assert _terminate_all(pg_server, database) >= 1
        after_kill.append(get(env, "dbdrop").status_code)
    record(
        "faults: dropped DB connections (between requests)",
        tried=len(after_kill),
        errors=sum(s != 200 for s in after_kill),
    )
    assert after_kill == [200] * len(after_kill), (
        f"first request after the pool's connections died: {after_kill}"
    )
    # during requests: connections are killed while readers and a writer are in flight
    stop = threading.Event()
    answers: list[tuple[str, int]] = []
    hung: list[str] = []

    def reader(path: str) -> None:
        while not stop.is_set():
            try:
                r = requests.get(f"{env.server.url}{path}", headers=env.a.headers, timeout=TIMEOUT)
            except requests.Timeout:
                hung.append(path)
                return
            if r.status_code >= 500:
                assert_error(r, (500, 503))
            answers.append((path, r.status_code))

    paths = [
        f"/v1/teams/{env.a.team_id}/dashboards/dbdrop",
        f"/v1/teams/{env.a.team_id}/dashboards/dbdrop/data",
        f"/v1/connections/{env.a.connection_id}/catalog",
    ]
    threads = [threading.Thread(target=reader, args=(p,)) for p in paths]
    for th in threads:
        th.start()
    saves: list[int] = []
    version = 1
    for i in range(6):
        _terminate_all(pg_server, database)
        r = save(env, "dbdrop", f"During {i}", version=version)
        saves.append(r.status_code)
        if r.status_code == 200:
            version = r.json()["version"]
        elif r.status_code == 409:  # the object landed but the answer did not: take the current version
            version = get(env, "dbdrop").json()["version"]
        else:
            assert_error(r, (500, 503))
    stop.set()
    for th in threads:
        th.join(timeout=TIMEOUT * 2)
    assert hung == [] and not any(th.is_alive() for th in threads), "a request hung"
    # afterwards everything answers and the history is dense: no version lost or duplicated
    final = get(env, "dbdrop")
    assert final.status_code == 200
    history = versions(env, "dbdrop")
    assert history == list(range(1, final.json()["version"] + 1))
    stored = env.container.store("dashboards").versions(f"{env.a.team_id}/dbdrop.yaml")
    assert len(stored) == len(history)
    with env.container.db.session() as s:
        rows = s.scalar(select(func.count()).select_from(DashboardVersion))
    errors = sum(code >= 500 for _, code in answers) + sum(code >= 500 for code in saves)
    record(
        "faults: dropped DB connections (mid-request)", tried=len(answers) + len(saves), errors=errors, lost=0
    )
    assert rows is not None and rows >= len(history)
