"""The dashboard page in a real browser: grid, charts, KPIs equal to the data API, parameters, refresh, YAML."""

from __future__ import annotations

from typing import Any

import pytest
from webhelpers import (
    DESKTOP,
    PHONE,
    Api,
    currency,
    demo_api,
    kpi_from_api,
    open_dashboard,
    screenshot,
    sign_in,
    wait_ready,
)

pytestmark = pytest.mark.browser

REVENUE = """\
version: 1
title: Revenue overview
description: Monthly revenue, best countries and order statuses
parameters:
  - {name: start_date, type: date, label: Since, default: "2020-01-01"}
  - {name: status, type: enum, label: Status, default: Complete, options: [Complete, Shipped, Processing]}
queries:
  monthly_revenue:
    sql: |
      SELECT DATE_TRUNC(DATE(created_at), MONTH) AS month, SUM(sale_price) AS revenue, COUNT(*) AS items
      FROM `demo.thelook_ecommerce.order_items`
      WHERE status = @status AND DATE(created_at) >= @start_date
      GROUP BY month ORDER BY month
  by_country:
    sql: |
      SELECT u.country AS country, SUM(oi.sale_price) AS revenue
      FROM `demo.thelook_ecommerce.order_items` AS oi
      JOIN `demo.thelook_ecommerce.users` AS u ON u.id = oi.user_id
      WHERE oi.status = @status AND DATE(oi.created_at) >= @start_date
      GROUP BY country
views:
  - id: revenue_kpi
    type: kpi
    title: Revenue
    query: monthly_revenue
    value: {field: revenue, aggregate: sum, format: currency}
    layout: {x: 0, y: 0, w: 3, h: 2}
  - id: items_kpi
    type: kpi
    title: Items sold
    query: monthly_revenue
    value: {field: items, aggregate: sum, format: integer}
    layout: {x: 3, y: 0, w: 3, h: 2}
  - id: note
    type: text
    title: About
    text: "Revenue counts items with the chosen status. <b>not bold</b>"
    layout: {x: 6, y: 0, w: 6, h: 2}
  - id: revenue_trend
    type: line
    title: Revenue by month
    query: monthly_revenue
    x: {field: month, type: temporal, time_grain: month}
    y: {field: revenue, type: quantitative, format: currency}
    layout: {x: 0, y: 2, w: 8, h: 4}
  - id: top_countries
    type: bar
    title: Top countries
    query: by_country
    x: {field: country, type: nominal}
    y: {field: revenue, type: quantitative, format: currency}
    top_n: 6
    sort: {field: revenue, order: desc}
    layout: {x: 8, y: 2, w: 4, h: 4}
  - id: country_table
    type: table
    title: Revenue by country
    query: by_country
    columns:
      - {field: country, title: Country}
      - {field: revenue, title: Revenue, format: currency}
    layout: {x: 0, y: 6, w: 12, h: 4}
"""


def assert_charts_drawn(page: Any) -> None:
    line = page.locator("[data-view-id='revenue_trend'] .chart svg .mark-line path")
    assert line.count() >= 1 and len(line.first.get_attribute("d") or "") > 20
    bars = page.locator("[data-view-id='top_countries'] .chart svg .mark-rect path")
    assert bars.count() == 6
    label = page.locator("[data-view-id='revenue_trend'] .chart").get_attribute("aria-label") or ""
    assert "Revenue by month" in label and "data points" in label and "Revenue from $" in label


@pytest.fixture
def saved(dev_server: Any, token: Any) -> tuple[Api, str]:
    api, team_id = demo_api(dev_server, token)
    r = api.put_yaml(f"/v1/teams/{team_id}/dashboards/revenue", REVENUE)
    assert r.status_code == 201, r.text
    return api, team_id


