"""Data serving over real HTTP: byte cap per view, cache transitions, isolation, precompute, coalescing."""

from __future__ import annotations

import gzip
import threading
import time

import requests
from test_dashboards_api import GOOD, put, setup_team

from shared.bootstrap import Container

TWO_QUERIES = """\
version: 1
title: Cap test
queries:
  small:
    sql: SELECT name, latitude FROM `demo.thelook_ecommerce.distribution_centers` ORDER BY name
  large:
    sql: |
      SELECT status, COUNT(*) AS items, SUM(sale_price) AS revenue
      FROM `demo.thelook_ecommerce.order_items` GROUP BY status ORDER BY items DESC
views:
  - id: centers
    type: table
    query: small
    columns: [{field: name}, {field: latitude, format: number}]
    layout: {x: 0, y: 0, w: 6, h: 4}
  - id: by_status
    type: bar
    query: large
    x: {field: status, type: nominal}
    y: {field: revenue, type: quantitative, format: currency}
    layout: {x: 6, y: 0, w: 6, h: 4}
"""


def data(dev_server, h, t, slug, **params):
    return requests.get(f"{dev_server.url}/v1/teams/{t}/dashboards/{slug}/data", params=params, headers=h)


def views(r):
    assert r.status_code == 200, r.text
    return {v["view_id"]: v for v in r.json()["views"]}


def test_payload_is_columnar_and_matches_the_warehouse(dev_server, token, container: Container) -> None:
    h, t = setup_team(dev_server, token)
    assert put(dev_server, h, t, "rev", GOOD).status_code == 201
    v = views(data(dev_server, h, t, "rev"))
    trend = v["revenue_trend"]
    # the current month (the demo data runs to today) is flagged in the SQL for the chart to mark
    assert [c["name"] for c in trend["columns"]] == ["month", "revenue", "_partial", "_partial_edge"]
    assert len(trend["values"]) == 4 and len(trend["values"][0]) == trend["row_count"] > 12
    partial, edge = trend["values"][2], trend["values"][3]
    assert partial == [False] * (len(partial) - 1) + [True] and edge[-2:] == [True, False]
    assert trend["spec"]["usermeta"]["partial_period"]["mode"] == "mark"
    assert trend["truncated"] is False and trend["bytes_processed"] > 0
    kpi = v["revenue_kpi"]
    assert (
        kpi["values"][0][0] == sum(trend["values"][1])
        or abs(kpi["values"][0][0] - sum(trend["values"][1])) < 0.01
    )
    assert v["revenue_trend"]["spec"]["$schema"].startswith("https://vega.github.io/schema/vega-lite/")
    assert v["revenue_trend"]["layout"] == {"x": 3, "y": 0, "w": 9, "h": 4}
    one = requests.get(f"{dev_server.url}/v1/teams/{t}/dashboards/rev/data/revenue_kpi", headers=h).json()
    assert [x["view_id"] for x in one["views"]] == ["revenue_kpi"]
    assert (
        requests.get(f"{dev_server.url}/v1/teams/{t}/dashboards/rev/data/nope", headers=h).status_code == 404
    )


def test_parameters_are_typed_and_bad_values_name_the_parameter(dev_server, token) -> None:
    h, t = setup_team(dev_server, token)
    put(dev_server, h, t, "rev", GOOD)
    all_time = views(data(dev_server, h, t, "rev"))["revenue_trend"]["row_count"]
    recent = views(data(dev_server, h, t, "rev", start_date="2024-01-01"))["revenue_trend"]
    assert 0 < recent["row_count"] < all_time
    assert min(recent["values"][0]) >= "2024-01-01"
    r = data(dev_server, h, t, "rev", start_date="2024-13-45")
    assert r.status_code == 400 and r.json()["error"]["details"][0]["path"] == "parameters.start_date"
    r = data(dev_server, h, t, "rev", start_date="'; DROP TABLE users; --")
    assert r.status_code == 400


def test_gzip_when_accepted(dev_server, token) -> None:
    h, t = setup_team(dev_server, token)
    put(dev_server, h, t, "rev", GOOD)
    raw = requests.get(
        f"{dev_server.url}/v1/teams/{t}/dashboards/rev/data",
        headers={**h, "Accept-Encoding": "gzip"},
        stream=True,
    )
    assert raw.headers["Content-Encoding"] == "gzip"
    body = raw.raw.read()
    assert gzip.decompress(body).startswith(b"{")


def test_byte_cap_fails_only_the_view_over_it(dev_server, token, container: Container) -> None:
    h, t = setup_team(dev_server, token)
    r = put(dev_server, h, t, "cap", TWO_QUERIES)
    assert r.status_code == 201, r.text
    small, large = r.json()["dry_run_bytes"]["small"], r.json()["dry_run_bytes"]["large"]
    assert small < large
    assert container.task_queue.join(15)  # the save's warm-up ran under the old cap
    from shared.db.models import Team

    with container.db.session() as s:
        s.get(Team, t).byte_cap = (small + large) // 2
    container.data_service.cache.forget_local()
    v = views(requests.post(f"{dev_server.url}/v1/teams/{t}/dashboards/cap/refresh", headers=h))
    assert v["centers"]["status"] == "ok" and v["centers"]["row_count"] > 0
    assert v["by_status"]["status"] == "error", (v["by_status"], small, large)
    assert v["by_status"]["error"]["code"] == "byte_cap_exceeded"


