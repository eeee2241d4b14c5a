"""Working with a dashboard over real HTTP: CSV, view SQL, cross-filters, restore, rename, duplicate, delete."""

from __future__ import annotations

import csv
import io

import requests
from test_dashboards_api import GOOD, put, setup_team
from test_data_api import TWO_QUERIES, views

STATUS = """\
version: 1
title: By status
queries:
  monthly:
    sql: |
      SELECT DATE_TRUNC(DATE(created_at), MONTH) AS month, status, SUM(sale_price) AS revenue
      FROM `demo.thelook_ecommerce.order_items` GROUP BY month, status
  statuses:
    sql: SELECT status, COUNT(*) AS items FROM `demo.thelook_ecommerce.order_items` GROUP BY status
  centers:
    sql: SELECT name FROM `demo.thelook_ecommerce.distribution_centers`
views:
  - id: trend
    type: line
    query: monthly
    x: {field: month, type: temporal, time_grain: month}
    y: {field: revenue, type: quantitative}
    layout: {x: 0, y: 0, w: 6, h: 4}
  - id: by_status
    type: bar
    query: statuses
    x: {field: status, type: nominal}
    y: {field: items, type: quantitative}
    layout: {x: 6, y: 0, w: 6, h: 4}
  - id: centers
    type: table
    query: centers
    columns: [{field: name}]
    layout: {x: 0, y: 4, w: 12, h: 4}
"""


def url(dev_server, t, slug, rest=""):
    return f"{dev_server.url}/v1/teams/{t}/dashboards/{slug}{rest}"


def test_csv_is_the_data_api_rows(dev_server, token) -> None:
    h, t = setup_team(dev_server, token)
    assert put(dev_server, h, t, "cap", TWO_QUERIES).status_code == 201
    api = views(requests.get(url(dev_server, t, "cap", "/data"), headers=h))["centers"]
    r = requests.get(url(dev_server, t, "cap", "/data/centers.csv"), headers=h)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/csv")
    assert 'filename="cap-centers.csv"' in r.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0] == [c["name"] for c in api["columns"]]
    expected = [list(row) for row in zip(*api["values"], strict=True)]
    assert [[row[0], float(row[1])] for row in rows[1:]] == [[n, float(v)] for n, v in expected]
    assert r.headers["X-Bridge-Rows"] == str(api["row_count"]) and r.headers["X-Bridge-Truncated"] == "false"
    assert requests.get(url(dev_server, t, "cap", "/data/nope.csv"), headers=h).status_code == 404
    assert requests.get(url(dev_server, t, "cap", "/data/centers.csv")).status_code == 401
    stranger = token("mallory@example.com")
    assert requests.get(url(dev_server, t, "cap", "/data/centers.csv"), headers=stranger).status_code == 404


def test_csv_keeps_the_byte_cap(dev_server, token, container) -> None:
    from shared.db.models import Team

    h, t = setup_team(dev_server, token)
    saved = put(dev_server, h, t, "cap", TWO_QUERIES).json()
    assert container.task_queue.join(15)  # the save's warm-up ran under the old cap
    with container.db.session() as s:
        s.get(Team, t).byte_cap = saved["dry_run_bytes"]["small"] + 1
    container.data_service.cache.forget_local()
    cache = container.store("cache")  # what the warm-up cached would answer without a scan
    for obj in cache.list(f"{t}/"):
        cache.delete(obj.path)
    r = requests.get(url(dev_server, t, "cap", "/data/by_status.csv"), headers=h)
    assert r.status_code == 422 and r.json()["error"]["code"] == "byte_cap_exceeded"
    assert requests.get(url(dev_server, t, "cap", "/data/centers.csv"), headers=h).status_code == 200


