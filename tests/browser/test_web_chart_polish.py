"""Series and period details as drawn at 1280 and 390 px: bars on a time axis as wide as their
month and grouped side by side, a status really called "Other" apart from the folded rest, and
the "left out" note only when the current month had rows. Screenshots: chart-polish-<width>.png."""

from __future__ import annotations

from typing import Any

import pytest
from test_web_chart_drawing import VIEWPORTS, drawn, full_screenshot, rows
from webhelpers import demo_api, open_dashboard

pytestmark = pytest.mark.browser

MONTHS = "DATE(created_at) >= DATE_SUB(DATE_TRUNC(CURRENT_DATE(), MONTH), INTERVAL 5 MONTH)"
POLISH = f"""\
version: 1
title: Chart polish
queries:
  recent:
    sql: |
      SELECT DATE_TRUNC(DATE(created_at), MONTH) AS month, status, SUM(sale_price) AS revenue
      FROM `demo.thelook_ecommerce.order_items` WHERE {MONTHS} GROUP BY month, status
  past:
    sql: |
      SELECT DATE_TRUNC(DATE(created_at), MONTH) AS month, SUM(sale_price) AS revenue
      FROM `demo.thelook_ecommerce.order_items`
      WHERE {MONTHS} AND DATE(created_at) < DATE_TRUNC(CURRENT_DATE(), MONTH) GROUP BY month
  renamed:
    sql: |
      SELECT IF(status = 'Complete', 'Other', status) AS status, COUNT(*) AS items
      FROM `demo.thelook_ecommerce.order_items` GROUP BY 1
views:
  - id: grouped
    type: bar
    title: Revenue by month and status
    query: recent
    x: {{field: month, type: temporal, time_grain: month}}
    y: {{field: revenue, format: currency}}
    color: {{field: status, stack: grouped}}
    max_series: 3
    partial_period: show
    layout: {{x: 0, y: 0, w: 12, h: 5}}
  - id: renamed
    type: pie
    title: Items by status
    query: renamed
    theta: {{field: items}}
    color: {{field: status}}
    max_slices: 4
    layout: {{x: 0, y: 5, w: 6, h: 5}}
  - id: hide_some
    type: bar
    title: Complete months only
    query: recent
    x: {{field: month, type: temporal, time_grain: month}}
    y: {{field: revenue, format: currency}}
    partial_period: hide
    layout: {{x: 6, y: 5, w: 6, h: 4}}
  - id: hide_none
    type: line
    title: Past months
    query: past
    x: {{field: month, type: temporal, time_grain: month}}
    y: {{field: revenue, format: currency}}
    partial_period: hide
    layout: {{x: 6, y: 9, w: 6, h: 4}}
"""


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_time_bars_group_other_stays_apart_and_the_hide_note_needs_a_dropped_row(
    dev_server: Any, token: Any, open_page: Any, viewport: dict[str, int]
) -> None:
    api, team_id = demo_api(dev_server, token)
    r = api.put_yaml(f"/v1/teams/{team_id}/dashboards/polish", POLISH)
    assert r.status_code == 201, r.text
    data = api.get(f"/v1/teams/{team_id}/dashboards/polish/data").json()
    page = open_page(viewport)
    open_dashboard(page, dev_server.url, team_id, "polish")

    # grouped bars on a month axis: side by side within each month, each a real share of it
    grouped = rows(data, "grouped")
    months = sorted({r["month"] for r in grouped})
    series = len({r["status"] for r in grouped})
    assert len(months) == 6 and series == 4  # three statuses and Other
    bars = drawn(page, "grouped", ".mark-rect path")
    assert len(bars) == len(grouped)
    plot = drawn(page, "grouped", ".role-axis-domain path, .background")[0]["w"]
    band = plot / len(months)
    assert all(band / series * 0.5 < b["w"] <= band / series + 1 for b in bars), [b["w"] for b in bars]
    lefts = sorted({round(b["x"]) for b in bars})
    assert len(lefts) == len(grouped)  # no two bars on top of each other: grouped, not stacked
    axis = [t["text"] for t in drawn(page, "grouped", ".role-axis-label text")]
    assert any(t.endswith(str(months[-1])[:4]) and t[:3].isalpha() for t in axis), axis  # "Dec 2026"

    # a status really called "Other" keeps its slice; the folded rest is "Other (rest)", once each
    legend = [t["text"] for t in drawn(page, "renamed", ".role-legend-label text")]
    assert legend.count("Other") == 1 and legend.count("Other (rest)") == 1 and legend[-1] == "Other (rest)"
    slices = rows(data, "renamed")
    assert len(slices) == 5 and [s["status"] for s in slices].count("Other") == 1

    # the note: shown where this month's rows were left out, not where there were none to leave
    assert rows(data, "hide_some")[0]["_partial_hidden"] > 0
    assert {r["_partial_hidden"] for r in rows(data, "hide_none")} == {0}
    note = "The current month is still in progress and is left out."
    assert page.locator("[data-view-id='hide_some'] .chart-note[data-partial='hide']").inner_text() == note
    assert page.locator("[data-view-id='hide_none'] .chart-note").count() == 0
    full_screenshot(page, f"chart-polish-{viewport['width']}")
