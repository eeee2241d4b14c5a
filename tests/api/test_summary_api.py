"""Titles that follow parameters, KPI comparisons and table totals, end to end over the demo warehouse.

Every expected number comes from the same API asked another way (a plain KPI over the earlier
period, a table without top_n), never from a constant.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import requests
from test_dashboards_api import put, setup_team

from shared.dashboards.templates import DASH

SUMMARY = """\
version: 1
title: "Revenue — {{ country }} ({{ period }})"
description: "Items sold in {{ country }} since {{ period.start }}"
parameters:
  - {name: period, type: date_range, label: Period, default: {start: "2023-01-01", end: "2023-06-30"}}
  - {name: country, type: string, label: Country, default: Germany}
queries:
  totals:
    sql: |
      SELECT SUM(oi.sale_price) AS revenue, COUNT(*) AS items
      FROM `demo.thelook_ecommerce.order_items` AS oi
      JOIN `demo.thelook_ecommerce.users` AS u ON u.id = oi.user_id
      WHERE u.country = @country AND DATE(oi.created_at) BETWEEN @period_start AND @period_end
  rows:
    sql: |
      SELECT oi.status AS status, oi.user_id AS user_id, oi.sale_price AS sale_price
      FROM `demo.thelook_ecommerce.order_items` AS oi
      JOIN `demo.thelook_ecommerce.users` AS u ON u.id = oi.user_id
      WHERE u.country = @country AND DATE(oi.created_at) BETWEEN @period_start AND @period_end
  by_status:
    sql: |
      SELECT oi.status AS status, SUM(oi.sale_price) AS revenue, COUNT(*) AS items,
        AVG(oi.sale_price) AS avg_price
      FROM `demo.thelook_ecommerce.order_items` AS oi
      JOIN `demo.thelook_ecommerce.users` AS u ON u.id = oi.user_id
      WHERE u.country = @country AND DATE(oi.created_at) BETWEEN @period_start AND @period_end
      GROUP BY status
views:
  - id: revenue
    type: kpi
    title: "Revenue in {{ country }}"
    query: totals
    value: {field: revenue, format: currency}
    compare: {to: previous_period}
    layout: {x: 0, y: 0, w: 3, h: 2}
  - id: items_year
    type: kpi
    title: Items
    query: totals
    value: {field: items, format: integer}
    compare: {to: previous_year, good: down}
    layout: {x: 3, y: 0, w: 3, h: 2}
  - id: plain
    type: kpi
    title: Revenue, no comparison
    query: totals
    value: {field: revenue, format: currency}
    layout: {x: 6, y: 0, w: 3, h: 2}
  - id: plain_items
    type: kpi
    title: Items, no comparison
    query: totals
    value: {field: items, format: integer}
    layout: {x: 9, y: 0, w: 3, h: 2}
  - id: top_statuses
    type: table
    title: Top statuses
    query: rows
    totals: true
    top_n: 2
    columns:
      - {field: status, title: Status}
      - {field: sale_price, aggregate: sum, format: currency, title: Revenue}
      - {field: user_id, aggregate: count_distinct, title: Buyers}
    layout: {x: 0, y: 2, w: 6, h: 4}
  - id: all_statuses
    type: table
    title: All statuses
    query: by_status
    totals: true
    sort: {field: revenue, order: desc}
    columns:
      - {field: status, title: Status}
      - {field: revenue, format: currency}
      - {field: items, format: integer}
      - {field: avg_price, format: currency, total: {numerator: revenue, denominator: items}}
    layout: {x: 6, y: 2, w: 6, h: 4}
  - id: buyers
    type: kpi
    title: Buyers
    query: rows
    value: {field: user_id, aggregate: count_distinct, format: integer}
    layout: {x: 0, y: 6, w: 3, h: 2}
