"""The event stream's query-string token: minted per session, short-lived, refused anywhere else."""

from __future__ import annotations

import time

import requests
from chat_helpers import ChatEnv

from shared.adapters.identity.port import Principal
from shared.entry import stream_token


def _auth(env: ChatEnv, email: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {env.c.local_identity.issue(email or env.user.email)}"}


def _session(url: str, env: ChatEnv, h: dict[str, str]) -> str:
    r = requests.post(
        f"{url}/v1/chat/sessions",
        json={"team_id": env.team_id, "connection_id": env.connection_id},
        headers=h,
        timeout=30,
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def _mint(url: str, sid: str, h: dict[str, str]) -> requests.Response:
    return requests.post(f"{url}/v1/chat/sessions/{sid}/stream-token", headers=h, timeout=30)


def _events(url: str, sid: str, token: str) -> requests.Response:
    return requests.get(
        f"{url}/v1/chat/sessions/{sid}/events", params={"access_token": token, "wait": "0"}, timeout=30
    )


def _unauthorized(r: requests.Response) -> None:
    assert r.status_code == 401, (r.status_code, r.text[:200])
    assert r.headers["Content-Type"].startswith("application/json")
    assert r.json()["error"]["code"] == "unauthorized" and r.json()["error"]["message"]


def test_stream_token_opens_only_its_own_session(dev_server, chat_env: ChatEnv) -> None:
    h = _auth(chat_env)
    a, b = _session(dev_server.url, chat_env, h), _session(dev_server.url, chat_env, h)
    minted = _mint(dev_server.url, a, h)
    assert minted.status_code == 201
    body = minted.json()
    assert set(body) == {"token", "expires_at"}
    assert time.time() < body["expires_at"] <= time.time() + stream_token.TTL_S + 1
    ok = _events(dev_server.url, a, body["token"])
    assert ok.status_code == 200 and ok.headers["Content-Type"].startswith("text/event-stream")
    _unauthorized(_events(dev_server.url, b, body["token"]))  # same user, another session
    # the stream token is no bearer token: not in the header, not on other routes
    other = requests.get(
        f"{dev_server.url}/v1/chat/sessions/{a}", headers={"Authorization": f"Bearer {body['token']}"}
    )
    _unauthorized(other)
    # someone outside the team can neither mint one nor read the stream
    eve = _auth(chat_env, "eve@example.com")
    r = _mint(dev_server.url, a, eve)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    assert _mint(dev_server.url, a, {}).status_code == 401


def test_stream_token_expires_and_forgeries_fail(dev_server, chat_env: ChatEnv) -> None:
    h = _auth(chat_env)
    sid = _session(dev_server.url, chat_env, h)
    secret = chat_env.c.local_identity.secret
    who = Principal(chat_env.user.email, chat_env.user.email)
    stale, exp = stream_token.mint(
        secret, who, chat_env.team_id, sid, now=time.time() - stream_token.TTL_S - 5
    )
    assert exp < time.time()
    _unauthorized(_events(dev_server.url, sid, stale))
    fresh, _ = stream_token.mint(secret, who, chat_env.team_id, sid)
    assert _events(dev_server.url, sid, fresh).status_code == 200
    forged, _ = stream_token.mint("not the secret", who, chat_env.team_id, sid)
    _unauthorized(_events(dev_server.url, sid, forged))
    other_team, _ = stream_token.mint(secret, who, "tm_other", sid)
    _unauthorized(_events(dev_server.url, sid, other_team))
    _unauthorized(_events(dev_server.url, sid, fresh + "x"))
    # a member removed from the team loses the stream even with a live token
    outsider, _ = stream_token.mint(
        secret, Principal("eve@example.com", "eve@example.com"), chat_env.team_id, sid
    )
    r = _events(dev_server.url, sid, outsider)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


def test_bearer_token_in_query_string_is_refused_everywhere(dev_server, chat_env: ChatEnv) -> None:
    h = _auth(chat_env)
    bearer = h["Authorization"].split()[1]
    sid = _session(dev_server.url, chat_env, h)
    for path in [
        "/v1/teams",
        f"/v1/teams/{chat_env.team_id}",
        f"/v1/teams/{chat_env.team_id}/dashboards",
        f"/v1/teams/{chat_env.team_id}/members",
        f"/v1/chat/sessions/{sid}",
    ]:
        r = requests.get(f"{dev_server.url}{path}", params={"access_token": bearer}, timeout=30)
        _unauthorized(r)
        # even next to a valid header: the query-string token is refused, not ignored
        _unauthorized(requests.get(f"{dev_server.url}{path}?access_token=x", headers=h, timeout=30))
        assert requests.get(f"{dev_server.url}{path}", headers=h, timeout=30).status_code == 200
    _unauthorized(_events(dev_server.url, sid, bearer))  # the stream takes stream tokens only


def test_instances_sharing_bridge_auth_secret_accept_each_others_tokens(tmp_path) -> None:
    """What terraform/secrets.tf provides: instances with their own disks but one
    BRIDGE_AUTH_SECRET check each other's stream tokens; without it, each draws its own key (so on
    Google Cloud a missing secret is a configuration error, not a silent per-instance key)."""
    import pytest

    from shared.bootstrap import Container
    from shared.errors import BridgeError
    from shared.settings import Settings

    who = Principal(user_id="ann@example.com", email="ann@example.com")

    def instance(name: str, **kw: object) -> Container:
        return Container(Settings(data_dir=tmp_path / name, **kw))  # type: ignore[arg-type]

    shared_a, shared_b = instance("a", auth_secret="k" * 64), instance("b", auth_secret="k" * 64)
    token, _ = stream_token.mint(shared_a.local_identity.secret, who, "tm_1", "cs_1")
    assert stream_token.verify(shared_b.local_identity.secret, token, "cs_1")[1] == "tm_1"

    own_a, own_b = instance("c"), instance("d")  # local: a key file per data folder
    token, _ = stream_token.mint(own_a.local_identity.secret, who, "tm_1", "cs_1")
    with pytest.raises(Exception) as refused:
        stream_token.verify(own_b.local_identity.secret, token, "cs_1")
    assert getattr(refused.value, "status", None) == 401

    with pytest.raises(BridgeError, match="BRIDGE_AUTH_SECRET"):
        _ = Container(Settings(cloud="gcp", data_dir=tmp_path / "gcp")).local_identity