def test_cache_hit_miss_stale_and_refresh(dev_server, token, container: Container) -> None:
    h, t = setup_team(dev_server, token)
    put(
        dev_server,
        h,
        t,
        "rev",
        GOOD.replace("title: Revenue overview", "title: Revenue overview\nrefresh: 10m"),
    )
    svc = container.data_service
    container.task_queue.join(10)  # the save's warm-up has finished
    svc.cache.forget_local()
    first = views(requests.post(f"{dev_server.url}/v1/teams/{t}/dashboards/rev/refresh", headers=h))
    assert {v["cache"] for v in first.values()} == {"miss"}
    calls = svc.warehouse_calls
    second = views(data(dev_server, h, t, "rev"))
    assert {v["cache"] for v in second.values()} == {"hit"} and svc.warehouse_calls == calls
    assert second["revenue_trend"]["cached_at"] == first["revenue_trend"]["cached_at"]

    real = svc.clock
    svc.clock = lambda: real() + 11 * 60  # past the 10 minute TTL
    try:
        stale = views(data(dev_server, h, t, "rev"))
        assert {v["cache"] for v in stale.values()} == {"stale"}
        assert stale["revenue_trend"]["values"] == first["revenue_trend"]["values"]
        deadline = time.time() + 10
        fresh = stale
        while {v["cache"] for v in fresh.values()} != {"hit"} and time.time() < deadline:
            time.sleep(0.05)  # refreshed behind the stale response
            fresh = views(data(dev_server, h, t, "rev"))
        assert {v["cache"] for v in fresh.values()} == {"hit"}
        assert svc.warehouse_calls == calls + 2, "one background recomputation per view, not one per request"
        svc.clock = lambda: real() + 10 * 24 * 3600  # far past the stale window: recomputed now
        assert {v["cache"] for v in views(data(dev_server, h, t, "rev")).values()} == {"miss"}
    finally:
        svc.clock = real

    one = requests.post(f"{dev_server.url}/v1/teams/{t}/dashboards/rev/refresh?view=revenue_kpi", headers=h)
    assert [v["cache"] for v in one.json()["views"]] == ["miss"]


def test_results_are_never_shared_across_teams(dev_server, token, container: Container) -> None:
    ha, ta = setup_team(dev_server, token, "a@example.com")
    hb, tb = setup_team(dev_server, token, "b@example.com")
    put(dev_server, ha, ta, "rev", GOOD)
    put(dev_server, hb, tb, "rev", GOOD)
    container.task_queue.join(10)
    svc = container.data_service
    views(data(dev_server, ha, ta, "rev"))
    calls = svc.warehouse_calls
    svc.cache.forget_local()
    # team B's identical SQL gets its own results, computed for B, under B's prefix
    b = views(requests.post(f"{dev_server.url}/v1/teams/{tb}/dashboards/rev/refresh", headers=hb))
    assert svc.warehouse_calls == calls + 2 and {v["cache"] for v in b.values()} == {"miss"}
    cache = container.store("cache")
    a_keys = {o.path.split("/", 1)[1] for o in cache.list(f"{ta}/")}
    b_keys = {o.path.split("/", 1)[1] for o in cache.list(f"{tb}/")}
    assert a_keys and b_keys and not a_keys & b_keys
    assert data(dev_server, hb, ta, "rev").status_code == 404


def test_saving_warms_the_cache_and_events_are_idempotent(dev_server, token, container: Container) -> None:
    from shared.services.precompute import handle_finalize

    h, t = setup_team(dev_server, token)
    assert put(dev_server, h, t, "rev", GOOD).status_code == 201
    assert container.task_queue.join(15)
    svc = container.data_service
    assert {v["cache"] for v in views(data(dev_server, h, t, "rev")).values()} == {"hit"}

    store = container.store("dashboards")
    head = store.head(f"{t}/rev.yaml")
    from shared.adapters.objectstore.events import finalize_event

    event = finalize_event(store.bucket, head)
    calls = svc.warehouse_calls
    assert handle_finalize(container, event) == "duplicate"  # the save's own event was handled
    assert svc.warehouse_calls == calls
    r = put(dev_server, h, t, "rev", GOOD.replace("Revenue overview", "Revenue 2"), version=1)
    assert r.status_code == 200
    assert container.task_queue.join(15)
    assert handle_finalize(container, event) == "stale"  # older generation than the live one
    new_event = finalize_event(store.bucket, store.head(f"{t}/rev.yaml"))
    assert handle_finalize(container, new_event) == "duplicate"
    warm = requests.post(f"{dev_server.url}/v1/teams/{t}/dashboards/rev/warm", headers=h)
    assert warm.status_code == 200 and {v["cache"] for v in warm.json()["views"].values()} == {"hit"}


def test_concurrent_identical_requests_run_the_query_once(dev_server, token, container: Container) -> None:
    h, t = setup_team(dev_server, token)
    put(dev_server, h, t, "cap", TWO_QUERIES)
    container.task_queue.join(10)
    svc = container.data_service
    original = svc._execute

    def slow_execute(*args, **kwargs):  # widen the window so the requests overlap
        time.sleep(1.0)
        return original(*args, **kwargs)

    svc._execute = slow_execute  # type: ignore[method-assign]
    svc.cache.forget_local()
    for o in container.store("cache").list(f"{t}/"):
        container.store("cache").delete(o.path)
    calls = svc.warehouse_calls
    barrier = threading.Barrier(8)
    out: list[dict] = []

    def fetch() -> None:
        barrier.wait()
        out.append(
            views(requests.get(f"{dev_server.url}/v1/teams/{t}/dashboards/cap/data/centers", headers=h))
        )

    threads = [threading.Thread(target=fetch) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    del svc._execute
    assert len(out) == 8
    assert svc.warehouse_calls == calls + 1
    assert len({tuple(map(tuple, o["centers"]["values"])) for o in out}) == 1