"""


def _data(dev_server: Any, h: dict[str, str], t: str, **params: str) -> dict[str, Any]:
    r = requests.get(f"{dev_server.url}/v1/teams/{t}/dashboards/summary/data", params=params, headers=h)
    assert r.status_code == 200, r.text
    return r.json()


def _views(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out = {v["view_id"]: v for v in body["views"]}
    assert all(v["status"] == "ok" for v in out.values()), [v["error"] for v in out.values()]
    return out


def _cell(view: dict[str, Any], name: str, row: int = 0) -> Any:
    return view["values"][[c["name"] for c in view["columns"]].index(name)][row]


def _column(view: dict[str, Any], name: str) -> list[Any]:
    return view["values"][[c["name"] for c in view["columns"]].index(name)]


@pytest.fixture
def saved(dev_server: Any, token: Any) -> tuple[dict[str, str], str]:
    h, t = setup_team(dev_server, token)
    r = put(dev_server, h, t, "summary", SUMMARY)
    assert r.status_code == 201, r.text
    return h, t


def test_titles_follow_the_parameters(dev_server: Any, saved: Any) -> None:
    h, t = saved
    body = _data(dev_server, h, t)
    assert body["dashboard"]["title"] == f"Revenue — Germany (Jan{DASH}Jun 2023)"
    assert body["dashboard"]["description"] == "Items sold in Germany since Jan 1, 2023"
    assert _views(body)["revenue"]["title"] == "Revenue in Germany"
    assert _views(body)["revenue"]["title_template"] == "Revenue in {{ country }}"
    assert body["dashboard"]["title_template"] == "Revenue — {{ country }} ({{ period }})"
    body = _data(dev_server, h, t, country="France", period="2022-01-01..2023-12-31")
    assert body["dashboard"]["title"] == f"Revenue — France (2022{DASH}2023)"
    assert _views(body)["revenue"]["title"] == "Revenue in France"
    # the list (and the dashboard's metadata) show the title as the defaults make it read
    listed = requests.get(f"{dev_server.url}/v1/teams/{t}/dashboards", headers=h).json()["dashboards"]
    assert [d["title"] for d in listed if d["slug"] == "summary"] == [
        f"Revenue — Germany (Jan{DASH}Jun 2023)"
    ]


def test_a_kpi_compares_with_the_previous_period_in_one_query(dev_server: Any, saved: Any) -> None:
    h, t = saved
    views = _views(_data(dev_server, h, t, period="2023-01-01..2023-06-30"))
    kpi = views["revenue"]
    assert [c["name"] for c in kpi["columns"]] == [
        "revenue", "_previous", "_change", "_change_ratio", "_previous_start", "_previous_end",
    ]  # fmt: skip
    assert kpi["row_count"] == 1
    assert _cell(kpi, "revenue") == pytest.approx(_cell(views["plain"], "revenue"))
    start, end = _cell(kpi, "_previous_start"), _cell(kpi, "_previous_end")
    first, last = dt.date(2023, 1, 1), dt.date(2023, 6, 30)
    length = dt.timedelta(days=(last - first).days + 1)
    assert (start, end) == ((first - length).isoformat(), (first - dt.timedelta(days=1)).isoformat())
    earlier = _views(_data(dev_server, h, t, period=f"{start}..{end}"))
    previous = _cell(earlier["plain"], "revenue")
    assert _cell(kpi, "_previous") == pytest.approx(previous)
    assert _cell(kpi, "_change") == pytest.approx(_cell(kpi, "revenue") - previous)
    assert _cell(kpi, "_change_ratio") == pytest.approx((_cell(kpi, "revenue") - previous) / abs(previous))
    spec = kpi["spec"]["compare"]
    assert spec["label"] == "vs previous period" and spec["good"] == "up"

    year = views["items_year"]
    assert (_cell(year, "_previous_start"), _cell(year, "_previous_end")) == ("2022-01-01", "2022-06-30")
    a_year_ago = _views(_data(dev_server, h, t, period="2022-01-01..2022-06-30"))
    assert _cell(year, "_previous") == _cell(a_year_ago["plain_items"], "items")
    assert year["spec"]["compare"]["good"] == "down"


def test_table_totals_are_computed_in_sql_and_sent_apart(dev_server: Any, saved: Any) -> None:
    h, t = saved
    views = _views(_data(dev_server, h, t))
    every = views["all_statuses"]
    assert "_bridge_total" not in [c["name"] for c in every["columns"]]
    assert every["row_count"] == len(_column(every, "status")) >= 3
    revenue = _column(every, "revenue")
    assert revenue == sorted(revenue, reverse=True)  # the view's order survives the totals row
    totals = every["totals"]
    assert totals["status"] is None
    assert totals["revenue"] == pytest.approx(sum(revenue))
    assert totals["items"] == sum(_column(every, "items"))
    # a ratio's total is the ratio of the totals, not the ratios summed
    assert totals["avg_price"] == pytest.approx(totals["revenue"] / totals["items"])
    assert totals["avg_price"] != pytest.approx(sum(_column(every, "avg_price")))

    top = views["top_statuses"]
    assert top["row_count"] == 2
    # the totals cover every row, not just the top 2; a distinct count is counted again, not summed
    assert top["totals"]["sale_price"] == pytest.approx(totals["revenue"])
    assert top["totals"]["sale_price"] > sum(_column(top, "sale_price"))
    assert top["totals"]["user_id"] == _cell(views["buyers"], "user_id")
    assert top["spec"]["totals"]["columns"] == {
        "status": "none",
        "sale_price": "aggregate",
        "user_id": "aggregate",
    }
    csv = requests.get(f"{dev_server.url}/v1/teams/{t}/dashboards/summary/data/all_statuses.csv", headers=h)
    assert csv.status_code == 200 and csv.text.splitlines()[0] == "status,revenue,items,avg_price"
    assert len(csv.text.splitlines()) == every["row_count"] + 1  # the rows; the totals are the app's


def test_a_comparison_needs_a_period_the_query_uses(dev_server: Any, saved: Any) -> None:
    h, t = saved
    text = SUMMARY.replace(
        "compare: {to: previous_period}", "compare: {to: previous_period, parameter: country}"
    )
    r = put(dev_server, h, t, "summary-bad", text)
    assert r.status_code == 400
    detail = r.json()["error"]["details"][0]
    line = text.splitlines().index("    compare: {to: previous_period, parameter: country}") + 1
    assert (detail["path"], detail["line"]) == ("views[0].compare.parameter", line)
    assert "not a date_range parameter" in detail["message"]
