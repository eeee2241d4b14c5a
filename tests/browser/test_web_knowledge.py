"""The team knowledge file in a browser: a starter from the catalog, errors at their lines, save;
thumbs on a dashboard, and an admin accepting the suggestion it made."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect
from test_web_dashboard_page import demo_api, wait_ready
from test_web_dashboard_work import ORDERS
from webhelpers import DESKTOP, axe_violations, sign_in

from shared.dev.seed import DEMO_EMAIL

pytestmark = pytest.mark.browser

DROP = """\
version: 1
metrics:
  - name: revenue
    synonyms: [sales]
    sql: SUM(order_items.sale_price); DROP TABLE `demo.thelook_ecommerce.order_items`
"""


def test_edit_the_knowledge_file_and_accept_feedback(dev_server: Any, token: Any, open_page: Any) -> None:
    api, team_id = demo_api(dev_server, token)
    assert api.put_yaml(f"/v1/teams/{team_id}/dashboards/orders", ORDERS).status_code == 201
    page = open_page(DESKTOP)
    sign_in(page, dev_server.url, DEMO_EMAIL)
    page.get_by_role("link", name="Teams").click()
    page.get_by_role("heading", name="Knowledge").wait_for()
    editor = page.get_by_label("knowledge.yaml")
    expect(editor).to_have_value(
        "# yaml-language-server: $schema=https://bridge.dev/schemas/knowledge.schema.json\nversion: 1\n"
    )

    page.get_by_role("button", name="Start from the catalog").click()
    expect(editor).to_have_value(re.compile(r"SUM\(order_items\.sale_price\)"))
    starter = editor.input_value()

    # a DROP in a metric is refused at its line, shown in the gutter and the problem list
    page.problems.expect("400 (BAD REQUEST)")
    editor.fill(DROP)
    page.locator(".knowledge-editor").get_by_role("button", name="Save").click()
    problems = page.locator(".knowledge-editor .problems")
    expect(problems).to_contain_text("DROP is not allowed here")
    expect(problems.get_by_role("button", name="Line 5")).to_be_visible()
    expect(page.locator(".knowledge-editor .gutter .ln.bad")).to_have_text("5")
    assert api.get(f"/v1/teams/{team_id}/knowledge").json()["version"] == 0

    editor.fill(starter)
    page.locator(".knowledge-editor").get_by_role("button", name="Save").click()
    expect(page.locator(".knowledge-editor .editor-status")).to_have_text("Saved as version 1")
    assert api.get(f"/v1/teams/{team_id}/knowledge").json()["yaml"] == starter
    assert axe_violations(page) == []

    # a thumbs-up on the dashboard offers a verified answer; the admin accepts it on the team page
    page.goto(f"{dev_server.url}/d/{team_id}/orders")
    wait_ready(page)
    page.get_by_role("button", name="Good answer").click()
    expect(page.locator(".feedback-status")).to_have_text(
        "Thanks! An admin can save this as a verified answer."
    )
    [fb] = api.get(f"/v1/teams/{team_id}/feedback").json()["feedback"]
    assert (fb["rating"], fb["target_id"], fb["status"]) == ("up", "orders", "open")

    page.get_by_role("link", name="Teams").click()
    offer = page.locator(".feedback-offer")
    expect(offer).to_contain_text("as a verified answer")
    offer.get_by_role("button").click()
    expect(page.locator(".feedback-list")).to_contain_text("No open suggestions from feedback.")
    saved = api.get(f"/v1/teams/{team_id}/knowledge").json()
    assert saved["version"] == 2 and "dashboard: orders" in saved["yaml"]
    expect(editor).to_have_value(saved["yaml"])


def test_thumbs_down_on_a_chat_answer_proposes_the_correction(
    dev_server: Any, token: Any, open_page: Any
) -> None:
    from test_web_chat_flow import ask

    api, team_id = demo_api(dev_server, token)
    page = open_page(DESKTOP)
    sign_in(page, dev_server.url, DEMO_EMAIL)
    page.get_by_role("link", name="Chat").click()
    ask(page, "revenue by category")
    answer = page.locator(".msg.assistant[data-status='done']").last
    page.once("dialog", lambda dialog: dialog.accept("revenue should exclude returns"))
    answer.get_by_role("button", name="Wrong answer").click()
    expect(answer.locator(".feedback-status")).to_have_text(
        "Thanks! Your correction is proposed to the team's admins."
    )
    [fb] = api.get(f"/v1/teams/{team_id}/feedback").json()["feedback"]
    assert (fb["target_type"], fb["rating"], fb["question"]) == ("turn", "down", "revenue by category")
    assert fb["offer"]["text"].startswith("revenue should exclude returns")
