"""Saving dashboards over real HTTP: validation with lines, dry runs, versions, conflicts, repair."""

from __future__ import annotations

import threading

import requests

from shared.bootstrap import Container

GOOD = """\
# yaml-language-server: $schema=../schemas/dashboard.schema.json
version: 1
title: Revenue overview
description: Monthly revenue
parameters:
  - {name: start_date, type: date, default: "2020-01-01"}
queries:
  monthly_revenue:
    sql: |
      SELECT DATE_TRUNC(DATE(created_at), MONTH) AS month, SUM(sale_price) AS revenue
      FROM `demo.thelook_ecommerce.order_items`
      WHERE status NOT IN ('Cancelled', 'Returned') AND DATE(created_at) >= @start_date
      GROUP BY month ORDER BY month
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
YAML = {"Content-Type": "application/yaml"}


def setup_team(dev_server, token, email="alice@example.com"):
    h = token(email)
    teams = requests.get(f"{dev_server.url}/v1/teams", headers=h).json()["teams"]
    if teams:
        return h, teams[0]["id"]
    team = requests.post(f"{dev_server.url}/v1/teams", json={"name": "Acme"}, headers=h).json()
    conn = requests.post(
        f"{dev_server.url}/v1/teams/{team['id']}/connections",
        json={
            "name": "demo",
            "warehouse_type": "duckdb",
            "path": str(dev_server.demo_path),
            "project": "demo",
        },
        headers=h,
    ).json()
    assert requests.post(f"{dev_server.url}/v1/connections/{conn['id']}/scan", headers=h).status_code == 200
    return h, team["id"]


def put(dev_server, h, team_id, slug, text, version=None):
    headers = {**h, **YAML}
    if version is not None:
        headers["If-Match"] = str(version)
    return requests.put(
        f"{dev_server.url}/v1/teams/{team_id}/dashboards/{slug}", data=text.encode(), headers=headers
    )


def test_save_read_version_and_delete(dev_server, token) -> None:
    h, t = setup_team(dev_server, token)
    r = put(dev_server, h, t, "revenue", GOOD)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["version"] == 1 and body["yaml_path"] == f"{t}/revenue.yaml"
    assert body["dry_run_bytes"]["monthly_revenue"] > 0
    assert body["preview_url"].endswith(f"/d/{t}/revenue")

    # updating needs If-Match
    assert put(dev_server, h, t, "revenue", GOOD).status_code == 428
    r = put(dev_server, h, t, "revenue", GOOD.replace("Revenue overview", "Revenue v2"), version=1)
    assert r.status_code == 200 and r.json()["version"] == 2

    got = requests.get(f"{dev_server.url}/v1/teams/{t}/dashboards/revenue", headers=h).json()
    assert got["title"] == "Revenue v2" and "Revenue v2" in got["yaml"]
    listed = requests.get(f"{dev_server.url}/v1/teams/{t}/dashboards", headers=h).json()["dashboards"]
    assert [(d["slug"], d["version"], d["title"]) for d in listed] == [("revenue", 2, "Revenue v2")]

    versions = requests.get(f"{dev_server.url}/v1/teams/{t}/dashboards/revenue/versions", headers=h).json()
    assert [v["version"] for v in versions["versions"]] == [1, 2]
    v1 = requests.get(f"{dev_server.url}/v1/teams/{t}/dashboards/revenue/versions/1", headers=h).json()
    assert "Revenue overview" in v1["yaml"]

    dl = requests.get(f"{dev_server.url}/v1/teams/{t}/dashboards/revenue?format=yaml", headers=h)
    assert dl.headers["Content-Type"].startswith("application/yaml") and dl.text == got["yaml"]

    assert requests.delete(f"{dev_server.url}/v1/teams/{t}/dashboards/revenue", headers=h).status_code == 204
    assert requests.get(f"{dev_server.url}/v1/teams/{t}/dashboards/revenue", headers=h).status_code == 404
    # saving the slug again starts a new live dashboard; history numbers continue
    r = put(dev_server, h, t, "revenue", GOOD)
    assert r.status_code == 201 and r.json()["version"] == 3


def test_errors_carry_yaml_lines_and_nothing_is_written(dev_server, token, container: Container) -> None:
    h, t = setup_team(dev_server, token)
    bad = GOOD.replace("layout: {x: 3, y: 0, w: 9, h: 4}", "layout: {x: 2, y: 0, w: 9, h: 4}").replace(
        "field: month", "field: mnth"
    )
    r = put(dev_server, h, t, "broken", bad)
    assert r.status_code == 400, r.text
    details = r.json()["error"]["details"]
    assert len(details) >= 2, details
    by_path = {d["path"]: d for d in details}
    overlap_line = bad.splitlines().index("    layout: {x: 2, y: 0, w: 9, h: 4}") + 1
    field_line = next(i for i, line in enumerate(bad.splitlines(), 1) if "mnth" in line)
    assert (
        by_path["views[1].layout"]["line"] == overlap_line
        and "overlaps" in by_path["views[1].layout"]["message"]
    )
    assert (
        by_path["views[1].x.field"]["line"] == field_line and "mnth" in by_path["views[1].x.field"]["message"]
    )
    assert container.store("dashboards").head(f"{t}/broken.yaml") is None

    unsafe = GOOD.replace("SELECT DATE_TRUNC", "DELETE FROM x; SELECT DATE_TRUNC")
    r = put(dev_server, h, t, "unsafe", unsafe)
    assert r.status_code == 400 and any(
        d["path"].startswith("queries.monthly_revenue") for d in r.json()["error"]["details"]
    )

    other = GOOD.replace("demo.thelook_ecommerce.order_items", "other-project.secret.salaries")
    r = put(dev_server, h, t, "other", other)
    assert r.status_code == 400
    assert container.store("dashboards").list(f"{t}/") == []


def test_byte_cap_rejects_the_save(dev_server, token, container: Container) -> None:
    h, t = setup_team(dev_server, token)
    from shared.db.models import Team

    with container.db.session() as s:
        s.get(Team, t).byte_cap = 1000
    r = put(dev_server, h, t, "expensive", GOOD)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "byte_cap_exceeded"
    assert "cap" in r.json()["error"]["details"][0]["message"]


def test_two_concurrent_saves_one_wins(dev_server, token, container: Container) -> None:
    h, t = setup_team(dev_server, token)
    assert put(dev_server, h, t, "race", GOOD).status_code == 201
    barrier = threading.Barrier(2)
    results: list[requests.Response] = []

    def save(title: str) -> None:
        text = GOOD.replace("Revenue overview", title)
        barrier.wait()
        results.append(put(dev_server, h, t, "race", text, version=1))

    threads = [threading.Thread(target=save, args=(f"Writer {i}",)) for i in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    codes = sorted(r.status_code for r in results)
    assert codes == [200, 409], [r.text for r in results]
    winner = next(r for r in results if r.status_code == 200).json()
    loser = next(r for r in results if r.status_code == 409).json()
    assert loser["error"]["details"]["current_version"] == 2
    versions = requests.get(f"{dev_server.url}/v1/teams/{t}/dashboards/race/versions", headers=h).json()[
        "versions"
    ]
    assert [v["version"] for v in versions] == [1, 2]
    assert versions[1]["title"] == winner["title"]
    texts = [o for o in container.store("dashboards").versions(f"{t}/race.yaml")]
    assert len(texts) == 2, "the loser left nothing in the store"


def test_crash_between_object_write_and_row_update_is_repaired(
    dev_server, token, container: Container, monkeypatch
) -> None:
    from shared.services import dashboards

    h, t = setup_team(dev_server, token)
    assert put(dev_server, h, t, "crashy", GOOD).status_code == 201
    # simulate a save that wrote the object and died before the row update
    container.store("dashboards").put(
        f"{t}/crashy.yaml",
        GOOD.replace("Revenue overview", "Landed").encode(),
        content_type="application/yaml",
        metadata={
            "version": "2",
            "team_id": t,
            "slug": "crashy",
            "author": "alice@example.com",
            "connection_id": requests.get(
                f"{dev_server.url}/v1/teams/{t}/dashboards/crashy", headers=h
            ).json()["connection_id"],
        },
        if_generation_match=container.store("dashboards").head(f"{t}/crashy.yaml").generation,
    )
    # while the object is young, a save may still be on its way to the row: readers see version 1
    got = requests.get(f"{dev_server.url}/v1/teams/{t}/dashboards/crashy", headers=h).json()
    assert got["version"] == 1
    monkeypatch.setattr(dashboards, "REPAIR_AFTER_S", 0.0)  # ... and once it is old, the read repairs
    got = requests.get(f"{dev_server.url}/v1/teams/{t}/dashboards/crashy", headers=h).json()
    assert got["version"] == 2 and got["title"] == "Landed"
    r = put(dev_server, h, t, "crashy", GOOD, version=1)
    assert r.status_code == 409 and r.json()["error"]["details"]["current_version"] == 2
    assert put(dev_server, h, t, "crashy", GOOD, version=2).json()["version"] == 3


def test_other_team_cannot_see_or_write(dev_server, token) -> None:
    h, t = setup_team(dev_server, token)
    assert put(dev_server, h, t, "mine", GOOD).status_code == 201
    eve = token("eve@example.com")
    for method, path in [("get", ""), ("get", "/versions"), ("get", "/versions/1"), ("delete", "")]:
        r = getattr(requests, method)(f"{dev_server.url}/v1/teams/{t}/dashboards/mine{path}", headers=eve)
        assert r.status_code == 404
    assert requests.get(f"{dev_server.url}/v1/teams/{t}/dashboards", headers=eve).status_code == 404
    assert put(dev_server, eve, t, "mine", GOOD, version=1).status_code == 404


def test_a_save_dry_runs_while_another_transaction_writes(dev_server, token, container, monkeypatch) -> None:
    """A PUT validates and dry-runs in a read transaction: on SQLite its dry runs go on while
    another writer holds the lock; only the object write and the pointer row wait for it."""
    from sqlalchemy import text

    from shared.adapters.warehouse.duckdb_adapter import DuckDBWarehouse

    h, t = setup_team(dev_server, token)
    dry_ran = threading.Event()
    real = DuckDBWarehouse.dry_run

    def noted(self, *args, **kwargs):
        result = real(self, *args, **kwargs)
        dry_ran.set()
        return result

    monkeypatch.setattr(DuckDBWarehouse, "dry_run", noted)
    holding, release = threading.Event(), threading.Event()

    def writer() -> None:
        with container.db.session() as s:
            s.execute(text("UPDATE teams SET name = name WHERE id = :t"), {"t": t})
            holding.set()
            release.wait(30)

    thread = threading.Thread(target=writer)
    thread.start()
    answer: list[requests.Response] = []
    saver = threading.Thread(target=lambda: answer.append(put(dev_server, h, t, "held", GOOD)))
    try:
        assert holding.wait(10)
        saver.start()
        assert dry_ran.wait(10), "the save's dry run waited for the other transaction"
    finally:
        release.set()
        thread.join(30)
    saver.join(30)
    assert answer and answer[0].status_code == 201, answer and answer[0].text
