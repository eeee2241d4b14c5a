"""Chat over real HTTP: SSE stream of a turn, reconnect at every event id, session messages, isolation."""

from __future__ import annotations

import json
import time

import requests
from chat_helpers import ChatEnv, lookup_script


def read_sse(resp: requests.Response) -> list[dict]:
    """Parse a text/event-stream body into [{id, event, data}]."""
    out, cur = [], {}
    for raw in resp.iter_lines(decode_unicode=True):
        if raw == "":
            if "event" in cur:
                out.append(cur)
            cur = {}
        elif raw.startswith(":"):
            continue
        else:
            key, _, value = raw.partition(": ")
            cur[key] = json.loads(value) if key == "data" else value
    return out


def assert_documented(events: list[dict]) -> None:
    """Every event matches schemas/events.schema.json."""
    from pathlib import Path

    from jsonschema import Draft202012Validator

    schema = json.loads((Path(__file__).parents[2] / "schemas" / "events.schema.json").read_text())
    validator = Draft202012Validator(schema)
    for e in events:
        errors = list(validator.iter_errors({"type": e["event"], "data": e["data"]}))
        assert not errors, (e, [x.message for x in errors])


def auth(env: ChatEnv) -> dict[str, str]:
    return {"Authorization": f"Bearer {env.c.local_identity.issue(env.user.email)}"}


def test_turn_streams_to_done_and_reconnect_resumes_at_every_event(dev_server, chat_env: ChatEnv) -> None:
    chat_env.install(lookup_script())
    h = auth(chat_env)
    r = requests.post(
        f"{dev_server.url}/v1/chat/sessions",
        json={"team_id": chat_env.team_id, "connection_id": chat_env.connection_id},
        headers=h,
    )
    assert r.status_code == 201, r.text
    sid = r.json()["id"]
    with requests.post(
        f"{dev_server.url}/v1/chat/sessions/{sid}/messages",
        json={"content": "what is there?"},
        headers=h,
        stream=True,
        timeout=30,
    ) as resp:
        assert resp.status_code == 200 and resp.headers["Content-Type"].startswith("text/event-stream")
        streamed = read_sse(resp)
    assert_documented(streamed)
    # text may also arrive live while the model writes (no id); the committed record carries ids
    assert all(e["event"] == "token" and e["data"]["live"] for e in streamed if "id" not in e)
    live = [e for e in streamed if "id" in e]
    types = [e["event"] for e in live]
    assert types[0] == "token" and types[-1] == "done"
    assert types.count("tool_call") == 3 == types.count("tool_result")
    ids = [int(e["id"]) for e in live]
    assert ids == list(range(1, len(ids) + 1))

    for k in range(len(live) + 1):  # a client that saw events 1..k resumes with exactly k+1..n
        with requests.get(
            f"{dev_server.url}/v1/chat/sessions/{sid}/events?wait=0",
            headers={**h, "Last-Event-ID": str(k)},
            stream=True,
            timeout=30,
        ) as resp:
            again = read_sse(resp)
        assert [int(e["id"]) for e in again] == ids[k:]
        assert again == live[k:]
    via_query = read_sse(
        requests.get(
            f"{dev_server.url}/v1/chat/sessions/{sid}/events?after=3&wait=0",
            headers=h,
            stream=True,
            timeout=30,
        )
    )
    assert [int(e["id"]) for e in via_query] == ids[3:]

    session = requests.get(f"{dev_server.url}/v1/chat/sessions/{sid}", headers=h).json()
    assert [m["role"] for m in session["messages"]] == ["user", "assistant"]
    assert session["messages"][1]["content"] == live[-1]["data"]["message"]
    assert session["status"] == "done" and session["last_event_id"] == ids[-1]


def test_event_stream_with_access_token_query_and_isolation(dev_server, chat_env: ChatEnv) -> None:
    chat_env.install(lookup_script())
    h = auth(chat_env)
    sid = requests.post(
        f"{dev_server.url}/v1/chat/sessions",
        json={"team_id": chat_env.team_id, "connection_id": chat_env.connection_id},
        headers=h,
    ).json()["id"]
    minted = requests.post(f"{dev_server.url}/v1/chat/sessions/{sid}/stream-token", headers=h, timeout=30)
    assert minted.status_code == 201
    token = minted.json()["token"]
    assert 0 < minted.json()["expires_at"] - time.time() <= 300
    with requests.post(
        f"{dev_server.url}/v1/chat/sessions/{sid}/messages", json={"content": "go"}, headers=h, stream=True
    ) as resp:
        read_sse(resp)
    got = read_sse(
        requests.get(
            f"{dev_server.url}/v1/chat/sessions/{sid}/events?wait=0&access_token={token}",
            stream=True,
            timeout=30,
        )
    )
    assert got and got[-1]["event"] == "done"
    eve = {"Authorization": f"Bearer {chat_env.c.local_identity.issue('eve@example.com')}"}
    for method, path, body in [
        ("get", f"/v1/chat/sessions/{sid}", None),
        ("get", f"/v1/chat/sessions/{sid}/events?wait=0", None),
        ("post", f"/v1/chat/sessions/{sid}/messages", {"content": "hi"}),
        ("post", "/v1/chat/sessions", {"team_id": chat_env.team_id, "connection_id": chat_env.connection_id}),
    ]:
        r = getattr(requests, method)(f"{dev_server.url}{path}", json=body, headers=eve, timeout=30)
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    bad = requests.post(f"{dev_server.url}/v1/chat/sessions/{sid}/messages", json={"content": ""}, headers=h)
    assert bad.status_code == 400
    bad = requests.get(f"{dev_server.url}/v1/chat/sessions/{sid}/events", headers={**h, "Last-Event-ID": "x"})
    assert bad.status_code == 400
