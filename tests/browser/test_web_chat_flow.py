"""The whole product in a browser: sign in, ask the chat for a dashboard, use it.

Needs the chat back end (POST /v1/chat/sessions, messages, events) and the offline planner.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect
from test_web_dashboard_page import assert_kpis_match, wait_ready
from webhelpers import DESKTOP, PHONE, Api, screenshot, sign_in

from shared.seed import DEMO_EMAIL

pytestmark = pytest.mark.browser


def test_chat_to_dashboard(dev_server: Any, token: Any, open_page: Any) -> None:
    api = Api(dev_server.url, token(DEMO_EMAIL))
    team_id = api.get("/v1/teams").json()["teams"][0]["id"]
    page = open_page(DESKTOP)
    sign_in(page, dev_server.url, DEMO_EMAIL)
    expect(page.get_by_label("Team")).to_have_value(team_id)

    box = page.get_by_label("Message")
    box.fill("revenue by month")
    box.press("Enter")
    page.locator(".progress .spinner").wait_for()  # the page shows it is working
    page.locator(".msg.user", has_text="revenue by month").wait_for()
    dashboard = page.locator(".preview-pane .dashboard[data-ready='true']")
    failed = page.locator(".progress", has_text="The turn failed")
    dashboard.or_(failed).first.wait_for(timeout=60_000)
    errors = page.locator(".msg .error-text").all_inner_texts()
    assert not failed.is_visible() and errors == [], errors
    page.locator(".progress .spinner").wait_for(state="detached", timeout=60_000)
    slug = dashboard.get_attribute("data-slug")
    assert slug
    assert page.locator(".step-status.ok").count() >= 1
    assert page.locator(".saved a").get_attribute("href") == f"/d/{team_id}/{slug}"
    assert page.locator(".msg.assistant .msg-text a").first.get_attribute("href") == f"/d/{team_id}/{slug}"
    assert page.locator(".preview-pane .chart svg .role-mark").count() >= 1
    data = api.get(f"/v1/teams/{team_id}/dashboards/{slug}/data").json()
    assert_kpis_match(page.locator(".preview-pane"), data)
    screenshot(page, "chat-1280")

    # a reload restores the conversation and its dashboard from the API
    steps = page.locator(".step").count()
    page.reload()
    page.locator(".msg.user", has_text="revenue by month").wait_for()
    page.locator(f".preview-pane .dashboard[data-slug='{slug}'][data-ready='true']").wait_for()
    assert page.locator(".step").count() == steps

    # the preview opens as its own page; parameters, refresh and the YAML work there
    page.locator(".preview-pane").get_by_role("link", name="Open").click()
    wait_ready(page)
    params = data["parameters"]
    if params:
        p = params[0]
        control = page.locator(f"[name='{p['name']}'], [name='{p['name']}_start']").first
        with page.expect_response(lambda r: "/data?" in r.url):
            if p.get("options"):
                control.select_option(p["options"][-1])
            else:
                control.fill("2024-01-01" if p["type"] in ("date", "date_range") else "1")
                control.press("Enter")
        wait_ready(page)
    with page.expect_response(lambda r: "/refresh" in r.url and r.request.method == "POST") as refreshed:
        page.get_by_role("button", name="Refresh").click()
    assert refreshed.value.status == 200
    with page.expect_download() as dl:
        page.get_by_role("button", name="Download YAML").click()
    assert dl.value.suggested_filename == f"{slug}.yaml"

    phone = open_page(PHONE)
    sign_in(phone, dev_server.url, DEMO_EMAIL)
    phone.get_by_label("Message").fill("revenue by month")
    phone.get_by_role("button", name="Send").click()
    phone.locator(".preview-pane .dashboard[data-ready='true']").wait_for(timeout=60_000)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, "chat-390")
