"""Onboarding in a browser: create a team, add a DuckDB connection, validate, scan, browse the catalog."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect
from webhelpers import DESKTOP, Api, sign_in

pytestmark = pytest.mark.browser


def test_team_connection_scan_and_catalog(dev_server: Any, token: Any, open_page: Any) -> None:
    page = open_page(DESKTOP)
    sign_in(page, dev_server.url, "ops@example.com")
    page.get_by_text("You are not in a team yet").wait_for()
    page.get_by_role("link", name="Create a team").click()

    page.get_by_label("New team").fill("Analytics")
    page.get_by_label("New team").press("Enter")
    page.get_by_role("heading", name="Analytics").wait_for()
    page.get_by_text("No connections yet").wait_for()

    page.get_by_text("Add a connection").click()
    page.get_by_label("Name", exact=True).fill("Shop warehouse")
    page.get_by_label("Project").fill("demo")
    page.get_by_label("DuckDB path").fill(str(dev_server.demo_path))
    page.get_by_role("button", name="Add connection").click()
    row = page.locator(".conn", has_text="Shop warehouse")
    row.locator(".badge", has_text="pending").wait_for()

    row.get_by_role("button", name="Validate").click()
    row.locator(".badge", has_text="valid").wait_for()
    page.locator(".conn", has_text="Shop warehouse").get_by_role("button", name="Scan").click()
    page.get_by_text("Scanned 1 datasets").wait_for()
    page.locator(".conn", has_text="Shop warehouse").get_by_role("button", name="Catalog").click()

    api = Api(dev_server.url, token("ops@example.com"))
    team = api.get("/v1/teams").json()["teams"][0]
    conn = api.get(f"/v1/teams/{team['id']}/connections").json()["connections"][0]
    catalog = api.get(f"/v1/connections/{conn['id']}/catalog").json()
    orders = next(
        t for d in catalog["datasets"] for t in d["tables"] if t["fully_qualified_name"].endswith(".orders")
    )
    entry = page.locator(f".catalog details[data-table='{orders['fully_qualified_name']}']")
    assert f"{orders['row_count']:,} rows" in entry.locator("summary").inner_text()
    entry.locator("summary").click()
    assert entry.locator(".columns tbody tr").count() == len(orders["columns"])
    assert "created_at" in entry.locator(".columns").inner_text()

    # the chat page now offers the new team and its connection
    page.get_by_role("link", name="Chat").click()
    expect(page.get_by_label("Team").locator("option:checked")).to_have_text("Analytics")
    expect(page.get_by_label("Connection").locator("option:checked")).to_have_text("Shop warehouse")


def test_team_settings_members_and_connection_removal(dev_server: Any, token: Any, open_page: Any) -> None:
    api = Api(dev_server.url, token("lead@example.com"))
    team = api.post("/v1/teams", json={"name": "Ops"}).json()
    api.post(f"/v1/teams/{team['id']}/members", json={"email": "kim@example.com", "role": "member"})
    conn = api.post(
        f"/v1/teams/{team['id']}/connections",
        json={"name": "Old warehouse", "warehouse_type": "duckdb", "path": str(dev_server.demo_path)},
    ).json()
    page = open_page(DESKTOP)
    sign_in(page, dev_server.url, "lead@example.com")
    page.get_by_role("link", name="Teams").click()
    page.get_by_role("heading", name="Settings").wait_for()

    page.problems.expect("400 (BAD REQUEST)")  # the refused model below
    page.get_by_label("Model", exact=True).fill("gpt-4o")
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator(".settings-form .error-box")).to_contain_text("known models: offline")
    page.get_by_label("Model", exact=True).fill("openai:qwen3")
    page.get_by_label("Byte cap (MB)").fill("250")
    page.get_by_role("button", name="Save settings").click()
    page.get_by_text("Settings saved").wait_for()
    saved = api.get(f"/v1/teams/{team['id']}").json()["settings"]
    assert saved == {"model": "openai:qwen3", "model_region": None, "byte_cap": 250_000_000}

    page.get_by_role("button", name="Remove kim@example.com").click()
    page.get_by_text("kim@example.com removed").wait_for()
    assert [m["email"] for m in api.get(f"/v1/teams/{team['id']}/members").json()["members"]] == [
        "lead@example.com"
    ]

    page.on("dialog", lambda dialog: dialog.accept())
    page.locator(".conn", has_text="Old warehouse").get_by_role("button", name="Delete").click()
    page.get_by_text("No connections yet").wait_for()
    assert api.get(f"/v1/teams/{team['id']}/connections").json()["connections"] == []
    assert conn["id"]
