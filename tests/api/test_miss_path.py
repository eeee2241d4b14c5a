"""The serving miss path over real HTTP: SQL parsed once, remembered per dashboard generation,
guarded as strictly as ever, and the result cache written behind the response."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
import sqlglot.generator
import sqlglot.parser
from sqlalchemy import select, update
from test_dashboards_api import put, setup_team

from shared import sqlguard
from shared.adapters.warehouse import bytes_estimate, duckdb_prepared
from shared.bootstrap import Container
from shared.dashboards import validate
from shared.db.models import Dataset, Table, Team
from shared.services import precompute

TWO_VIEWS = """\
version: 1
title: Miss path
parameters:
  - {name: start_date, type: date, default: "2020-01-01"}
queries:
  by_status:
    sql: |
      SELECT status, COUNT(*) AS orders FROM `demo.thelook_ecommerce.orders`
      WHERE DATE(created_at) >= @start_date GROUP BY status ORDER BY orders DESC
  by_country:
    sql: |
      SELECT u.country, SUM(oi.sale_price) AS revenue
      FROM `demo.thelook_ecommerce.order_items` oi
      JOIN `demo.thelook_ecommerce.users` u ON u.id = oi.user_id
      WHERE DATE(oi.created_at) >= @start_date
      GROUP BY u.country ORDER BY revenue DESC LIMIT 15
views:
  - id: statuses
    type: bar
    query: by_status
    x: {field: status, type: nominal}
    y: {field: orders, type: quantitative}
    layout: {x: 0, y: 0, w: 6, h: 4}
  - id: countries
    type: bar
    query: by_country
    x: {field: country, type: nominal}
    y: {field: revenue, type: quantitative}
    layout: {x: 6, y: 0, w: 6, h: 4}
