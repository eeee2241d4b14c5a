"""Team settings over real HTTP: PATCH model/region/byte cap (validated), remove members and connections."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from provider_wire import WireServer, openai_stream, serve

from shared.bootstrap import Container

DASHBOARD = """\
version: 1
title: Orders
queries:
  n:
    sql: SELECT COUNT(*) AS orders FROM `demo.thelook_ecommerce.orders`
views:
  - id: total
    type: kpi
    title: Orders
    query: n
    value: {field: orders, aggregate: sum, format: number}
    layout: {x: 0, y: 0, w: 4, h: 2}
"""


@pytest.fixture
def wire() -> Iterator[WireServer]:
    yield from serve()


def _team(dev_server, headers, container: Container) -> tuple[str, str]:
    team = requests.post(f"{dev_server.url}/v1/teams", json={"name": "Acme"}, headers=headers).json()
    conn = requests.post(
        f"{dev_server.url}/v1/teams/{team['id']}/connections",
        json={"name": "wh", "warehouse_type": "duckdb", "path": str(container.settings.demo_warehouse_path)},
        headers=headers,
    ).json()
    assert requests.post(f"{dev_server.url}/v1/connections/{conn['id']}/scan", headers=headers).ok
    return team["id"], conn["id"]


def test_patch_sets_validates_and_resets_the_teams_settings(dev_server, token, container) -> None:
    alice = token("alice@example.com")
    team_id, _ = _team(dev_server, alice, container)
    url = f"{dev_server.url}/v1/teams/{team_id}"

    r = requests.patch(
        url,
        json={"model": "anthropic:claude-sonnet-5-5", "model_region": "us-central1", "byte_cap": 5_000_000},
        headers=alice,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["settings"] == {
        "model": "anthropic:claude-sonnet-5-5",
        "model_region": "us-central1",
        "byte_cap": 5_000_000,
    }
    assert body["effective"]["byte_cap"] == 5_000_000
    assert requests.get(url, headers=alice).json()["settings"] == body["settings"]

    r = requests.patch(url, json={"model": "gpt-4o"}, headers=alice)
    assert r.status_code == 400
    error = r.json()["error"]
    assert error["code"] == "bad_request" and "gpt-4o" in error["message"]
    for known in ("offline", "gemini-*", "openai:*", "anthropic:*"):
        assert known in error["message"]
    for bad in (
        {"model": "openai:"},
        {"model_region": "Mars 1"},
        {"byte_cap": 10},
        {"byte_cap": "lots"},
        {},
        {"colour": 1},
    ):
        r = requests.patch(url, json=bad, headers=alice)
        assert r.status_code == 400, (bad, r.text)
        assert set(r.json()["error"]) >= {"code", "message"}
    assert requests.get(url, headers=alice).json()["settings"]["model"] == "anthropic:claude-sonnet-5-5"

    r = requests.patch(url, json={"model": None, "byte_cap": None, "model_region": None}, headers=alice)
    assert r.status_code == 200
    assert r.json()["settings"] == {"model": None, "model_region": None, "byte_cap": None}
    defaults = container.settings
    assert r.json()["effective"] == {
        "model": defaults.model,
        "model_region": defaults.model_region,
        "byte_cap": defaults.default_byte_cap,
    }


def test_the_teams_model_answers_its_chat_turns(dev_server, token, container, wire) -> None:
    """PATCH model=openai:<id>: the next turn goes to that provider (its base URL from settings)."""
    container.settings = container.settings.replace(openai_base_url=f"{wire.url}/v1")
    alice = token("alice@example.com")
    team_id, conn_id = _team(dev_server, alice, container)
    assert requests.patch(
        f"{dev_server.url}/v1/teams/{team_id}", json={"model": "openai:qwen3"}, headers=alice
    ).ok
    wire.queue(openai_stream(["Hello from ", "qwen."]))

    sid = requests.post(
        f"{dev_server.url}/v1/chat/sessions",
        json={"team_id": team_id, "connection_id": conn_id},
        headers=alice,
    ).json()["id"]
    with requests.post(
        f"{dev_server.url}/v1/chat/sessions/{sid}/messages",
        json={"content": "hi"},
        headers=alice,
        stream=True,
        timeout=60,
    ) as resp:
        text = resp.text
    assert '"message": "Hello from qwen."' in text or '"message":"Hello from qwen."' in text
    assert wire.received[0].body["model"] == "qwen3"


def test_members_are_removed_but_the_last_admin_stays(dev_server, token, container) -> None:
    alice, carol = token("alice@example.com"), token("carol@example.com")
    team_id, _ = _team(dev_server, alice, container)
    members = f"{dev_server.url}/v1/teams/{team_id}/members"
    assert requests.post(members, json={"email": "Carol@Example.com", "role": "member"}, headers=alice).ok
    assert requests.get(f"{dev_server.url}/v1/teams/{team_id}", headers=carol).status_code == 200
    assert [m["email"] for m in requests.get(members, headers=carol).json()["members"]] == [
        "alice@example.com",
        "carol@example.com",
    ]
    assert requests.delete(f"{members}/alice@example.com", headers=carol).status_code == 403

    r = requests.delete(f"{members}/alice@example.com", headers=alice)
    assert r.status_code == 409 and "admin" in r.json()["error"]["message"]
    assert requests.delete(f"{members}/nobody@example.com", headers=alice).status_code == 404
    assert requests.delete(f"{members}/carol@example.com", headers=alice).status_code == 204
    assert requests.get(f"{dev_server.url}/v1/teams/{team_id}", headers=carol).status_code == 404
    assert [m["email"] for m in requests.get(members, headers=alice).json()["members"]] == [
        "alice@example.com"
    ]


def test_a_connection_is_deleted_once_no_live_dashboard_reads_from_it(dev_server, token, container) -> None:
    alice = token("alice@example.com")
    team_id, conn_id = _team(dev_server, alice, container)
    url = f"{dev_server.url}/v1/teams/{team_id}/connections/{conn_id}"
    put = requests.put(
        f"{dev_server.url}/v1/teams/{team_id}/dashboards/orders",
        data=DASHBOARD.encode(),
        params={"connection_id": conn_id},
        headers={**alice, "Content-Type": "application/yaml"},
    )
    assert put.status_code == 201, put.text
    session = requests.post(
        f"{dev_server.url}/v1/chat/sessions",
        json={"team_id": team_id, "connection_id": conn_id},
        headers=alice,
    ).json()["id"]

    r = requests.delete(url, headers=alice)
    assert r.status_code == 409 and r.json()["error"]["details"] == {"dashboards": ["orders"]}
    assert (
        requests.delete(f"{dev_server.url}/v1/teams/{team_id}/dashboards/orders", headers=alice).status_code
        == 204
    )
    assert requests.delete(url, headers=alice).status_code == 204

    assert (
        requests.get(f"{dev_server.url}/v1/teams/{team_id}/connections", headers=alice).json()["connections"]
        == []
    )
    assert requests.get(f"{dev_server.url}/v1/chat/sessions/{session}", headers=alice).status_code == 404
    assert requests.delete(url, headers=alice).status_code == 404


def test_bigquery_credentials_are_removed_with_their_connection(dev_server, token, container) -> None:
    alice = token("alice@example.com")
    team_id = requests.post(f"{dev_server.url}/v1/teams", json={"name": "B"}, headers=alice).json()["id"]
    creds = {"type": "service_account", "project_id": "acme", "private_key": "k", "client_email": "x@y"}
    conn = requests.post(
        f"{dev_server.url}/v1/teams/{team_id}/connections",
        json={"name": "bq", "warehouse_type": "bigquery", "credentials": creds},
        headers=alice,
    ).json()
    secrets = container.store("secrets")
    path = f"{team_id}/{conn['id']}.json.enc"
    assert secrets.head(path) is not None
    assert (
        requests.delete(
            f"{dev_server.url}/v1/teams/{team_id}/connections/{conn['id']}", headers=alice
        ).status_code
        == 204
    )
    assert secrets.head(path) is None
