"""A first run that explains itself: the demo account named at sign-in, empty states, chips, plain steps."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect
from test_web_chat_flow import ask
from webhelpers import DESKTOP, PHONE, axe_violations, screenshot, sign_in

from shared.dev.seed import DEMO_EMAIL

pytestmark = pytest.mark.browser


def test_first_run_for_a_new_email_then_the_demo_team(dev_server: Any, open_page: Any) -> None:
    page = open_page(DESKTOP)
    page.goto(f"{dev_server.url}/")
    hint = page.locator(".demo-hint")
    expect(hint).to_contain_text(f"The demo team, with a sample shop warehouse, belongs to {DEMO_EMAIL}")
    screenshot(page, "first-run-sign-in")

    # a new email: no team yet, and the page says what to do next instead of offering chips that fail
    sign_in(page, dev_server.url, "newcomer@example.com")
    empty = page.locator(".empty-state")
    expect(empty).to_contain_text("You are not in a team yet")
    expect(empty).to_contain_text(DEMO_EMAIL)
    assert page.locator(".suggestions .chip").count() == 0
    assert page.get_by_role("button", name="Send").is_disabled()
    assert axe_violations(page) == []
    screenshot(page, "first-run-no-team")
    page.get_by_role("link", name="Dashboards").click()
    expect(page.locator(".empty-state")).to_contain_text("You are not in a team yet")

    # the demo account from the sign-in page
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("button", name=f"Use {DEMO_EMAIL}").click()
    page.get_by_role("navigation", name="Main").wait_for()
    chips = page.locator(".suggestions .chip")
    expect(chips).to_have_count(3)
    finished = page.locator(".msg.assistant[data-status]")
    chips.first.click()
    expect(finished).to_have_count(1, timeout=60_000)
    assert finished.first.get_attribute("data-status") == "done"
    page.locator(".preview-pane .dashboard[data-ready='true']").wait_for()

    # the steps in plain words, the raw JSON one toggle away; a short link to the dashboard
    page.locator(".steps-box > summary").first.click()  # the steps fold away once the answer is in
    steps = page.locator(".step-summary").all_inner_texts()
    assert steps and not any("_" in s.split(" ")[0] for s in steps), steps
    assert any(s.startswith("Dry run: ") and "cap" in s for s in steps), steps
    raw = page.locator(".step .raw").first
    assert not raw.locator("pre").is_visible()
    raw.locator("summary").click()
    assert raw.locator("pre").is_visible()
    links = page.locator(".msg.assistant .open-dashboard")
    assert links.count() >= 1 and all(t == "Open dashboard" for t in links.all_inner_texts())
    assert "`" not in page.locator(".msg.assistant .msg-text").first.inner_text()
    assert axe_violations(page) == []
    screenshot(page, "first-run-answer")

    # New chat: the chips come back
    page.get_by_role("button", name="New chat").click()
    expect(page.locator(".suggestions .chip")).to_have_count(3)
    assert page.locator(".msg").count() == 0


def test_a_phone_never_scrolls_sideways(dev_server: Any, open_page: Any) -> None:
    phone = open_page(PHONE)
    sign_in(phone, dev_server.url, DEMO_EMAIL)
    slug = ask(phone, "orders by status")
    phone.locator(".preview-pane .chart svg").first.wait_for()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, "chat-390-bar")
    phone.locator(".preview-pane").get_by_role("link", name="Open").click()
    phone.locator(f".dashboard[data-slug='{slug}'][data-ready='true']").wait_for()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.get_by_role("link", name="Dashboards").click()
    phone.locator(".dash-card").first.wait_for()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
