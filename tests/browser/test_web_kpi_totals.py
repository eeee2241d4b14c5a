"""Titles that follow parameters, KPI deltas and table totals in a real browser, at 1280 and 390 px."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from webhelpers import (
    DESKTOP,
    PHONE,
    Api,
    axe_violations,
    currency,
    demo_api,
    open_dashboard,
    screenshot,
    wait_ready,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "api"))
from test_summary_api import SUMMARY  # the same dashboard the API suite checks

pytestmark = pytest.mark.browser


def _views(api: Api, team_id: str, **params: str) -> dict[str, dict[str, Any]]:
    body = api.get(f"/v1/teams/{team_id}/dashboards/summary/data", params=params).json()
    return {v["view_id"]: v for v in body["views"]} | {"_dashboard": body["dashboard"]}


def _cell(view: dict[str, Any], name: str) -> Any:
    return view["values"][[c["name"] for c in view["columns"]].index(name)][0]


@pytest.fixture
def saved(dev_server: Any, token: Any) -> tuple[Api, str]:
    api, team_id = demo_api(dev_server, token)
    r = api.put_yaml(f"/v1/teams/{team_id}/dashboards/summary", SUMMARY)
    assert r.status_code == 201, r.text
    return api, team_id


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "390"])
def test_title_kpi_delta_and_totals(
    dev_server: Any, saved: Any, open_page: Any, viewport: dict[str, int]
) -> None:
    api, team_id = saved
    width = viewport["width"]
    page = open_page(viewport)
    open_dashboard(page, dev_server.url, team_id, "summary")
    expected = _views(api, team_id)
    heading = page.locator(".dash-title")
    expect(heading).to_have_text(expected["_dashboard"]["title"])
    assert "Germany" in heading.inner_text()

    # the KPI's delta: arrow, signed percentage and words agree with the SQL's change
    kpi = expected["revenue"]
    change, ratio = _cell(kpi, "_change"), _cell(kpi, "_change_ratio")
    delta = page.locator("[data-view-id='revenue'] .kpi-delta")
    expect(delta).to_be_visible()
    direction = "up" if change > 0 else "down" if change < 0 else "flat"
    assert delta.get_attribute("data-direction") == direction
    assert delta.get_attribute("data-tone") == {"up": "good", "down": "bad", "flat": "flat"}[direction]
    assert float(delta.get_attribute("data-ratio") or "nan") == pytest.approx(ratio)
    shown = delta.locator(".kpi-change").inner_text()
    assert shown == (
        "+" if change > 0 else "\u2212" if change < 0 else ""
    ) + f"{abs(ratio) * 100:.1f}%".replace(".0%", "%")
    assert delta.locator(".kpi-arrow").inner_text() == {"up": "▲", "down": "▼", "flat": "="}[direction]
    words = delta.locator(".sr-only").inner_text()
    assert words.startswith({"up": "Up", "down": "Down", "flat": "No change"}[direction])
    assert "vs previous period" in words and currency(_cell(kpi, "_previous")) in words
    # a rise in items is bad here (good: down): the colour follows, the words say it
    items = page.locator("[data-view-id='items_year'] .kpi-delta")
    item_change = _cell(expected["items_year"], "_change")
    if item_change:
        assert items.get_attribute("data-tone") == ("bad" if item_change > 0 else "good")

    # the totals row: computed by the server, drawn last, and it stays last when the table sorts
    table = page.locator("[data-view-id='all_statuses'] table")
    foot = table.locator("tfoot tr")
    expect(foot).to_have_count(1)
    totals = expected["all_statuses"]["totals"]
    assert foot.locator("th").inner_text() == "Total"
    assert foot.locator("td[data-field='revenue']").inner_text() == currency(totals["revenue"])
    assert foot.locator("td[data-field='avg_price']").inner_text() == currency(totals["avg_price"])
    table.locator("th", has_text="Revenue").get_by_role("button").click()
    assert table.locator("tr").last.locator("th").inner_text() == "Total"
    assert page.locator("[data-view-id='top_statuses'] tfoot th").inner_text() == "Total (all rows)"
    screenshot(page, f"kpi-delta-totals-{width}")

    # the title follows the parameters the viewer sets
    with page.expect_response(lambda r: "/data?" in r.url and "country=France" in r.url):
        page.get_by_label("Country", exact=True).fill("France")
        page.get_by_label("Country", exact=True).press("Enter")
    wait_ready(page)
    france = _views(api, team_id, country="France")
    expect(heading).to_have_text(france["_dashboard"]["title"])
    assert "France" in heading.inner_text() and "Germany" not in heading.inner_text()
    expect(page.locator("[data-view-id='revenue'] .view-title")).to_have_text("Revenue in France")
    with page.expect_response(lambda r: "/data?" in r.url and "period_start=2022-01-01" in r.url):
        page.get_by_label("Period start").fill("2022-01-01")
        page.get_by_label("Period start").dispatch_event("change")
    wait_ready(page)
    expect(heading).to_contain_text("2022")
    assert "(Jan" not in heading.inner_text() or "2022" in heading.inner_text()
    screenshot(page, f"title-follows-parameter-{width}")
    assert axe_violations(page) == []

    # editing the tile starts from the title as written, so its template survives a save
    page.locator("[data-view-id='revenue'] .tile-menu-button").click()
    page.get_by_role("menuitem", name="Edit tile").click()
    expect(page.locator("dialog.dialog input[name='title']")).to_have_value("Revenue in {{ country }}")
    page.get_by_role("button", name="Cancel").click()

    # a value is text: markup in it is shown, never parsed
    hostile = "<img src=x onerror=alert(1)>**bold**"
    with page.expect_response(lambda r: "/data?" in r.url and "country=" in r.url and "img" in r.url):
        page.get_by_label("Country", exact=True).fill(hostile)
        page.get_by_label("Country", exact=True).press("Enter")
    wait_ready(page)
    expect(heading).to_contain_text(hostile)
    assert page.locator(".dash-heading img, .view-title img, .dash-heading strong").count() == 0
