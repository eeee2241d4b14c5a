"""End to end over real HTTP with the offline planner: message → SSE stream → saved dashboard with data."""

from __future__ import annotations

import requests
from test_chat_http import assert_documented, read_sse

from shared.dev.seed import DEMO_EMAIL


def test_message_to_saved_dashboard_over_http(dev_server, container) -> None:
    h = {"Authorization": f"Bearer {container.local_identity.issue(DEMO_EMAIL)}"}
    team = requests.get(f"{dev_server.url}/v1/teams", headers=h).json()["teams"][0]
    conn = requests.get(f"{dev_server.url}/v1/teams/{team['id']}/connections", headers=h).json()[
        "connections"
    ][0]
    sid = requests.post(
        f"{dev_server.url}/v1/chat/sessions",
        json={"team_id": team["id"], "connection_id": conn["id"]},
        headers=h,
    ).json()["id"]
    with requests.post(
        f"{dev_server.url}/v1/chat/sessions/{sid}/messages",
        json={"content": "revenue by month by country"},
        headers=h,
        stream=True,
        timeout=60,
    ) as r:
        assert r.status_code == 200
        events = read_sse(r)
    assert_documented(events)
    types = [e["event"] for e in events]
    assert types[-1] == "done" and events[-1]["data"]["status"] == "done"
    names = [e["data"]["name"] for e in events if e["event"] == "tool_call"]
    assert "run_dry_run_query" in names and names[-1] == "save_dashboard_yaml"
    assert names.index("run_dry_run_query") < names.index("save_dashboard_yaml")
    saved = next(e["data"] for e in events if e["event"] == "dashboard_saved")
    done = events[-1]["data"]
    assert done["dashboard_slug"] == saved["dashboard_slug"] and done["preview_url"] == saved["preview_url"]
    import re

    sentences = [
        x for x in re.split(r"[.!?](?:\s+|$)", re.sub(r"https?://\S+", "URL", done["message"])) if x.strip()
    ]
    assert 2 <= len(sentences) <= 4, ("two or three sentences on what was built and why", sentences)

    data = requests.get(
        f"{dev_server.url}/v1/teams/{team['id']}/dashboards/{saved['dashboard_slug']}/data", headers=h
    ).json()
    assert data["views"] and all(v["status"] == "ok" for v in data["views"])
    assert any(v["row_count"] > 0 for v in data["views"])
    assert any("country" in [c["name"] for c in v["columns"]] for v in data["views"])
