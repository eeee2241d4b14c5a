"""The team knowledge file in a browser: a starter from the catalog, errors at their lines, save;
thumbs on a dashboard, and an admin accepting the suggestion it made."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect
from test_web_dashboard_work import ORDERS
from webhelpers import DESKTOP, axe_violations, demo_api, sign_in, wait_ready

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
    # then an optional comment, in the same inline form (no correction field for a thumbs-up)
    page.get_by_role("button", name="Add a comment").click()
    note = page.get_by_role("form", name="Your comment")
    expect(note.get_by_label("Comment (optional)")).to_be_focused()
    expect(note.get_by_label("Correction for the team's knowledge (optional)")).to_be_hidden()
    note.get_by_label("Comment (optional)").fill("exactly what I needed")
    note.get_by_role("button", name="Send feedback").click()
    expect(note).to_be_hidden()
    [fb] = api.get(f"/v1/teams/{team_id}/feedback").json()["feedback"]
    assert (fb["rating"], fb["comment"], fb["correction"]) == ("up", "exactly what I needed", None)

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
    page.on("dialog", lambda dialog: pytest.fail(f"a browser dialog opened: {dialog.message}"))
    wrong = answer.get_by_role("button", name="Wrong answer")
    wrong.click()
    form = answer.get_by_role("form", name="What was wrong")
    expect(form).to_be_visible()
    expect(wrong).to_have_attribute("aria-expanded", "true")
    comment = form.get_by_label("Comment (optional)")
    expect(comment).to_be_focused()

    # Cancel (and Escape) close the form without sending anything; focus goes back to 👎
    form.get_by_role("button", name="Cancel").click()
    expect(form).to_be_hidden()
    expect(wrong).to_be_focused()
    wrong.press("Enter")
    expect(comment).to_be_focused()
    page.keyboard.press("Escape")
    expect(form).to_be_hidden()
    assert api.get(f"/v1/teams/{team_id}/feedback").json()["feedback"] == []

    wrong.click()
    comment.fill("the total looks too high")
    form.get_by_label("Correction for the team's knowledge (optional)").fill("revenue should exclude returns")
    assert axe_violations(page) == []
    form.get_by_role("button", name="Send feedback").click()
    expect(answer.locator(".feedback-status")).to_have_text(
        "Thanks! Your correction is proposed to the team's admins."
    )
    expect(form).to_be_hidden()
    expect(wrong).to_have_attribute("aria-expanded", "false")
    [fb] = api.get(f"/v1/teams/{team_id}/feedback").json()["feedback"]
    assert (fb["target_type"], fb["rating"], fb["question"]) == ("turn", "down", "revenue by category")
    assert fb["offer"]["text"].startswith("revenue should exclude returns")
    assert fb["comment"] == "the total looks too high"


def test_completion_inside_metric_and_dimension_entries(dev_server: Any, token: Any, open_page: Any) -> None:
    """Ctrl+Space in a list entry offers that entry's keys, read through the schema's $ref/$defs."""
    demo_api(dev_server, token)
    page = open_page(DESKTOP)
    sign_in(page, dev_server.url, DEMO_EMAIL)
    page.get_by_role("link", name="Teams").click()
    page.get_by_role("heading", name="Knowledge").wait_for()
    editor = page.get_by_label("knowledge.yaml")
    options = page.locator(".knowledge-editor").get_by_role("option")

    def complete(text: str) -> list[str]:
        editor.fill(text)
        editor.focus()
        page.keyboard.press("Control+End")
        page.keyboard.press("Control+Space")
        expect(options.first).to_be_visible()
        return [c.strip() for c in options.locator("code").all_inner_texts()]

    # a second key of a metric entry (the line lines up with `name`, after the dash)
    keys = complete("version: 1\nmetrics:\n  - name: aov\n    ")
    assert keys == ["name", "synonyms", "description", "sql", "filter", "format"]
    # a prefix narrows it; Enter inserts the key
    assert complete("version: 1\nmetrics:\n  - name: aov\n    fo") == ["format"]
    page.keyboard.press("Enter")
    assert editor.input_value().endswith("    format: ")
    # a new entry started with a dash, in a list written without indentation
    assert complete("version: 1\ndimensions:\n- ")[:2] == ["column", "name"]
    assert complete("version: 1\njoins:\n  - from: order_items.user_id\n    ") == ["from", "to"]
