"""The whole product in a browser: sign in, ask the chat for a dashboard, use it.

Needs the chat back end (POST /v1/chat/sessions, messages, events) and the offline planner.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect
from webhelpers import DESKTOP, PHONE, Api, assert_kpis_match, screenshot, sign_in, wait_ready

from shared.dev.seed import DEMO_EMAIL

pytestmark = pytest.mark.browser

# Records whether the page ever showed its working indicator (turns can be quicker than polling).
WATCH_PROGRESS = """
window.__progressSeen = [];
new MutationObserver(() => {
  const p = document.querySelector('.progress');
  if (p && p.querySelector('.spinner')) window.__progressSeen.push(p.textContent.trim());
}).observe(document, {subtree: true, childList: true, characterData: true});
"""


def ask(page: Any, text: str) -> str:
    """Send ``text`` in the chat and wait for the turn to end; returns the slug of the dashboard shown."""
    finished = page.locator(".msg.assistant[data-status]")
    before = finished.count()
    box = page.get_by_label("Message")
    box.fill(text)
    box.press("Enter")
    page.locator(".msg.user", has_text=text).wait_for()
    expect(finished).to_have_count(before + 1, timeout=60_000)
    errors = page.locator(".msg .error-text").all_inner_texts()
    assert finished.last.get_attribute("data-status") == "done" and errors == [], errors
    assert page.locator(".progress .spinner").count() == 0
    assert page.locator(".steps-box > summary").last.inner_text().endswith("steps")
    link = finished.last.locator(".saved a").last.get_attribute("href") or ""
    slug = link.rstrip("/").rsplit("/", 1)[-1]
    assert slug, "the turn announced no saved dashboard"
    # the preview switches to the new dashboard after the turn's last event: wait for that one
    page.locator(f".preview-pane .dashboard[data-slug='{slug}'][data-ready='true']").wait_for()
    return slug


def test_chat_to_dashboard(dev_server: Any, token: Any, open_page: Any) -> None:
    api = Api(dev_server.url, token(DEMO_EMAIL))
    team_id = api.get("/v1/teams").json()["teams"][0]["id"]
    page = open_page(DESKTOP)
    page.add_init_script(WATCH_PROGRESS)
    sign_in(page, dev_server.url, DEMO_EMAIL)
    expect(page.get_by_label("Team")).to_have_value(team_id)

    slug = ask(page, "revenue by month")
    seen = page.evaluate("window.__progressSeen")
    assert any(text.startswith("Working: step") for text in seen), seen
    assert page.locator(".progress").inner_text().startswith("Answered in")
    assert page.locator(".step-status.ok").count() >= 1
    assert page.locator(".saved a").get_attribute("href") == f"/d/{team_id}/{slug}"
    assert page.locator(".msg.assistant .msg-text a").first.get_attribute("href") == f"/d/{team_id}/{slug}"
    assert page.locator(".preview-pane .chart svg .mark-line path").count() >= 1
    data = api.get(f"/v1/teams/{team_id}/dashboards/{slug}/data").json()
    assert_kpis_match(page.locator(".preview-pane"), data)
    screenshot(page, "chat-1280")

    # a follow-up in the same chat: a dashboard with a date range parameter
    ranged = ask(page, "revenue by month since 2022")
    assert ranged != slug and page.locator(".msg.user").count() == 2

    # a reload restores the conversation and its latest dashboard from the API
    steps = page.locator(".step").count()
    page.reload()
    page.locator(".msg.user", has_text="revenue by month since 2022").wait_for()
    page.locator(f".preview-pane .dashboard[data-slug='{ranged}'][data-ready='true']").wait_for()
    assert page.locator(".step").count() == steps and page.locator(".msg.user").count() == 2

    # the preview opens as its own page: change the parameter, refresh, download the YAML
    page.locator(".preview-pane").get_by_role("link", name="Open").click()
    wait_ready(page)
    params = api.get(f"/v1/teams/{team_id}/dashboards/{ranged}/data").json()["parameters"]
    assert [(p["name"], p["type"]) for p in params] == [("period", "date_range")]
    with page.expect_response(lambda r: "/data?" in r.url and "period_start=2024-01-01" in r.url):
        page.get_by_label("Period start").fill("2024-01-01")
        page.get_by_label("Period start").press("Enter")
    wait_ready(page)
    query = {"period_start": "2024-01-01", "period_end": page.get_by_label("Period end").input_value()}
    assert_kpis_match(page, api.get(f"/v1/teams/{team_id}/dashboards/{ranged}/data", params=query).json())
    with page.expect_response(lambda r: "/refresh?period_start=2024-01-01" in r.url) as refreshed:
        page.get_by_role("button", name="Refresh").click()
    assert refreshed.value.status == 200
    page.get_by_role("button", name="YAML", exact=True).click()
    with page.expect_download() as dl:
        page.get_by_role("button", name="Download YAML").click()
    assert dl.value.suggested_filename == f"{ranged}.yaml"
    with open(dl.value.path(), encoding="utf-8") as f:
        assert "type: date_range" in f.read()

    phone = open_page(PHONE)
    sign_in(phone, dev_server.url, DEMO_EMAIL)
    ask(phone, "revenue by category")  # a new request (the same one again is offered, not saved)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, "chat-390")