def test_view_sql_with_its_dry_run(dev_server, token) -> None:
    h, t = setup_team(dev_server, token)
    put(dev_server, h, t, "rev", GOOD)
    r = requests.get(
        url(dev_server, t, "rev", "/data/revenue_trend/sql"), params={"start_date": "2023-01-01"}, headers=h
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert "FROM `demo.thelook_ecommerce.order_items`" in body["sql"] and body["query"] == "monthly_revenue"
    assert body["parameters"] == [{"name": "start_date", "type": "DATE", "value": "2023-01-01"}]
    assert 0 < body["dry_run_bytes"] <= body["byte_cap"]


def test_cross_filters_narrow_the_views_that_share_the_field(dev_server, token) -> None:
    h, t = setup_team(dev_server, token)
    r = put(dev_server, h, t, "st", STATUS)
    assert r.status_code == 201, r.text
    everything = views(requests.get(url(dev_server, t, "st", "/data"), headers=h))
    statuses = everything["by_status"]["values"][0]
    assert "Complete" in statuses and len(statuses) > 1
    r = requests.get(url(dev_server, t, "st", "/data"), params={"filter.status": "Complete"}, headers=h)
    filtered = views(r)
    assert filtered["by_status"]["values"][0] == ["Complete"] and filtered["by_status"]["filtered_by"] == [
        "status"
    ]
    assert sum(filtered["trend"]["values"][1]) < sum(everything["trend"]["values"][1])
    assert (
        filtered["centers"]["filtered_by"] == []
        and filtered["centers"]["values"] == everything["centers"]["values"]
    )
    # a time brush: a range of dates on the month column
    brushed = views(
        requests.get(
            url(dev_server, t, "st", "/data"), params={"range.month": "2024-01-01..2024-03-31"}, headers=h
        )
    )["trend"]
    assert brushed["values"][0] and all("2024-01-01" <= m[:10] <= "2024-03-31" for m in brushed["values"][0])
    # the value is a bound parameter, never SQL
    hostile = views(
        requests.get(url(dev_server, t, "st", "/data"), params={"filter.status": "x' OR '1'='1"}, headers=h)
    )
    assert hostile["by_status"]["row_count"] == 0
    for bad in (
        {"filter.1bad": "x"},
        {"range.month": "2024-01-01"},
        {"range.month": "2024-05-01..2024-01-01"},
    ):
        r = requests.get(url(dev_server, t, "st", "/data"), params=bad, headers=h)
        assert r.status_code == 400 and r.json()["error"]["code"] == "validation_failed", bad


def test_restore_rename_duplicate_and_who_may_delete(dev_server, token) -> None:
    h, t = setup_team(dev_server, token)
    assert put(dev_server, h, t, "rev", GOOD).status_code == 201
    assert (
        put(dev_server, h, t, "rev", GOOD.replace("Revenue overview", "Second"), version=1).status_code == 200
    )

    r = requests.post(url(dev_server, t, "rev", "/versions/1/restore"), headers=h)
    assert r.status_code == 200 and r.json()["version"] == 3 and r.json()["title"] == "Revenue overview"
    assert requests.get(url(dev_server, t, "rev", "/versions/3"), headers=h).json()["yaml"] == GOOD
    stale = requests.post(url(dev_server, t, "rev", "/versions/1/restore"), headers={**h, "If-Match": "2"})
    assert stale.status_code == 409
    assert requests.post(url(dev_server, t, "rev", "/versions/9/restore"), headers=h).status_code == 404

    r = requests.patch(url(dev_server, t, "rev"), json={"title": "Renamed: revenue"}, headers=h)
    assert r.status_code == 200 and r.json()["title"] == "Renamed: revenue" and r.json()["version"] == 4
    text = requests.get(url(dev_server, t, "rev"), headers=h).json()["yaml"]
    assert text.startswith("# yaml-language-server") and 'title: "Renamed: revenue"' in text
    assert requests.patch(url(dev_server, t, "rev"), json={}, headers=h).status_code == 400

    copy = requests.post(url(dev_server, t, "rev", "/duplicate"), headers=h)
    assert copy.status_code == 201 and copy.json()["slug"] == "rev-copy"
    assert copy.json()["title"] == "Renamed: revenue (copy)" and copy.json()["version"] == 1
    again = requests.post(url(dev_server, t, "rev", "/duplicate"), json={}, headers=h)
    assert again.json()["slug"] == "rev-copy-2"
    taken = requests.post(url(dev_server, t, "rev", "/duplicate"), json={"slug": "rev-copy"}, headers=h)
    assert taken.status_code == 409

    moved = requests.patch(url(dev_server, t, "rev-copy-2"), json={"slug": "moved"}, headers=h)
    assert moved.status_code == 201 and moved.json()["slug"] == "moved"
    assert requests.get(url(dev_server, t, "rev-copy-2"), headers=h).status_code == 404

    # a plain member may edit and copy, but not delete or move someone else's dashboard
    requests.post(
        f"{dev_server.url}/v1/teams/{t}/members",
        json={"email": "bob@example.com", "role": "member"},
        headers=h,
    )
    bob = token("bob@example.com")
    assert requests.delete(url(dev_server, t, "rev"), headers=bob).status_code == 403
    assert requests.patch(url(dev_server, t, "rev"), json={"slug": "mine"}, headers=bob).status_code == 403
    own = requests.post(url(dev_server, t, "rev", "/duplicate"), json={"slug": "bobs"}, headers=bob)
    assert own.status_code == 201 and own.json()["owner"] == "bob@example.com"
    assert requests.delete(url(dev_server, t, "bobs"), headers=bob).status_code == 204
    assert requests.delete(url(dev_server, t, "rev"), headers=h).status_code == 204


MULTI = """\
version: 1
title: Several statuses
parameters:
  - {name: statuses, type: enum, label: Statuses, multiple: true, default: [Complete, Shipped], options: [Complete, Shipped, Processing, Cancelled, Returned]}
queries:
  by_status:
    sql: |
      SELECT status, COUNT(*) AS items FROM `demo.thelook_ecommerce.order_items`
      WHERE status IN UNNEST(@statuses) GROUP BY status
views:
  - id: items
    type: table
    query: by_status
    columns: [{field: status}, {field: items}]
    layout: {x: 0, y: 0, w: 12, h: 4}
"""


def test_a_multi_value_parameter_binds_an_array(dev_server, token) -> None:
    h, t = setup_team(dev_server, token)
    r = put(dev_server, h, t, "multi", MULTI)
    assert r.status_code == 201, r.text
    data = requests.get(url(dev_server, t, "multi", "/data"), headers=h).json()
    assert data["parameters"][0]["multiple"] is True and data["parameters"][0]["value"] == [
        "Complete",
        "Shipped",
    ]
    assert sorted(views_of(data)["items"]["values"][0]) == ["Complete", "Shipped"]
    three = requests.get(
        url(dev_server, t, "multi", "/data"),
        params=[("statuses", s) for s in ("Cancelled", "Returned", "Processing")],
        headers=h,
    ).json()
    assert sorted(views_of(three)["items"]["values"][0]) == ["Cancelled", "Processing", "Returned"]
    bad = requests.get(url(dev_server, t, "multi", "/data"), params={"statuses": "Nope"}, headers=h)
    assert bad.status_code == 400 and bad.json()["error"]["details"][0]["path"] == "parameters.statuses"
    single = MULTI.replace("default: [Complete, Shipped]", "default: Complete")
    r = put(dev_server, h, t, "multi", single, version=1)
    assert r.status_code == 400 and "a list of options" in r.text


def views_of(data):
    return {v["view_id"]: v for v in data["views"]}


ONE = """\
version: 1
title: One status or all
parameters:
  - {name: status, type: enum, all: true, options: [Complete, Shipped, Processing, Cancelled, Returned]}
queries:
  by_status:
    sql: |
      SELECT status, COUNT(*) AS items FROM `demo.thelook_ecommerce.order_items`
      WHERE (@status IS NULL OR status = @status) GROUP BY status
views:
  - id: items
    type: table
    query: by_status
    columns: [{field: status}, {field: items}]
    layout: {x: 0, y: 0, w: 12, h: 4}
"""


def test_a_single_choice_parameter_with_all(dev_server, token) -> None:
    h, t = setup_team(dev_server, token)
    r = put(dev_server, h, t, "one", ONE)  # no default: the save's dry run binds All (NULL)
    assert r.status_code == 201, r.text

    def statuses(params):
        r = requests.get(url(dev_server, t, "one", "/data"), params=params, headers=h)
        assert r.status_code == 200, r.text
        return r.json()

    opened = statuses({})
    assert opened["parameters"][0]["all"] is True and opened["parameters"][0]["value"] is None
    every = sorted(views_of(opened)["items"]["values"][0])
    assert len(every) == 5
    assert views_of(statuses({"status": "Shipped"}))["items"]["values"][0] == ["Shipped"]
    assert sorted(views_of(statuses({"status": ""}))["items"]["values"][0]) == every
    # the CSV of a view binds All the same way
    csv_all = requests.get(url(dev_server, t, "one", "/data/items.csv"), params={"status": ""}, headers=h)
    assert csv_all.status_code == 200 and len(csv_all.text.strip().splitlines()) == 1 + 5
    bad = requests.get(url(dev_server, t, "one", "/data"), params={"status": "Lost"}, headers=h)
    assert bad.status_code == 400 and bad.json()["error"]["details"][0]["path"] == "parameters.status"
    r = put(dev_server, h, t, "one", ONE.replace("all: true", "all: false"), version=1)
    assert r.status_code == 400 and "a default is required" in r.text


COUNTRY = """\
version: 1
title: One country
parameters:
  - {name: country, type: string, label: Country, default: Brasil, values_from: {query: countries, field: country}}
queries:
  countries:
    sql: SELECT country, COUNT(*) AS users FROM `demo.thelook_ecommerce.users` GROUP BY country
  one:
    sql: SELECT COUNT(*) AS users FROM `demo.thelook_ecommerce.users` WHERE country = @country
views:
  - id: users
    type: kpi
    query: one
    value: {field: users, format: integer}
    layout: {x: 0, y: 0, w: 3, h: 2}
"""


def test_parameter_values_come_from_the_data(dev_server, token) -> None:
    h, t = setup_team(dev_server, token)
    r = put(dev_server, h, t, "country", COUNTRY)
    assert r.status_code == 201, r.text
    path = url(dev_server, t, "country", "/parameters/country/values")
    body = requests.get(path, headers=h).json()
    rows = requests.get(url(dev_server, t, "country", "/data"), headers=h).json()["parameters"][0]
    assert rows["values_from"] == {"query": "countries", "field": "country"}
    assert body["values"] == sorted(body["values"]) and len(body["values"]) > 3 and body["truncated"] is False
    some = body["values"][1]
    narrowed = requests.get(path, params={"q": some[1:4].upper()}, headers=h).json()["values"]
    assert some in narrowed and all(some[1:4].lower() in v.lower() for v in narrowed)
    assert (
        requests.get(url(dev_server, t, "country", "/parameters/nope/values"), headers=h).status_code == 404
    )
    assert requests.get(path, headers=token("mallory@example.com")).status_code == 404
    bad = put(dev_server, h, t, "country2", COUNTRY.replace("field: country}", "field: nation}"))
    assert bad.status_code == 400 and "has no column 'nation'" in bad.text
