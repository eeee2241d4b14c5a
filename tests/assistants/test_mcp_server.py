"""``bridge mcp`` through the MCP SDK's own stdio client, against the dev server over real HTTP.

The server process is the real ``bridge mcp`` command; the chat turn it runs is the real agent
loop with the offline planner. Another team's ids are refused exactly as the HTTP API refuses them.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client

REPO = Path(__file__).resolve().parents[2]


def _params(url: str, token: str) -> StdioServerParameters:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIDGE_")}
    env.update(
        {"PYTHONPATH": str(REPO), "BRIDGE_TOKEN": token, "BRIDGE_DATA_DIR": str(REPO / ".bridge-mcp-unused")}
    )
    return StdioServerParameters(
        command=sys.executable, args=["-m", "shared.dev.cli", "mcp", "--url", url], env=env, cwd=str(REPO)
    )


async def _session_calls(
    url: str, token: str, calls: list[tuple[str, dict[str, Any]]]
) -> tuple[list[str], list[Any]]:
    async with stdio_client(_params(url, token)) as streams, ClientSession(streams[0], streams[1]) as session:
        await session.initialize()
        names = sorted(t.name for t in (await session.list_tools()).tools)
        results = []
        for name, arguments in calls:
            results.append(await session.call_tool(name, arguments))
        return names, results


def _structured(result: Any) -> Any:
    assert not result.is_error, result.content
    if result.structured_content is not None:
        return result.structured_content.get("result", result.structured_content)
    return json.loads(result.content[0].text)


def test_list_ask_and_get_data_through_the_mcp_client(dev_server, container, token) -> None:
    from shared.dev.seed import DEMO_EMAIL

    alice = container.local_identity.issue(DEMO_EMAIL)
    names, (conns, asked, listed) = anyio.run(
        _session_calls,
        dev_server.url,
        alice,
        [
            ("list_connections", {}),
            ("ask_for_dashboard", {"request": "orders by status as a pie"}),
            ("list_dashboards", {}),
        ],
    )
    assert names == ["ask_for_dashboard", "get_dashboard_data", "list_connections", "list_dashboards"]
    connections = _structured(conns)["connections"]
    assert connections and connections[0]["warehouse_type"] == "duckdb"

    answer = _structured(asked)
    assert answer["status"] == "done", answer
    slug = answer["dashboard_slug"]
    assert slug and answer["preview_url"].endswith(f"/d/{connections[0]['team_id']}/{slug}")
    assert "\nversion: 1\n" in answer["yaml"] and "status" in answer["yaml"]
    assert "save_dashboard_yaml" in answer["tools_used"]
    assert slug in {d["slug"] for d in _structured(listed)["dashboards"]}

    team_id = connections[0]["team_id"]
    _, (data,) = anyio.run(
        _session_calls, dev_server.url, alice, [("get_dashboard_data", {"team_id": team_id, "slug": slug})]
    )
    views = _structured(data)["views"]
    assert views and all(v["status"] == "ok" for v in views)
    assert all(v["row_count"] > 0 and v["columns"] for v in views)
    # the same numbers the HTTP API serves the same user
    import requests

    direct = requests.get(
        f"{dev_server.url}/v1/teams/{team_id}/dashboards/{slug}/data",
        headers={"Authorization": f"Bearer {alice}"},
        timeout=30,
    ).json()["views"]
    # the same visible rows: the pie's helper columns (rank, share) stay in the web payload only
    from shared.dashboards.visible import HELPER_COLUMNS, visible_view

    assert [visible_view(v)["values"] for v in direct] == [v["values"] for v in views]
    sent = {c["name"] for v in views for c in v["columns"]}
    assert sent and not sent & HELPER_COLUMNS
    assert {c["name"] for v in direct for c in v["columns"]} & HELPER_COLUMNS  # the web app still gets them


def test_another_teams_dashboard_is_refused(dev_server, container, token) -> None:
    from shared.dev.seed import DEMO_EMAIL

    alice = container.local_identity.issue(DEMO_EMAIL)
    _, (conns, asked) = anyio.run(
        _session_calls,
        dev_server.url,
        alice,
        [("list_connections", {}), ("ask_for_dashboard", {"request": "orders by status"})],
    )
    team_id, slug = _structured(conns)["connections"][0]["team_id"], _structured(asked)["dashboard_slug"]

    eve = container.local_identity.issue("eve@example.com")
    _, results = anyio.run(
        _session_calls,
        dev_server.url,
        eve,
        [
            ("get_dashboard_data", {"team_id": team_id, "slug": slug}),
            ("list_dashboards", {"team_id": team_id}),
            ("list_connections", {}),
            ("ask_for_dashboard", {"request": "orders", "team_id": team_id}),
        ],
    )
    data, dashboards, own, ask = results
    for refused in (data, dashboards):
        assert refused.is_error and "not found" in refused.content[0].text.lower()
        assert slug not in refused.content[0].text or "not found" in refused.content[0].text.lower()
    assert _structured(own)["connections"] == []
    assert ask.is_error


def test_bridge_mcp_needs_a_token() -> None:
    import subprocess

    env = {k: v for k, v in os.environ.items() if k != "BRIDGE_TOKEN"} | {"PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-m", "shared.dev.cli", "mcp"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "BRIDGE_TOKEN" in done.stderr


pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def test_list_dashboards_follows_every_page(dev_server, container, token) -> None:
    """The list routes page (50 by default); the MCP tool lists all of a team's dashboards."""
    from datetime import UTC, datetime

    from shared.db.models import Dashboard
    from shared.dev.seed import DEMO_EMAIL
    from shared.dev.server import prepare

    team_id, conn_id = prepare(container)
    with container.db.session() as s:
        for i in range(260):
            s.add(
                Dashboard(
                    team_id=team_id,
                    connection_id=conn_id,
                    slug=f"many-{i:03d}",
                    title=f"Many {i}",
                    yaml_path=f"{team_id}/many-{i:03d}.yaml",
                    owner_user_id=DEMO_EMAIL,
                    version=1,
                    generation=1,
                    updated_at=datetime(2026, 1, 1, tzinfo=UTC),
                )
            )
    alice = container.local_identity.issue(DEMO_EMAIL)
    _, (listed,) = anyio.run(_session_calls, dev_server.url, alice, [("list_dashboards", {})])
    slugs = [d["slug"] for d in _structured(listed)["dashboards"]]
    assert {f"many-{i:03d}" for i in range(260)} <= set(slugs) and len(slugs) == len(set(slugs))