def test_dashboard_renders_matches_the_data_api_and_reacts(
    dev_server: Any, saved: Any, open_page: Any
) -> None:
    api, team_id = saved
    page = open_page(DESKTOP)
    open_dashboard(page, dev_server.url, team_id, "revenue")
    assert page.get_by_role("heading", name="Revenue overview").is_visible()
    assert_charts_drawn(page)

    data = api.get(f"/v1/teams/{team_id}/dashboards/revenue/data").json()
    revenue = kpi_from_api(data, "revenue_kpi", "revenue")
    kpi = page.locator("[data-view-id='revenue_kpi'] .kpi-value")
    assert float(kpi.get_attribute("data-value") or "nan") == pytest.approx(revenue)
    assert kpi.inner_text() == currency(revenue)
    items = page.locator("[data-view-id='items_kpi'] .kpi-value")
    assert items.inner_text() == f"{int(kpi_from_api(data, 'items_kpi', 'items')):,}"
    # markdown is text, never HTML
    assert "<b>not bold</b>" in page.locator("[data-view-id='note']").inner_text()
    assert page.locator("[data-view-id='note'] b").count() == 0
    assert page.locator(".freshness").inner_text().startswith("Data as of")
    screenshot(page, "dashboard-1280")

    # table headers sort on click (and with the keyboard)
    first = page.locator("[data-view-id='country_table'] tbody tr").first
    revenue_header = page.locator("[data-view-id='country_table'] th", has_text="Revenue")
    revenue_header.get_by_role("button").click()
    assert revenue_header.get_attribute("aria-sort") == "ascending"
    smallest = first.locator("td").nth(1).inner_text()
    revenue_header.get_by_role("button").press("Enter")
    assert revenue_header.get_attribute("aria-sort") == "descending"
    assert first.locator("td").nth(1).inner_text() != smallest

    # a parameter change re-fetches with the query string; KPI follows the API
    with page.expect_response(lambda r: "/data?" in r.url and "status=Shipped" in r.url) as resp:
        page.get_by_label("Status").select_option("Shipped")
    assert resp.value.status == 200
    wait_ready(page)
    shipped = api.get(f"/v1/teams/{team_id}/dashboards/revenue/data", params={"status": "Shipped"}).json()
    assert float(kpi.get_attribute("data-value") or "nan") == pytest.approx(
        kpi_from_api(shipped, "revenue_kpi", "revenue")
    )
    assert "status=Shipped" in page.url
    page.get_by_label("Since").fill("2099-01-01")
    page.get_by_label("Since").press("Enter")
    page.locator("[data-view-id='revenue_trend'] .empty").wait_for()

    # refresh recomputes through the API
    with page.expect_response(
        lambda r: (
            r.url.endswith("/refresh?start_date=2099-01-01&status=Shipped") and r.request.method == "POST"
        )
    ) as refreshed:
        page.get_by_role("button", name="Refresh").click()
    assert refreshed.value.status == 200
    page.get_by_text("Data refreshed").wait_for()

    # YAML one click away, and downloadable
    page.get_by_role("button", name="YAML", exact=True).click()
    assert "title: Revenue overview" in page.get_by_label("revenue.yaml").input_value()
    with page.expect_download() as dl:
        page.get_by_role("button", name="Download YAML").click()
    assert dl.value.suggested_filename == "revenue.yaml"
    with open(dl.value.path(), encoding="utf-8") as f:
        assert f.read() == api.get(f"/v1/teams/{team_id}/dashboards/revenue?format=yaml").text


def test_dashboard_on_a_phone_is_one_column(dev_server: Any, saved: Any, open_page: Any) -> None:
    _, team_id = saved
    page = open_page(PHONE)
    open_dashboard(page, dev_server.url, team_id, "revenue")
    assert_charts_drawn(page)
    kpi1, kpi2, trend, table = (
        page.locator(f"[data-view-id='{v}']").bounding_box()
        for v in ("revenue_kpi", "items_kpi", "revenue_trend", "country_table")
    )
    assert kpi1 and kpi2 and trend and table
    assert kpi1["y"] == kpi2["y"] and kpi1["x"] < kpi2["x"]  # KPI tiles pair up
    assert kpi1["y"] < trend["y"] < table["y"] and trend["width"] > 340 and table["width"] > 340
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "dashboard-390")


def test_missing_dashboard_and_signed_out_visitor(dev_server: Any, saved: Any, open_page: Any) -> None:
    _, team_id = saved
    page = open_page(DESKTOP)
    page.problems.expect("status of 404 (NOT FOUND)")
    page.goto(f"{dev_server.url}/d/{team_id}/revenue")
    page.get_by_role("heading", name="Sign in to Bridge").wait_for()
    sign_in(page, dev_server.url, "stranger@example.com")
    page.goto(f"{dev_server.url}/d/{team_id}/revenue")
    page.get_by_text("This dashboard does not exist or you cannot see it.").wait_for()