"""


@dataclass
class SqlglotWork:
    parses: int = 0
    renders: int = 0
    qualifies: int = 0
    guards: int = 0
    warehouse_parses: int = 0  # the DuckDB adapter parsing a text itself (no guard tree came along)

    def take(self) -> tuple[int, int, int, int, int]:
        taken = (self.parses, self.renders, self.qualifies, self.guards, self.warehouse_parses)
        self.parses = self.renders = self.qualifies = self.guards = self.warehouse_parses = 0
        return taken


@pytest.fixture
def work(monkeypatch: pytest.MonkeyPatch) -> Iterator[SqlglotWork]:
    """Counts sqlglot parses, renders and qualifications, and the guard runs of ConnectionSql."""
    found = SqlglotWork()
    parse, generate = sqlglot.parser.Parser.parse, sqlglot.generator.Generator.generate
    qualify, guard = bytes_estimate.qualify, sqlguard.guard_select
    transpile = duckdb_prepared.transpile

    def counted(name: str, fn: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            setattr(found, name, getattr(found, name) + 1)
            return fn(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(sqlglot.parser.Parser, "parse", counted("parses", parse))
    monkeypatch.setattr(sqlglot.generator.Generator, "generate", counted("renders", generate))
    monkeypatch.setattr(bytes_estimate, "qualify", counted("qualifies", qualify))

    def guard_select(sql: str, **kwargs: Any) -> Any:
        if kwargs.get("allowed_tables") is not None:  # a guard against a connection's tables
            found.guards += 1
        return guard(sql, **kwargs)

    monkeypatch.setattr(sqlguard, "guard_select", guard_select)  # what ConnectionSql calls
    monkeypatch.setattr(validate, "guard_select", guard_select)  # the loader's own reference
    monkeypatch.setattr(duckdb_prepared, "transpile", counted("warehouse_parses", transpile))
    monkeypatch.setattr(precompute, "handle_task", lambda c, payload: None)  # no warm-up races
    yield found


def _refresh(dev_server: Any, h: dict[str, str], t: str, slug: str = "miss") -> dict[str, Any]:
    r = requests.post(f"{dev_server.url}/v1/teams/{t}/dashboards/{slug}/refresh", headers=h, timeout=60)
    assert r.status_code == 200, r.text
    return {v["view_id"]: v for v in r.json()["views"]}


def test_a_second_miss_of_a_generation_does_no_sqlglot_work(
    dev_server: Any, token: Any, container: Container, work: SqlglotWork
) -> None:
    h, t = setup_team(dev_server, token)
    assert put(dev_server, h, t, "miss", TWO_VIEWS).status_code == 201
    work.take()
    first = _refresh(dev_server, h, t)
    assert {v["status"] for v in first.values()} == {"ok"} and {v["cache"] for v in first.values()} == {
        "miss"
    }
    parses, renders, qualifies, guards, warehouse_parses = work.take()
    print(f"\nfirst miss: {parses} sqlglot parses, {renders} renders, {qualifies} qualifications")
    assert guards == 2, "each view's SQL is guarded once (not again by the query call)"
    assert warehouse_parses == 0, "the warehouse transpiles the guard's tree, it does not parse again"
    assert qualifies == 2 and renders >= 2 and parses >= 2

    second = _refresh(dev_server, h, t, "miss")
    assert {v["cache"] for v in second.values()} == {"miss"}
    assert work.take() == (0, 0, 0, 0, 0)
    assert [v["values"] for v in second.values()] == [v["values"] for v in first.values()]

    # a new generation (same SQL) is guarded afresh, then remembered again
    edited = TWO_VIEWS.replace("title: Miss path", "title: Miss path, edited")
    assert put(dev_server, h, t, "miss", edited, version=1).status_code == 200
    work.take()
    _refresh(dev_server, h, t)
    assert work.take()[3] == 2
    _refresh(dev_server, h, t)
    assert work.take() == (0, 0, 0, 0, 0)


def test_a_save_guards_each_query_once(
    dev_server: Any, token: Any, container: Container, work: SqlglotWork
) -> None:
    h, t = setup_team(dev_server, token)
    work.take()
    assert put(dev_server, h, t, "saved", TWO_VIEWS).status_code == 201
    _parses, _renders, _qualifies, guards, warehouse_parses = work.take()
    # the loader guards each query; the dry runs take its trees (they guarded again before: 4)
    assert guards == 2 and warehouse_parses == 0


def test_a_remembered_guard_still_refuses_a_table_the_connection_lost(
    dev_server: Any, token: Any, container: Container, work: SqlglotWork
) -> None:
    h, t = setup_team(dev_server, token)
    assert put(dev_server, h, t, "miss", TWO_VIEWS).status_code == 201
    assert {v["status"] for v in _refresh(dev_server, h, t).values()} == {"ok"}
    conn_id = requests.get(f"{dev_server.url}/v1/teams/{t}/connections", headers=h).json()["connections"][0][
        "id"
    ]
    with container.db.session() as s:  # a re-scan of the connection no longer lists users
        (users,) = s.scalars(
            select(Table)
            .join(Dataset, Dataset.id == Table.dataset_id)
            .where(
                Dataset.connection_id == conn_id, Table.fully_qualified_name == "demo.thelook_ecommerce.users"
            )
        ).all()
        s.delete(users)
        s.commit()
    after = _refresh(dev_server, h, t)
    assert after["statuses"]["status"] == "ok"
    assert after["countries"]["status"] == "error"
    assert after["countries"]["error"]["code"] == "unsafe_sql"
    assert "is not one of this connection's tables" in after["countries"]["error"]["message"]


def test_the_cache_object_is_written_behind_the_response(
    dev_server: Any, token: Any, container: Container, work: SqlglotWork
) -> None:
    h, t = setup_team(dev_server, token)
    assert put(dev_server, h, t, "miss", TWO_VIEWS).status_code == 201
    svc = container.data_service
    store = svc.cache._store
    release, writing = threading.Event(), threading.Event()
    real_put = store.put

    def slow_put(path: str, *args: Any, **kwargs: Any) -> Any:
        if path.startswith(f"{t}/"):  # result objects (not the shared data-version records)
            writing.set()
            assert release.wait(30), "never released"
        return real_put(path, *args, **kwargs)

    store.put = slow_put  # type: ignore[method-assign]
    try:
        first = _refresh(dev_server, h, t)  # answered while the writes wait
        assert {v["cache"] for v in first.values()} == {"miss"}
        assert writing.wait(10)
        assert store.list(f"{t}/") == []
        r = requests.get(f"{dev_server.url}/v1/teams/{t}/dashboards/miss/data", headers=h, timeout=30)
        assert {v["cache"] for v in r.json()["views"]} == {"hit"}  # from memory meanwhile
    finally:
        release.set()
        del store.put
    assert svc.cache.flush()
    assert len(store.list(f"{t}/")) == 2
    svc.cache.forget_local()
    calls = svc.warehouse_calls
    with container.db.session() as s:  # another instance would find the objects
        from shared.services.serving import dashboard_data

        who = container.identity.verify(h["Authorization"].removeprefix("Bearer "))
        body = dashboard_data(container, s, who, t, "miss", {"start_date": "2020-01-01"})
    assert {v["cache"] for v in body["views"]} == {"hit"} and svc.warehouse_calls == calls
    assert [v["values"] for v in body["views"]] == [v["values"] for v in first.values()]


def test_a_miss_runs_while_another_transaction_writes(
    dev_server: Any, token: Any, container: Container, work: SqlglotWork
) -> None:
    """A miss reads in a read transaction: on SQLite the warehouse runs while a writer holds the
    writer lock, which a write transaction would have waited for (here: until the test gave up)."""
    h, t = setup_team(dev_server, token)
    assert put(dev_server, h, t, "miss", TWO_VIEWS).status_code == 201
    holding, answered = threading.Event(), threading.Event()

    def writer() -> None:
        with container.db.session() as s:
            s.execute(update(Team).where(Team.id == t).values(name="Acme, renamed meanwhile"))
            holding.set()
            answered.wait(30)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert holding.wait(10)
        r = requests.post(f"{dev_server.url}/v1/teams/{t}/dashboards/miss/refresh", headers=h, timeout=10)
    finally:
        answered.set()
        thread.join(30)
    assert r.status_code == 200, r.text
    assert {v["cache"] for v in r.json()["views"]} == {"miss"}
