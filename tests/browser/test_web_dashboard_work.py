"""Working with a dashboard in a real browser: tile actions, cross-filters, presets, editing, history, managing."""

from __future__ import annotations

import csv
import re
from typing import Any

import pytest
from playwright.sync_api import expect
from webhelpers import (
    DESKTOP,
    Api,
    axe_violations,
    demo_api,
    kpi_from_api,
    open_dashboard,
    screenshot,
    sign_in,
    wait_ready,
)

from shared.dashboards.visible import visible_view
from shared.dev.seed import DEMO_EMAIL

pytestmark = pytest.mark.browser

ORDERS = """\
version: 1
title: Orders by status
parameters:
  - {name: period, type: date_range, label: Period, default: {start: "2019-01-01", end: today}}
queries:
  statuses:
    sql: |
      SELECT status, COUNT(*) AS items, SUM(sale_price) AS revenue
      FROM `demo.thelook_ecommerce.order_items`
      WHERE DATE(created_at) BETWEEN @period_start AND @period_end
      GROUP BY status
  monthly:
    sql: |
      SELECT DATE_TRUNC(DATE(created_at), MONTH) AS month, status, SUM(sale_price) AS revenue
      FROM `demo.thelook_ecommerce.order_items`
      WHERE DATE(created_at) BETWEEN @period_start AND @period_end
      GROUP BY month, status
views:
  - id: by_status
    type: bar
    title: Items by status
    query: statuses
    x: {field: status, type: nominal}
    y: {field: items, type: quantitative}
    layout: {x: 0, y: 0, w: 6, h: 4}
  - id: trend
    type: line
    title: Revenue by month
    query: monthly
    x: {field: month, type: temporal, time_grain: month}
    y: {field: revenue, type: quantitative, format: currency}
    layout: {x: 6, y: 0, w: 6, h: 4}
  - id: status_table
    type: table
    title: Statuses
    query: statuses
    columns:
      - {field: status, title: Status}
      - {field: items, title: Items}
    layout: {x: 0, y: 4, w: 12, h: 4}
"""


@pytest.fixture
def orders(dev_server: Any, token: Any) -> tuple[Api, str]:
    api, team_id = demo_api(dev_server, token)
    r = api.put_yaml(f"/v1/teams/{team_id}/dashboards/orders", ORDERS)
    assert r.status_code == 201, r.text
    return api, team_id


def view_of(data: dict[str, Any], view_id: str) -> dict[str, Any]:
    return next(v for v in data["views"] if v["view_id"] == view_id)


def tile_action(page: Any, title: str, action: str) -> None:
    page.get_by_label(f"Actions for {title}").click()
    page.get_by_role("menuitem", name=action).click()


