"""Bounded load on loopback: data serving (cache hits and misses) and concurrent chat sessions.

Plain threads + ``requests`` sessions drive the real dev server: no extra dependency, no event-loop
monkey-patching (locust's gevent would patch the threads the server and task queue run on), and
the bounds stay exact. Figures (requests, errors, p50/p95/p99) go to ``make trust``; the tests
assert only behaviour: no errors, and every chat stream has dense ids ending in ``done``.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import requests
from doubles.scripted_model import ScriptedModel

from shared.adapters.model.messages import ToolCallEvent

from .conftest import TwoTeams
from .figures import percentile, record, scaled
from .helpers import SQLITE_ONLY, TIMEOUT, put_yaml

DASHBOARD = """\
version: 1
title: Load
parameters:
  - {name: start_date, type: date, default: "2020-01-01"}
queries:
  monthly:
    sql: |
      SELECT DATE_TRUNC(DATE(created_at), MONTH) AS month, SUM(sale_price) AS revenue
      FROM `demo.thelook_ecommerce.order_items`
      WHERE DATE(created_at) >= @start_date GROUP BY month ORDER BY month
  centers:
    sql: SELECT name, latitude FROM `demo.thelook_ecommerce.distribution_centers` ORDER BY name
views:
  - id: trend
    type: line
    query: monthly
    x: {field: month, type: temporal}
    y: {field: revenue, type: quantitative}
    layout: {x: 0, y: 0, w: 8, h: 4}
  - id: centers
    type: table
    query: centers
    columns: [{field: name}, {field: latitude}]
    layout: {x: 8, y: 0, w: 4, h: 4}
"""


def summary(name: str, latencies: list[float], errors: int) -> str:
    p = [percentile(latencies, q) or 0.0 for q in (50, 95, 99)]
    return f"{name}: {len(latencies)} requests, {errors} errors, p50/p95/p99 = {p[0]:.1f}/{p[1]:.1f}/{p[2]:.1f} ms"


@SQLITE_ONLY
def test_data_serving_under_load(two_teams: TwoTeams) -> None:
    env, a = two_teams, two_teams.a
    assert put_yaml(env.server, a.headers, a.team_id, "load", DASHBOARD).status_code == 201
    env.container.task_queue.join(15)
    total, workers = scaled(240), 8
    url = f"{env.server.url}/v1/teams/{a.team_id}/dashboards/load/data"
    first = dt.date(2019, 1, 1)

    def one(i: int, session: requests.Session) -> tuple[float, str | None, set[str]]:
        # one request in five asks for a start date never asked before: a cache miss
        params = {"start_date": (first + dt.timedelta(days=i)).isoformat()} if i % 5 == 0 else {}
        started = time.perf_counter()
        r = session.get(url, params=params, headers=a.headers, timeout=TIMEOUT)
        took = (time.perf_counter() - started) * 1000
        if r.status_code != 200:
            return took, f"{r.status_code}: {r.text[:200]}", set()
        body = r.json()
        bad = [v["view_id"] for v in body["views"] if v["status"] != "ok"]
        return took, (f"views failed: {bad}" if bad else None), {v["cache"] for v in body["views"]}

    def worker(k: int) -> list[tuple[float, str | None, set[str]]]:
        with requests.Session() as session:
            return [one(i, session) for i in range(k, total, workers)]

    with ThreadPoolExecutor(workers) as pool:
        results = [r for chunk in pool.map(worker, range(workers)) for r in chunk]
    latencies = [r[0] for r in results]
    errors = [r[1] for r in results if r[1]]
    caches = set().union(*(r[2] for r in results))
    record("load: data serving", tried=len(results), errors=len(errors), latencies_ms=latencies)
    print("\n" + summary("data serving", latencies, len(errors)))
    assert len(results) == total and errors == []
    assert {"hit", "miss"} <= caches, caches


@dataclass
class Stream:
    ids: list[int] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)


def parse_sse(text: str) -> Stream:
    out = Stream()
    for block in text.split("\n\n"):
        fields = dict(
            line.split(": ", 1) for line in block.splitlines() if ": " in line and not line.startswith(":")
        )
        if "id" in fields:
            out.ids.append(int(fields["id"]))
            out.kinds.append(fields["event"])
            json.loads(fields["data"])
    return out


def follow_until_done(
    http: requests.Session, events_url: str, headers: dict[str, str], stream: Stream, after: int
) -> Stream:
    """Reconnect after the last id seen (``Last-Event-ID``) until the turn's ``done``, as EventSource
    does when the message's own stream ended at once for want of a stream slot."""
    after = stream.ids[-1] if stream.ids else after
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and stream.kinds[-1:] != ["done"]:
        params = {"after": after, "wait": "30"}
        with http.get(events_url, params=params, headers=headers, stream=True, timeout=120) as r:
            block: list[str] = []
            for line in r.iter_lines(decode_unicode=True):
                if line:
                    block.append(line)
                    continue
                more = parse_sse("\n".join(block))
                block = []
                stream.ids += more.ids
                stream.kinds += more.kinds
                after = stream.ids[-1] if stream.ids else after
                if stream.kinds[-1:] == ["done"]:
                    break
        time.sleep(0.2)
    return stream


