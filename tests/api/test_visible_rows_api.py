"""A chart's helper columns (series rank, pie share, partial-period flags) reach the web app's data
payload but never a CSV download: the CSV is the data API's visible rows, over real HTTP."""

from __future__ import annotations

import csv
import io

import requests
from test_dashboards_api import put, setup_team
from test_data_api import views

from shared.dashboards.visible import HELPER_COLUMNS, visible_view

CHARTS = """\
version: 1
title: Helpers
queries:
  statuses:
    sql: SELECT status, COUNT(*) AS items FROM `demo.thelook_ecommerce.order_items` GROUP BY status
  monthly:
    sql: |
      SELECT DATE_TRUNC(DATE(created_at), MONTH) AS month, status, SUM(sale_price) AS revenue
      FROM `demo.thelook_ecommerce.order_items` GROUP BY month, status
views:
  - id: share
    type: pie
    query: statuses
    theta: {field: items}
    color: {field: status}
    max_slices: 3
    layout: {x: 0, y: 0, w: 6, h: 4}
  - id: trend
    type: line
    query: monthly
    x: {field: month, type: temporal, time_grain: month}
    y: {field: revenue}
    color: {field: status}
    max_series: 2
    layout: {x: 6, y: 0, w: 6, h: 4}
  - id: hidden
    type: bar
    query: monthly
    x: {field: month, type: temporal, time_grain: month}
    y: {field: revenue}
    partial_period: hide
    layout: {x: 0, y: 4, w: 12, h: 4}
"""


def test_csv_has_the_visible_rows_and_the_payload_keeps_the_helpers(dev_server, token) -> None:
    h, t = setup_team(dev_server, token)
    assert put(dev_server, h, t, "helpers", CHARTS).status_code == 201
    base = f"{dev_server.url}/v1/teams/{t}/dashboards/helpers"
    data = views(requests.get(f"{base}/data", headers=h))
    for view_id, helpers in (
        ("share", {"_series_rank", "_share"}),
        ("trend", {"_series_rank", "_partial", "_partial_edge"}),
        ("hidden", {"_partial_hidden"}),
    ):
        payload = data[view_id]
        assert helpers <= {c["name"] for c in payload["columns"]}, view_id  # the web app draws with them
        r = requests.get(f"{base}/data/{view_id}.csv", headers=h)
        assert r.status_code == 200, r.text
        rows = list(csv.reader(io.StringIO(r.text)))
        visible = visible_view(payload)
        assert rows[0] == [c["name"] for c in visible["columns"]] and not set(rows[0]) & HELPER_COLUMNS
        expected = [[str(v) for v in row] for row in zip(*visible["values"], strict=True)]
        assert rows[1:] == expected and len(rows) - 1 == payload["row_count"]
