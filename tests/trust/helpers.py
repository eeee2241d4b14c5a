"""Shared helpers of the trust suites: HTTP onboarding, error-shape checks, a counting warehouse."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from shared.bootstrap import Container

SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
POSTGRES_ONLY = pytest.mark.parametrize(
    "db_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
YAML = {"Content-Type": "application/yaml"}
TITLE = "Secret revenue of team A"
GOOD = """\
version: 1
title: Secret revenue of team A
queries:
  monthly_revenue:
    sql: |
      SELECT DATE_TRUNC(DATE(created_at), MONTH) AS month, SUM(sale_price) AS revenue
      FROM `demo.thelook_ecommerce.order_items` GROUP BY month ORDER BY month
views:
  - id: revenue_kpi
    type: kpi
    query: monthly_revenue
    value: {field: revenue, aggregate: sum, format: currency}
    layout: {x: 0, y: 0, w: 3, h: 2}
  - id: revenue_trend
    type: line
    query: monthly_revenue
    x: {field: month, type: temporal}
    y: {field: revenue, type: quantitative, format: currency}
    layout: {x: 3, y: 0, w: 9, h: 4}
"""

TIMEOUT = 30


def assert_error(
    r: requests.Response, status: int | tuple[int, ...], code: str | None = None
) -> dict[str, Any]:
    """``r`` is Bridge's one JSON error shape with ``status`` (and ``code``)."""
    allowed = (status,) if isinstance(status, int) else status
    assert r.status_code in allowed, (r.request.method, r.url, r.status_code, r.text[:500])
    assert r.headers["Content-Type"].startswith("application/json"), r.headers["Content-Type"]
    body = r.json()
    assert set(body) == {"error"} and {"code", "message"} <= set(body["error"]), body
    if code is not None:
        assert body["error"]["code"] == code, body
    assert "Traceback" not in r.text
    return body["error"]  # type: ignore[no-any-return]


@dataclass
class TeamIds:
    headers: dict[str, str]
    team_id: str
    connection_id: str


def onboard(server: Any, token: Any, email: str, name: str) -> TeamIds:
    """A new team admin'd by ``email`` with a scanned DuckDB connection to the demo file, over HTTP."""
    h = token(email)
    team = requests.post(f"{server.url}/v1/teams", json={"name": name}, headers=h, timeout=TIMEOUT)
    assert team.status_code == 201, team.text
    conn = requests.post(
        f"{server.url}/v1/teams/{team.json()['id']}/connections",
        json={"name": "demo", "warehouse_type": "duckdb", "path": str(server.demo_path), "project": "demo"},
        headers=h,
        timeout=TIMEOUT,
    )
    assert conn.status_code == 201, conn.text
    scan = requests.post(f"{server.url}/v1/connections/{conn.json()['id']}/scan", headers=h, timeout=TIMEOUT)
    assert scan.status_code == 200, scan.text
    return TeamIds(h, team.json()["id"], conn.json()["id"])


def put_yaml(
    server: Any, h: dict[str, str], team_id: str, slug: str, text: str, **query: str
) -> requests.Response:
    return requests.put(
        f"{server.url}/v1/teams/{team_id}/dashboards/{slug}",
        data=text.encode(),
        headers={**h, **YAML},
        params=query or None,
        timeout=TIMEOUT,
    )


def repair_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Treat every stored dashboard object as past a save's in-flight window, so reads repair at once.

    Stands for "long after the crash" without waiting; a no-op where repair has no such window.
    """
    from shared.services import dashboards

    monkeypatch.setattr(dashboards, "REPAIR_AFTER_S", 0.0, raising=False)


class CountingWarehouse:
    """The real warehouse adapter, with every port call counted by method name (a spy, not a fake).

    On the DuckDB adapter every statement it executes is also recorded in ``executed``.
    """

    def __init__(
        self, inner: Any, counter: Counter[str], lock: threading.Lock, executed: list[str] | None = None
    ) -> None:
        self._inner, self._counter, self._lock = inner, counter, lock
        self.project = inner.project
        run = getattr(inner, "_run", None)
        if executed is not None and run is not None and not getattr(run, "_trust_spy", False):

            def recording_run(cursor: Any, sql: str, params: Any = None) -> Any:
                with lock:
                    executed.append(sql)
                return run(cursor, sql, params)

            recording_run._trust_spy = True  # type: ignore[attr-defined]
            inner._run = recording_run

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        if not callable(attr) or name.startswith("_"):
            return attr

        def counted(*args: Any, **kwargs: Any) -> Any:
            sql = args[0] if args and isinstance(args[0], str) else kwargs.get("sql")
            with self._lock:
                self._counter[name] += 1
                if isinstance(sql, str):
                    self._counter[f"{name}:{sql}"] += 1
            return attr(*args, **kwargs)

        return counted


class WarehouseCalls:
    """Counts warehouse port calls of every connection of a container (install with :meth:`install`)."""

    def __init__(self) -> None:
        self.counter: Counter[str] = Counter()
        self.executed: list[str] = []
        self._lock = threading.Lock()

    def install(self, c: Container, monkeypatch: pytest.MonkeyPatch) -> WarehouseCalls:
        from shared.services import connections

        for key, value in c.warehouses.items():
            if not isinstance(value, CountingWarehouse):
                c.warehouses.replace(key, CountingWarehouse(value, self.counter, self._lock, self.executed))
        build = connections._build_warehouse
        monkeypatch.setattr(
            connections,
            "_build_warehouse",
            lambda cc, conn: CountingWarehouse(build(cc, conn), self.counter, self._lock, self.executed),
        )
        return self

    def snapshot(self) -> Counter[str]:
        with self._lock:
            return Counter(self.counter)

    def executed_matching(self, marker: str) -> list[str]:
        """Executed statements containing ``marker`` (case-insensitive)."""
        with self._lock:
            return [sql for sql in self.executed if marker.lower() in sql.lower()]

    def with_sql(self, sql: str) -> dict[str, int]:
        """Port calls (by method) that were handed exactly ``sql``."""
        with self._lock:
            return {
                key.split(":", 1)[0]: n
                for key, n in self.counter.items()
                if ":" in key and key.split(":", 1)[1] == sql and n
            }

    def since(self, before: Counter[str]) -> Counter[str]:
        now = self.snapshot()
        now.subtract(before)
        return +now