@SQLITE_ONLY
def test_concurrent_chat_sessions_lose_no_events(two_teams: TwoTeams) -> None:
    env, a = two_teams, two_teams.a
    # each turn: one real catalog tool call, then an answer
    env.container.install_model(
        ScriptedModel(
            [[ToolCallEvent("c1", "list_datasets", {})], ["Here are your datasets. " * 4]] * 50,
            by_history=True,
        )
    )
    sessions, turns = scaled(4), 2
    url = env.server.url

    def converse(k: int) -> tuple[str, list[float], list[str], list[Stream]]:
        problems: list[str] = []
        latencies: list[float] = []
        streams: list[Stream] = []
        with requests.Session() as http:
            created = http.post(
                f"{url}/v1/chat/sessions",
                json={"team_id": a.team_id, "connection_id": a.connection_id},
                headers=a.headers,
                timeout=TIMEOUT,
            )
            sid, last = created.json()["id"], 0
            for t in range(turns):
                started = time.perf_counter()
                for _attempt in range(5):  # a 503 says "retry shortly" (SQLite busy): a client retries
                    r = http.post(
                        f"{url}/v1/chat/sessions/{sid}/messages",
                        json={"content": f"session {k} turn {t}"},
                        headers=a.headers,
                        timeout=120,
                    )
                    if r.status_code != 503:
                        break
                    time.sleep(0.5)
                if r.status_code != 200:
                    problems.append(f"{r.status_code}: {r.text[:200]}")
                    continue
                stream = parse_sse(r.text)
                if stream.kinds[-1:] != ["done"]:  # no stream slot was free: reconnect as EventSource does
                    stream = follow_until_done(
                        http, f"{url}/v1/chat/sessions/{sid}/events", a.headers, stream, last
                    )
                latencies.append((time.perf_counter() - started) * 1000)
                last = stream.ids[-1] if stream.ids else last
                streams.append(stream)
        return sid, latencies, problems, streams

    with ThreadPoolExecutor(sessions) as pool:
        results = list(pool.map(converse, range(sessions)))
    lost = duplicated = 0
    problems = [p for _, _, ps, _ in results for p in ps]
    for sid, _, _, streams in results:
        for s in streams:  # each live stream: increasing ids without gaps, ending at its turn's done
            if s.ids != list(range(s.ids[0], s.ids[0] + len(s.ids))) or s.kinds[-1:] != ["done"]:
                problems.append(f"session {sid}: live stream {s.ids} {s.kinds}")
        replay = parse_sse(
            requests.get(
                f"{url}/v1/chat/sessions/{sid}/events",
                params={"after": "0", "wait": "0"},
                headers=a.headers,
                timeout=TIMEOUT,
            ).text
        )
        n = max(replay.ids, default=0)
        lost += len(set(range(1, n + 1)) - set(replay.ids))
        duplicated += len(replay.ids) - len(set(replay.ids))
        if replay.kinds.count("done") != turns or replay.kinds[-1:] != ["done"]:
            problems.append(f"session {sid}: replay has {replay.kinds.count('done')} done events")
        if sorted(i for s in streams for i in s.ids) != replay.ids:
            problems.append(f"session {sid}: the live streams and the replay differ")
    latencies = [x for _, ls, _, _ in results for x in ls]
    record(
        "load: chat",
        tried=len(latencies),
        errors=len(problems),
        lost=lost,
        duplicated=duplicated,
        latencies_ms=latencies,
    )
    print("\n" + summary("chat turns", latencies, len(problems)) + f", {lost} lost, {duplicated} duplicated")
    assert problems == [] and lost == 0 and duplicated == 0
    assert len(latencies) == sessions * turns
