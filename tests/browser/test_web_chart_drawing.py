"""Charts people can read, checked in the drawn SVG at 1280 and 390 px (issue 14's drawing "Must show").

Bars in value order, every label of a 10-bar chart, no cents on axis ticks past 1,000, a pie with
"Other" (and shares in its tooltip), the month in progress marked, and a chat-built "revenue by
month by country" dashboard with one multi-series view and its legend. Each check reads the SVG
Vega drew in Debian's Chromium and compares it with the data API; screenshots go to
artifacts/screenshots/ (chart-drawing-<width>.png, chart-series-<width>.png).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from test_web_chat_flow import ask
from webhelpers import DESKTOP, PHONE, SCREENSHOTS, demo_api, open_dashboard, sign_in, wait_ready

from shared.dev.seed import DEMO_EMAIL

pytestmark = pytest.mark.browser

CHARTS = """\
version: 1
title: Chart drawing
parameters:
  - {name: since, type: date, label: Since, default: today-300d}
queries:
  by_country:
    sql: |
      SELECT u.country AS country, SUM(oi.sale_price) AS revenue
      FROM `demo.thelook_ecommerce.order_items` AS oi
      JOIN `demo.thelook_ecommerce.users` AS u ON u.id = oi.user_id
      GROUP BY country
  by_category:
    sql: |
      SELECT p.category AS category, SUM(oi.sale_price) AS revenue
      FROM `demo.thelook_ecommerce.order_items` AS oi
      JOIN `demo.thelook_ecommerce.products` AS p ON p.id = oi.product_id
      GROUP BY category
  monthly:
    sql: |
      SELECT DATE_TRUNC(DATE(created_at), MONTH) AS month, SUM(sale_price) AS revenue
      FROM `demo.thelook_ecommerce.order_items`
      WHERE DATE(created_at) >= @since
      GROUP BY month
views:
  - id: countries
    type: bar
    title: Revenue by country
    query: by_country
    x: {field: country, type: nominal, title: Country}
    y: {field: revenue, type: quantitative, format: currency}
    layout: {x: 0, y: 0, w: 6, h: 6}
  - id: top_categories
    type: bar
    title: Top 10 categories
    query: by_category
    x: {field: category, type: nominal, title: Category}
    y: {field: revenue, type: quantitative, format: currency}
    top_n: 10
    layout: {x: 6, y: 0, w: 6, h: 6}
  - id: category_share
    type: pie
    title: Share of revenue by category
    query: by_category
    theta: {field: revenue, format: currency}
    color: {field: category, title: Category}
    top_n: 6
    layout: {x: 0, y: 6, w: 6, h: 5}
  - id: trend
    type: line
    title: Revenue by month
    query: monthly
    x: {field: month, type: temporal, time_grain: month}
    y: {field: revenue, type: quantitative, format: currency}
    layout: {x: 6, y: 6, w: 6, h: 5}
  - id: monthly_bars
    type: bar
    title: Revenue by month (bars)
    query: monthly
    x: {field: month, type: temporal, time_grain: month}
    y: {field: revenue, type: quantitative, format: currency}
    layout: {x: 0, y: 11, w: 12, h: 4}