def test_a_view_over_the_byte_cap_fails_alone(
    dev_server: Any, token: Any, container: Any, open_page: Any
) -> None:
    from shared.db.models import Team

    api, team_id = demo_api(dev_server, token)
    saved = api.put_yaml(f"/v1/teams/{team_id}/dashboards/revenue", REVENUE).json()
    small, big = saved["dry_run_bytes"]["monthly_revenue"], saved["dry_run_bytes"]["by_country"]
    assert small < big
    with container.db.session() as s:
        s.get(Team, team_id).byte_cap = (small + big) // 2

    page = open_page(DESKTOP)
    open_dashboard(page, dev_server.url, team_id, "revenue")
    with page.expect_response(lambda r: "/refresh" in r.url):
        page.get_by_role("button", name="Refresh").click()
    wait_ready(page)
    error = page.locator("[data-view-id='top_countries'] .view-error")
    error.wait_for()
    assert "over the team's byte cap" in error.inner_text()
    assert page.locator("[data-view-id='top_countries'] svg").count() == 0
    # the other views are unaffected
    assert page.locator("[data-view-id='revenue_trend'] .chart svg .mark-line path").count() >= 1
    assert (
        page.locator(
            "[data-view-id='revenue_trend'] .view-error, [data-view-id='revenue_kpi'] .view-error"
        ).count()
        == 0
    )
    assert page.locator("[data-view-id='revenue_kpi'] .kpi-value").inner_text().startswith("$")


EVERY_CHART = """\
version: 1
title: Every chart
queries:
  monthly:
    sql: |
      SELECT DATE_TRUNC(DATE(created_at), MONTH) AS month, status, SUM(sale_price) AS revenue, COUNT(*) AS items
      FROM `demo.thelook_ecommerce.order_items`
      GROUP BY month, status
  statuses:
    sql: |
      SELECT status, SUM(sale_price) AS revenue FROM `demo.thelook_ecommerce.order_items` GROUP BY status
  users:
    sql: |
      SELECT age, COUNT(*) AS users FROM `demo.thelook_ecommerce.users` GROUP BY age
views:
  - id: area
    type: area
    query: monthly
    x: {field: month, type: temporal, time_grain: month}
    y: {field: revenue, type: quantitative, format: currency}
    color: {field: status}
    layout: {x: 0, y: 0, w: 6, h: 4}
  - id: pie
    type: pie
    query: statuses
    theta: {field: revenue}
    color: {field: status}
    layout: {x: 6, y: 0, w: 6, h: 4}
  - id: scatter
    type: scatter
    query: users
    x: {field: age}
    y: {field: users}
    layout: {x: 0, y: 4, w: 6, h: 4}
  - id: heatmap
    type: heatmap
    query: monthly
    x: {field: month, type: ordinal, time_grain: year}
    y: {field: status}
    color: {field: items, aggregate: sum}
    layout: {x: 6, y: 4, w: 6, h: 4}
"""


def test_every_chart_type_draws_under_the_strict_policy(dev_server: Any, token: Any, open_page: Any) -> None:
    api, team_id = demo_api(dev_server, token)
    r = api.put_yaml(f"/v1/teams/{team_id}/dashboards/every-chart", EVERY_CHART)
    assert r.status_code == 201, r.text
    page = open_page(DESKTOP)
    open_dashboard(page, dev_server.url, team_id, "every-chart")
    marks = {
        "area": ".mark-area path",
        "pie": ".mark-arc path",
        "scatter": ".mark-symbol path",
        "heatmap": ".mark-rect path",
    }
    for view_id, selector in marks.items():
        drawn = page.locator(f"[data-view-id='{view_id}'] .chart svg {selector}")
        assert drawn.count() >= 3, view_id
    assert page.locator(".view-error").count() == 0


def test_a_dark_dashboard_gets_dark_tiles(dev_server: Any, token: Any, open_page: Any) -> None:
    api, team_id = demo_api(dev_server, token)
    dark = REVENUE.replace("description: Monthly revenue", "theme: dark\ndescription: Monthly revenue")
    assert api.put_yaml(f"/v1/teams/{team_id}/dashboards/dark", dark).status_code == 201
    page = open_page(DESKTOP)
    open_dashboard(page, dev_server.url, team_id, "dark")
    tile = page.locator("[data-view-id='revenue_kpi']")
    assert tile.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(24, 24, 27)"
    assert tile.locator(".kpi-value").evaluate("e => getComputedStyle(e).color") == "rgb(250, 250, 250)"