def test_tile_actions_cross_filters_and_presets(dev_server: Any, orders: Any, open_page: Any) -> None:
    api, team_id = orders
    page = open_page(DESKTOP)
    open_dashboard(page, dev_server.url, team_id, "orders")
    assert axe_violations(page) == []

    # the SQL, with its dry run and when the data was computed
    tile_action(page, "Items by status", "View SQL")
    dialog = page.get_by_role("dialog")
    expect(dialog.locator(".dry-run")).to_contain_text("under the")
    assert "FROM `demo.thelook_ecommerce.order_items`" in dialog.locator("pre.sql").inner_text()
    assert dialog.locator(".computed-at").inner_text().startswith("Data computed")
    screenshot(page, "tile-sql")
    dialog.get_by_role("button", name="Close").click()

    # CSV: the data API's rows
    with page.expect_download() as dl:
        tile_action(page, "Items by status", "Download CSV")
    assert dl.value.suggested_filename == "orders-by_status.csv"
    with open(dl.value.path(), encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    # the visible rows: the data API's, without the chart's helper columns (one definition)
    view = visible_view(view_of(api.get(f"/v1/teams/{team_id}/dashboards/orders/data").json(), "by_status"))
    assert rows[0] == [c["name"] for c in view["columns"]] and not any(n.startswith("_") for n in rows[0])
    assert [[r[0], int(r[1]), float(r[2])] for r in rows[1:]] == [
        list(x) for x in zip(*view["values"], strict=True)
    ]

    # PNG and SVG of the chart
    with page.expect_download() as png:
        tile_action(page, "Items by status", "Download PNG")
    with open(png.value.path(), "rb") as f:
        assert png.value.suggested_filename == "orders-by_status.png" and f.read(8) == b"\x89PNG\r\n\x1a\n"
    with page.expect_download() as svg:
        tile_action(page, "Items by status", "Download SVG")
    with open(svg.value.path(), encoding="utf-8") as f:
        image = f.read()
    assert "<svg" in image and image.count("<path") >= len(rows) - 1

    # a click on a bar filters the views that share its field, and the URL
    statuses = page.locator("[data-view-id='status_table'] tbody tr")
    assert statuses.count() == len(rows) - 1 > 1
    with page.expect_response(lambda r: "/data?" in r.url and "filter.status=" in r.url):
        page.locator("[data-view-id='by_status'] .chart svg .mark-rect path").first.click()
    wait_ready(page)
    chosen = re.search(r"filter\.status=([^&]+)", page.url)
    assert chosen, page.url
    value = chosen.group(1).replace("+", " ")
    expect(statuses).to_have_count(1)
    assert statuses.first.locator("td").first.inner_text() == value
    chip = page.locator(".filter-chip")
    assert chip.inner_text().startswith(f"status: {value}")
    assert page.locator("[data-view-id='trend'] .badge.filtered").count() == 1
    filtered = api.get(f"/v1/teams/{team_id}/dashboards/orders/data", params={"filter.status": value}).json()
    assert view_of(filtered, "trend")["filtered_by"] == ["status"]
    screenshot(page, "dashboard-cross-filter")
    # the filtered state survives a reload (it is in the URL) and the chip removes it
    page.reload()
    wait_ready(page)
    expect(statuses).to_have_count(1)
    page.locator(".filter-chip").click()
    wait_ready(page)
    expect(statuses).to_have_count(len(rows) - 1)
    assert "filter.status" not in page.url

    # date presets set the range parameter
    with page.expect_response(lambda r: "/data?" in r.url and "period_start=" in r.url):
        page.get_by_role("button", name="Last 90 days").click()
    wait_ready(page)
    assert (
        "period_start=" in page.url
        and page.get_by_role("button", name="Last 90 days").get_attribute("aria-pressed") == "true"
    )

    # ask about a tile: the chat opens with the view as the question's context
    tile_action(page, "Items by status", "Ask about this")
    box = page.get_by_label("Message")
    expect(box).to_have_value(
        re.compile(r'^About "Items by status" \(view by_status\) on the dashboard "Orders by status"')
    )
    assert page.locator(".ask-context").is_visible()


def test_edit_yaml_history_and_manage(dev_server: Any, orders: Any, open_page: Any) -> None:
    api, team_id = orders
    page = open_page(DESKTOP)
    page.problems.expect("status of 400")
    page.problems.expect("status of 409")
    open_dashboard(page, dev_server.url, team_id, "orders")
    page.get_by_role("button", name="YAML", exact=True).click()
    editor = page.get_by_label("orders.yaml")
    expect(editor).to_have_value(ORDERS)

    # schema-driven completion: keys allowed at the cursor
    editor.focus()
    page.keyboard.press("Control+End")
    page.keyboard.press("Enter")
    page.keyboard.type("des")
    page.keyboard.press("Control+Space")
    suggestion = page.get_by_role("option").first
    expect(suggestion).to_contain_text("description")
    page.keyboard.press("Enter")
    assert editor.input_value().endswith("description: ")

    # an error is shown at its line, as the API reports it
    broken = ORDERS.replace("type: line", "type: lines")
    line = broken.splitlines().index("    type: lines") + 1
    editor.fill(broken)
    page.get_by_role("button", name="Save", exact=True).click()
    problems = page.locator(".problems")
    expect(problems).to_contain_text(f"Line {line}")
    bad = page.locator(".gutter .ln.bad")
    assert bad.count() >= 1 and str(line) in bad.all_inner_texts()
    screenshot(page, "yaml-error-at-line")

    # fixed, it saves with If-Match and becomes version 2
    editor.fill(ORDERS.replace("title: Orders by status", "title: Orders, edited"))
    with page.expect_request(lambda r: r.method == "PUT" and r.headers.get("if-match") == "1"):
        page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_text("Saved version 2").first.wait_for()
    expect(page.locator("h1.dash-title")).to_have_text("Orders, edited")

    # a second tab still on version 2 saves after this one saved version 3: a clear conflict
    other = open_page(DESKTOP)
    other.problems.expect("status of 409")
    open_dashboard(other, dev_server.url, team_id, "orders")
    other.get_by_role("button", name="YAML", exact=True).click()
    editor.fill(ORDERS.replace("title: Orders by status", "title: Orders, third"))
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_text("Saved version 3").first.wait_for()
    other.get_by_label("orders.yaml").fill(
        ORDERS.replace("title: Orders by status", "title: From the other tab")
    )
    other.get_by_role("button", name="Save", exact=True).click()
    conflict = other.locator(".conflict")
    expect(conflict).to_contain_text("someone else saved version 3 while you were editing version 2")
    screenshot(other, "yaml-conflict")
    assert api.get(f"/v1/teams/{team_id}/dashboards/orders").json()["title"] == "Orders, third"

    # history: what changed, and version 1 restored as a new version
    page.get_by_role("button", name="History").click()
    versions = page.locator(".versions .version")
    expect(versions).to_have_count(3)
    page.locator(".version[data-version='2']").get_by_role("button", name="Changes").click()
    expect(page.locator(".diff-line.add")).to_contain_text("title: Orders, edited")
    expect(page.locator(".diff-line.del")).to_contain_text("title: Orders by status")
    page.get_by_role("button", name="Restore version 1").click()
    page.get_by_text("Restored version 1 as version 4").wait_for()
    expect(page.locator("h1.dash-title")).to_have_text("Orders by status")
    expect(versions).to_have_count(4)
    assert api.get(f"/v1/teams/{team_id}/dashboards/orders/versions/4").json()["yaml"] == ORDERS
    assert axe_violations(page) == []
    screenshot(page, "history-restored")

    # rename, duplicate, delete (with a confirmation)
    page.get_by_role("button", name="Rename").click()
    page.get_by_label("New title").fill("Order statuses")
    page.get_by_role("button", name="Save title").click()
    expect(page.locator("h1.dash-title")).to_have_text("Order statuses")
    assert api.get(f"/v1/teams/{team_id}/dashboards/orders").json()["version"] == 5
    page.get_by_role("button", name="Duplicate").click()
    page.wait_for_url(f"**/d/{team_id}/orders-copy")
    wait_ready(page)
    expect(page.locator("h1.dash-title")).to_have_text("Order statuses (copy)")
    messages: list[str] = []
    page.once("dialog", lambda d: (messages.append(d.message), d.accept()))
    page.get_by_role("button", name="Delete").click()
    page.wait_for_url("**/#/dashboards")
    assert "Order statuses (copy)" in messages[0]
    assert api.get(f"/v1/teams/{team_id}/dashboards/orders-copy").status_code == 404

    # the list: search, owner and sort
    cards = page.locator(".dash-card")
    expect(cards).to_have_count(len(api.get(f"/v1/teams/{team_id}/dashboards").json()["dashboards"]))
    page.get_by_label("Search").fill("statuses")
    expect(cards).to_have_count(1)
    assert cards.first.get_attribute("data-slug") == "orders"
    assert "you · updated" in cards.first.inner_text()
    page.get_by_label("Search").fill("")
    page.get_by_label("Sort by").select_option("title")
    titles = [t.split("\n")[0] for t in cards.all_inner_texts()]
    assert titles == sorted(titles)
    assert axe_violations(page) == []
    screenshot(page, "dashboards-list")


def test_a_missing_dashboard_offers_no_actions_and_errors_dim_old_charts(
    dev_server: Any, orders: Any, open_page: Any
) -> None:
    _, team_id = orders
    page = open_page(DESKTOP)
    page.problems.expect("status of 404")
    page.problems.expect("status of 400")
    sign_in(page, dev_server.url, DEMO_EMAIL)
    page.goto(f"{dev_server.url}/d/{team_id}/no-such-board")
    page.get_by_text("This dashboard does not exist or you cannot see it.").wait_for()
    assert page.get_by_role("button", name="Refresh").count() == 0
    assert page.get_by_role("button", name="YAML").count() == 0
    assert page.get_by_role("link", name="See your dashboards").is_visible()

    page.goto(f"{dev_server.url}/d/{team_id}/orders")
    wait_ready(page)
    page.get_by_label("Period start").fill("2024-05-01")
    page.get_by_label("Period end").fill("2024-01-01")
    page.get_by_label("Period end").press("Enter")
    page.locator(".dash-message .error-box").wait_for()
    assert "after end" in page.locator(".dash-message .error-box").inner_text()
    assert "stale" in (page.locator(".grid").get_attribute("class") or "")
    screenshot(page, "dashboard-error-dimmed")


MULTI = """\
version: 1
title: Several statuses
parameters:
  - {name: statuses, type: enum, label: Statuses, multiple: true, default: [Complete, Shipped], options: [Complete, Shipped, Processing, Cancelled, Returned]}
queries:
  by_status:
    sql: |
      SELECT status, COUNT(*) AS items FROM `demo.thelook_ecommerce.order_items`
      WHERE status IN UNNEST(@statuses) GROUP BY status ORDER BY status
views:
  - id: items
    type: table
    title: Items
    query: by_status
    columns: [{field: status, title: Status}, {field: items, title: Items}]
    layout: {x: 0, y: 0, w: 12, h: 4}
"""


def test_a_multi_select_parameter(dev_server: Any, token: Any, open_page: Any) -> None:
    api, team_id = demo_api(dev_server, token)
    assert api.put_yaml(f"/v1/teams/{team_id}/dashboards/multi", MULTI).status_code == 201
    page = open_page(DESKTOP)
    open_dashboard(page, dev_server.url, team_id, "multi")
    rows = page.locator("[data-view-id='items'] tbody tr td:first-child")
    expect(rows).to_have_count(2)
    group = page.get_by_role("group", name="Statuses")
    with page.expect_response(lambda r: "/data?" in r.url and r.url.count("statuses=") == 3):
        group.get_by_label("Processing").check()
    wait_ready(page)
    assert sorted(rows.all_inner_texts()) == ["Complete", "Processing", "Shipped"]
    assert "statuses=Processing" in page.url
    with page.expect_response(lambda r: "/data?" in r.url and r.url.count("statuses=") == 5):
        group.get_by_label("All").check()
    wait_ready(page)
    expect(rows).to_have_count(5)
    expected = api.get(
        f"/v1/teams/{team_id}/dashboards/multi/data",
        params=[("statuses", s) for s in ("Cancelled", "Returned")],
    ).json()
    assert sorted(expected["views"][0]["values"][0]) == ["Cancelled", "Returned"]
    assert axe_violations(page) == []
    screenshot(page, "multi-select")


def test_simple_visual_edits_write_the_yaml(dev_server: Any, orders: Any, open_page: Any) -> None:
    api, team_id = orders
    page = open_page(DESKTOP)
    open_dashboard(page, dev_server.url, team_id, "orders")
    tile_action(page, "Items by status", "Edit tile")
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Title").fill("Items per status")
    dialog.get_by_label("Chart type").select_option("line")
    dialog.get_by_label("Sort").select_option("desc")
    dialog.get_by_role("button", name="Save tile").click()
    page.get_by_text("Saved version 2").first.wait_for()
    wait_ready(page)
    expect(page.locator("[data-view-id='by_status'] .view-title")).to_have_text("Items per status")
    page.locator("[data-view-id='by_status'] .chart svg .mark-line path").first.wait_for()
    text = api.get(f"/v1/teams/{team_id}/dashboards/orders").json()["yaml"]
    block = text.split("  - id: by_status\n")[1].split("  - id: trend")[0]
    assert '    title: "Items per status"' in block and "    type: line" in block
    assert "    sort: {field: items, order: desc}" in block
    assert text.split("  - id: trend")[1] == ORDERS.split("  - id: trend")[1]  # the other views untouched


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
    title: Users
    query: one
    value: {field: users, format: integer}
    layout: {x: 0, y: 0, w: 3, h: 2}
"""


def test_a_parameter_offers_values_from_the_data(dev_server: Any, token: Any, open_page: Any) -> None:
    api, team_id = demo_api(dev_server, token)
    assert api.put_yaml(f"/v1/teams/{team_id}/dashboards/country", COUNTRY).status_code == 201
    values = api.get(f"/v1/teams/{team_id}/dashboards/country/parameters/country/values").json()["values"]
    page = open_page(DESKTOP)
    open_dashboard(page, dev_server.url, team_id, "country")
    options = page.locator("#param-country-values option")
    expect(options).to_have_count(len(values))
    with page.expect_response(lambda r: "/parameters/country/values?" in r.url and "q=" in r.url):
        page.get_by_label("Country").fill(values[-1][:3])
    expect(options.first).to_have_attribute("value", re.compile(re.escape(values[-1][:3]), re.I))
    other = next(v for v in values if v != "Brasil")
    with page.expect_response(lambda r: "/data?" in r.url and "country=" in r.url):
        page.get_by_label("Country").fill(other)
        page.get_by_label("Country").press("Enter")
    wait_ready(page)
    users = api.get(f"/v1/teams/{team_id}/dashboards/country/data", params={"country": other}).json()
    kpi = page.locator("[data-view-id='users'] .kpi-value")
    assert float(kpi.get_attribute("data-value") or "nan") == users["views"][0]["values"][0][0]


ONE_STATUS = """\
version: 1
title: One status
parameters:
  - {name: status, type: enum, label: Status, all: true, default: Complete, options: [Complete, Shipped, Processing, Cancelled, Returned]}
queries:
  by_status:
    sql: |
      SELECT status, COUNT(*) AS items FROM `demo.thelook_ecommerce.order_items`
      WHERE (@status IS NULL OR status = @status) GROUP BY status ORDER BY status
views:
  - id: items
    type: table
    title: Items
    query: by_status
    columns: [{field: status, title: Status}, {field: items, title: Items}]
    layout: {x: 0, y: 0, w: 12, h: 4}
"""


def test_a_single_select_parameter_offers_all(dev_server: Any, token: Any, open_page: Any) -> None:
    api, team_id = demo_api(dev_server, token)
    assert api.put_yaml(f"/v1/teams/{team_id}/dashboards/one-status", ONE_STATUS).status_code == 201
    page = open_page(DESKTOP)
    open_dashboard(page, dev_server.url, team_id, "one-status")
    rows = page.locator("[data-view-id='items'] tbody tr td:first-child")
    expect(rows).to_have_count(1)
    select = page.get_by_label("Status")
    assert select.locator("option").all_inner_texts() == [
        "All", "Complete", "Shipped", "Processing", "Cancelled", "Returned",
    ]  # fmt: skip
    assert select.input_value() == "Complete"

    # All: sent as an empty value, so it wins over the default option
    with page.expect_response(lambda r: "/data?" in r.url and re.search(r"[?&]status=(&|$)", r.url)):
        select.select_option(label="All")
    wait_ready(page)
    everything = api.get(f"/v1/teams/{team_id}/dashboards/one-status/data", params={"status": ""}).json()
    statuses = everything["views"][0]["values"][0]
    assert len(statuses) == 5 and everything["parameters"][0]["value"] is None
    assert sorted(rows.all_inner_texts()) == sorted(statuses)
    assert re.search(r"[?&]status=(&|$)", page.url), page.url
    page.reload()  # the choice is in the URL
    wait_ready(page)
    expect(rows).to_have_count(5)
    assert page.get_by_label("Status").input_value() == ""

    with page.expect_response(lambda r: "/data?" in r.url and "status=Shipped" in r.url):
        page.get_by_label("Status").select_option("Shipped")
    wait_ready(page)
    assert rows.all_inner_texts() == ["Shipped"]
    assert axe_violations(page) == []
    screenshot(page, "single-select-all")


TIMELINE = """\
version: 1
title: Orders over time
queries:
  monthly:
    sql: |
      SELECT DATE_TRUNC(DATE(created_at), MONTH) AS month, COUNT(*) AS items, SUM(sale_price) AS revenue
      FROM `demo.thelook_ecommerce.order_items` GROUP BY month
  statuses:
    sql: |
      SELECT status, COUNT(*) AS items FROM `demo.thelook_ecommerce.order_items` GROUP BY status
views:
  - id: trend
    type: line
    title: Revenue by month
    query: monthly
    x: {field: month, type: temporal, time_grain: month}
    y: {field: revenue, type: quantitative, format: currency}
    layout: {x: 0, y: 0, w: 8, h: 4}
  - id: total
    type: kpi
    title: Items
    query: monthly
    value: {field: items, aggregate: sum, format: integer}
    layout: {x: 8, y: 0, w: 4, h: 2}
  - id: months
    type: table
    title: Months
    query: monthly
    columns: [{field: month, title: Month}, {field: items, title: Items}]
    sort: {field: month, order: asc}
    layout: {x: 0, y: 4, w: 8, h: 4}
  - id: by_status
    type: table
    title: Statuses
    query: statuses
    columns: [{field: status, title: Status}, {field: items, title: Items}]
    layout: {x: 8, y: 4, w: 4, h: 4}
"""


def test_a_time_brush_narrows_the_other_views_and_the_url(
    dev_server: Any, token: Any, open_page: Any
) -> None:
    api, team_id = demo_api(dev_server, token)
    assert api.put_yaml(f"/v1/teams/{team_id}/dashboards/timeline", TIMELINE).status_code == 201
    page = open_page(DESKTOP)
    open_dashboard(page, dev_server.url, team_id, "timeline")
    months = page.locator("[data-view-id='months'] tbody tr")
    before = months.count()
    assert before > 6
    statuses = page.locator("[data-view-id='by_status'] tbody tr").count()

    # drag across the middle of the line chart's plot area
    frame = page.locator("[data-view-id='trend'] .chart svg .role-frame path.background").first
    box = frame.bounding_box()
    assert box and box["width"] > 200
    y = box["y"] + box["height"] / 2
    with page.expect_response(lambda r: "/data?" in r.url and "range.month=" in r.url, timeout=15_000):
        page.mouse.move(box["x"] + box["width"] * 0.3, y)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * 0.5, y, steps=8)
        page.mouse.move(box["x"] + box["width"] * 0.65, y, steps=8)
        page.mouse.up()
    wait_ready(page)

    chosen = re.search(r"range\.month=(\d{4}-\d{2}-\d{2})(?:\.\.|%2E%2E)(\d{4}-\d{2}-\d{2})", page.url)
    assert chosen, page.url
    start, end = chosen.group(1), chosen.group(2)
    assert start < end
    narrowed = api.get(
        f"/v1/teams/{team_id}/dashboards/timeline/data", params={"range.month": f"{start}..{end}"}
    ).json()
    table = view_of(narrowed, "months")
    assert table["filtered_by"] == ["month"]
    shown = table["values"][0]
    assert 0 < len(shown) < before and all(start <= m[:10] <= end for m in shown)
    expect(months).to_have_count(len(shown))
    kpi = page.locator("[data-view-id='total'] .kpi-value")
    narrowed_items = kpi_from_api(narrowed, "total", "items")
    assert float(kpi.get_attribute("data-value") or "nan") == pytest.approx(narrowed_items)
    assert narrowed_items < kpi_from_api(
        api.get(f"/v1/teams/{team_id}/dashboards/timeline/data").json(), "total", "items"
    )
    assert view_of(narrowed, "by_status")["filtered_by"] == []  # no month column: not narrowed
    expect(page.locator("[data-view-id='by_status'] tbody tr")).to_have_count(statuses)
    chip = page.locator(".filter-chip")
    assert chip.inner_text().startswith(f"month: {start} \u2013 {end}")
    screenshot(page, "dashboard-time-brush")

    # the period survives a reload, and removing the chip widens the views again
    page.reload()
    wait_ready(page)
    expect(months).to_have_count(len(shown))
    page.locator(".filter-chip").click()
    wait_ready(page)
    expect(months).to_have_count(before)
    assert "range.month" not in page.url