"""

# text, box and attributes of every SVG element a selector matches inside one view's chart
READ = """(els) => els.map((e) => { const r = e.getBoundingClientRect(); return {
  text: e.textContent, x: r.x, y: r.y, w: r.width, h: r.height,
  dash: e.getAttribute('stroke-dasharray'), opacity: e.getAttribute('opacity'),
  fillOpacity: e.getAttribute('fill-opacity'), fill: e.getAttribute('fill') }; })"""
CENTS = re.compile(r"\d\.\d\d\b")
VIEWPORTS = [pytest.param(DESKTOP, id="1280"), pytest.param(PHONE, id="390")]


def drawn(page: Any, view_id: str, selector: str) -> list[dict[str, Any]]:
    return page.locator(f"[data-view-id='{view_id}'] .chart svg {selector}").evaluate_all(READ)


def rows(data: dict[str, Any], view_id: str) -> list[dict[str, Any]]:
    view = next(v for v in data["views"] if v["view_id"] == view_id)
    assert view["status"] == "ok", view["error"]
    names = [c["name"] for c in view["columns"]]
    return [dict(zip(names, values, strict=True)) for values in zip(*view["values"], strict=True)]


def category_labels(page: Any, view_id: str, categories: set[str]) -> list[dict[str, Any]]:
    """The category axis labels (a label Vega truncated ends in … and names a category's start)."""
    labels = drawn(page, view_id, ".role-axis-label text")
    return [
        label
        for label in labels
        if label["text"] in categories
        or (label["text"].endswith("…") and any(c.startswith(label["text"][:-1]) for c in categories))
    ]


def along(labels: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Labels in reading order: top to bottom for horizontal bars, left to right for vertical ones."""
    horizontal = _spread(labels, "y") > _spread(labels, "x")  # a column of labels
    return sorted(labels, key=lambda label: label["y"] if horizontal else label["x"])


def _spread(boxes: list[dict[str, Any]], key: str) -> float:
    return max(b[key] for b in boxes) - min(b[key] for b in boxes) if boxes else 0.0


@pytest.fixture
def charts(dev_server: Any, token: Any) -> tuple[Any, str, dict[str, Any]]:
    api, team_id = demo_api(dev_server, token)
    r = api.put_yaml(f"/v1/teams/{team_id}/dashboards/charts", CHARTS)
    assert r.status_code == 201, r.text
    data = api.get(f"/v1/teams/{team_id}/dashboards/charts/data").json()
    return api, team_id, data


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_bars_labels_ticks_pie_and_partial_month_as_drawn(
    dev_server: Any, charts: Any, open_page: Any, viewport: dict[str, int]
) -> None:
    _, team_id, data = charts
    page = open_page(viewport)
    open_dashboard(page, dev_server.url, team_id, "charts")
    width = viewport["width"]

    # revenue by country: bars in value order (the query has no ORDER BY), longest bar first
    countries = rows(data, "countries")
    by_value = [r["country"] for r in sorted(countries, key=lambda r: -r["revenue"])]
    labels = along(category_labels(page, "countries", set(by_value)))
    assert [label["text"] for label in labels] == by_value
    bars = drawn(page, "countries", ".mark-rect path")
    assert len(bars) == len(by_value)
    horizontal = _spread(bars, "y") > _spread(bars, "x")
    lengths = [
        b["w"] if horizontal else b["h"] for b in sorted(bars, key=lambda b: b["y"] if horizontal else b["x"])
    ]
    assert lengths == sorted(lengths, reverse=True), lengths

    # a 10-bar chart: all ten category labels are in the SVG, none dropped
    top = rows(data, "top_categories")
    assert len(top) == 10
    names = [r["category"] for r in top]  # the SQL's order: revenue, descending
    ten = category_labels(page, "top_categories", set(names))
    assert [_untruncated(label["text"], names) for label in along(ten)] == names

    # no tick label with cents once the axis passes 1,000 (compact: $40K, $1.2M)
    ticks = [
        t["text"]
        for view in ("countries", "top_categories", "trend", "monthly_bars")
        for t in drawn(page, view, ".role-axis-label text")
    ]
    money = [t for t in ticks if t.startswith("$")]
    assert money and any(re.search(r"\d[KMB]$", t) for t in money), money
    assert [t for t in money if CENTS.search(t) and _amount(t) >= 1000] == []

    # the pie: six slices and "Other" (the remaining categories, computed in SQL), Other last
    slices = rows(data, "category_share")
    assert [s["category"] for s in slices][-1] == "Other" and len(slices) == 7
    assert sum(s["_share"] for s in slices) == pytest.approx(1.0)
    legend = [t["text"] for t in drawn(page, "category_share", ".role-legend-label text")]
    assert len(legend) == 7 and legend[-1] == "Other", legend
    arcs = drawn(page, "category_share", ".mark-arc path")
    assert len(arcs) == 7 and "#8b8b94" in {a["fill"] for a in arcs}  # Other in the muted grey

    # the month in progress: a dashed, lighter segment at the end of the line, and a note
    trend = rows(data, "trend")
    assert trend[-1]["_partial"] is True and not any(r["_partial"] for r in trend[:-1])
    lines = drawn(page, "trend", ".mark-line path")
    dashed = [line for line in lines if line["dash"]]
    solid = [line for line in lines if not line["dash"]]
    assert len(dashed) == 1 and len(solid) == 1
    assert dashed[0]["x"] >= solid[0]["x"] + solid[0]["w"] - 2  # it continues the solid line to the right
    note = page.locator("[data-view-id='trend'] .chart-note[data-partial='mark']")
    assert note.inner_text() == "The current month is still in progress (drawn lighter, dashed)."
    bars = sorted(drawn(page, "monthly_bars", ".mark-rect path"), key=lambda b: b["x"])
    assert [b["opacity"] for b in bars][-1] == "0.4" and {b["opacity"] for b in bars[:-1]} <= {None, "1"}
    full_screenshot(page, f"chart-drawing-{width}")

    # the pie's tooltip gives the slice's share of the whole
    page.locator("[data-view-id='category_share']").scroll_into_view_if_needed()
    other = next(a for a in drawn(page, "category_share", ".mark-arc path") if a["fill"] == "#8b8b94")
    page.mouse.move(other["x"] + other["w"] / 2, other["y"] + other["h"] / 2)
    tooltip = page.locator("#vg-tooltip-element")
    tooltip.wait_for(state="visible")
    share = next(s["_share"] for s in slices if s["category"] == "Other")
    assert f"{share * 100:.1f}%" in tooltip.inner_text() and "Other" in tooltip.inner_text()

    # "Other" is no one category: clicking it filters nothing; a named slice filters by its name
    page.mouse.click(other["x"] + other["w"] / 2, other["y"] + other["h"] / 2)
    page.wait_for_timeout(300)
    assert "filter.category" not in page.url
    named = next(a for a in drawn(page, "category_share", ".mark-arc path") if a["fill"] != "#8b8b94")
    with page.expect_response(lambda r: "/data?" in r.url and "filter.category=" in r.url):
        page.mouse.click(named["x"] + named["w"] / 2, named["y"] + named["h"] / 2)
    assert "filter.category=" in page.url and "filter.category=Other" not in page.url
    wait_ready(page)

    # the marked line (two layers) still brushes its time axis into a range filter
    page.locator("[data-view-id='trend']").scroll_into_view_if_needed()
    solid = next(line for line in drawn(page, "trend", ".mark-line path") if not line["dash"])
    y = solid["y"] + solid["h"] / 2
    with page.expect_response(lambda r: "/data?" in r.url and "range.month=" in r.url):
        page.mouse.move(solid["x"] + 5, y)
        page.mouse.down()
        page.mouse.move(solid["x"] + solid["w"] / 2, y, steps=5)
        page.mouse.up()


@pytest.fixture
def series_dashboard(dev_server: Any, token: Any, open_page: Any) -> tuple[str, str]:
    """The chat (offline planner) builds "revenue by month by country"; returns (team id, slug)."""
    _, team_id = demo_api(dev_server, token)
    page = open_page(DESKTOP)
    sign_in(page, dev_server.url, DEMO_EMAIL)
    return team_id, ask(page, "revenue by month by country")


def test_revenue_by_month_by_country_is_one_multi_series_view_with_a_legend(
    dev_server: Any, token: Any, series_dashboard: Any, open_page: Any
) -> None:
    team_id, slug = series_dashboard
    api, _ = demo_api(dev_server, token)
    data = api.get(f"/v1/teams/{team_id}/dashboards/{slug}/data").json()
    series_views = [
        v for v in data["views"] if (v["spec"].get("encoding") or {}).get("color", {}).get("field")
    ]
    assert len(series_views) == 1, [v["view_id"] for v in data["views"]]
    view = series_views[0]
    assert view["type"] in ("line", "area", "bar")
    field = view["spec"]["encoding"]["color"]["field"]
    ranked = rows(data, view["view_id"])
    order = list(dict.fromkeys(r[field] for r in sorted(ranked, key=lambda r: r["_series_rank"])))
    assert 2 <= len(order) <= 9 and (len(order) < 9 or order[-1] == "Other")
    for viewport in (DESKTOP, PHONE):
        page = open_page(viewport)
        open_dashboard(page, dev_server.url, team_id, slug)
        vid = view["view_id"]
        legend = [t["text"] for t in drawn(page, vid, ".role-legend-label text")]
        assert [_untruncated(t, order) for t in legend] == order  # every series, in rank order
        marks = drawn(page, vid, ".mark-line path, .mark-area path, .mark-rect path")
        assert len(marks) >= len(order)
        full_screenshot(page, f"chart-series-{viewport['width']}")


def full_screenshot(page: Any, name: str) -> None:
    """The whole page (every tile), not only the first screen."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def _untruncated(label: str, names: list[str]) -> str:
    if label in names or not label.endswith("…"):
        return label
    return next((n for n in names if n.startswith(label[:-1])), label)


def _amount(text: str) -> float:
    number = float(re.sub(r"[^\d.]", "", text) or 0)
    return number * {"K": 1e3, "M": 1e6, "B": 1e9}.get(text[-1], 1)


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_a_dark_pie_keeps_other_in_its_own_muted_grey(
    dev_server: Any, token: Any, open_page: Any, viewport: dict[str, int]
) -> None:
    api, team_id = demo_api(dev_server, token)
    head, views = CHARTS.split("views:\n", 1)
    pie = views[views.index("  - id: category_share") : views.index("  - id: trend")]
    dark = head.replace("title: Chart drawing", "title: Dark pie\ntheme: dark") + "views:\n" + pie
    assert api.put_yaml(f"/v1/teams/{team_id}/dashboards/dark-pie", dark).status_code == 201
    page = open_page(viewport)
    open_dashboard(page, dev_server.url, team_id, "dark-pie")
    fills = [a["fill"] for a in drawn(page, "category_share", ".mark-arc path")]
    assert len(fills) == 7 and fills.count("#6b6b74") == 1 and len(set(fills)) == 7
    legend = [t["text"] for t in drawn(page, "category_share", ".role-legend-label text")]
    assert legend[-1] == "Other"
    full_screenshot(page, f"chart-pie-dark-{viewport['width']}")
