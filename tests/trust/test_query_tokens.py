"""A token in the query string opens one thing only: its own chat session's event stream.

Finding 8: ``?access_token=`` was accepted on every GET, and Google Cloud's request logs keep query
strings. Every authenticated route of the served app (the isolation matrix's, with team A's real
ids) is called three ways with no Authorization header: with A's admin's real bearer token in
``?access_token=``, with a valid stream token for one of A's sessions, and (the control) with
the bearer header, which must work. Only the stream token's own session's event stream may open.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import requests

from .conftest import TwoTeams
from .figures import record
from .helpers import GOOD, TIMEOUT, YAML, assert_error, put_yaml
from .test_isolation import KNOWLEDGE, MATRIX, OK, PUBLIC, _call


def _session(env: TwoTeams) -> str:
    r = requests.post(
        f"{env.server.url}/v1/chat/sessions",
        json={"team_id": env.a.team_id, "connection_id": env.a.connection_id},
        headers=env.a.headers,
        timeout=TIMEOUT,
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def test_query_string_tokens_open_only_their_own_event_stream(two_teams: TwoTeams) -> None:
    env, server = two_teams, two_teams.server
    assert put_yaml(server, env.a.headers, env.a.team_id, "rev", GOOD).status_code == 201
    knowledge = requests.put(
        f"{server.url}/v1/teams/{env.a.team_id}/knowledge",
        data=KNOWLEDGE,
        headers={**env.a.headers, **YAML},
        timeout=TIMEOUT,
    )
    assert knowledge.status_code == 201, knowledge.text
    own, other = _session(env), _session(env)
    minted = requests.post(
        f"{server.url}/v1/chat/sessions/{own}/stream-token", headers=env.a.headers, timeout=TIMEOUT
    )
    assert minted.status_code == 201, minted.text
    stream_token = minted.json()["token"]
    bearer = env.a.headers["Authorization"].split()[1]
    ids: dict[str, Any] = {
        "team": env.a.team_id,
        "conn": env.a.connection_id,
        "session": other,
        "slug": "rev",
        "view": "revenue_kpi",
        "n": "1",
        "handler": "agent_step",
        "demo": str(server.demo_path),
        "who": "alice",
        "new_slug": "new-alice",
    }
    gets = sorted(key for key, case in MATRIX.items() if key[0] == "GET" and case.admin != PUBLIC)
    assert ("GET", "/v1/chat/sessions/<session_id>/events") in gets and len(gets) > 8
    tried = refused = 0
    for key in gets:
        case = MATRIX[key]
        for token in (bearer, stream_token):
            query = {**case.query, "access_token": token}
            if key[1].endswith("/events"):
                query["wait"] = "0"
            r = _call(server, "GET", replace(case, query=query), ids, {})
            tried += 1
            assert_error(r, 401, "unauthorized")  # other routes, and another session's stream
            refused += 1
        control = _call(server, "GET", case, {**ids, "session": own}, env.a.headers)
        if case.admin == OK:  # the same call with the bearer header works: the ids are real
            assert 200 <= control.status_code < 300, (key, control.status_code, control.text[:200])
    opened = requests.get(
        f"{server.url}/v1/chat/sessions/{own}/events",
        params={"access_token": stream_token, "wait": "0"},
        timeout=TIMEOUT,
    )
    assert opened.status_code == 200 and opened.headers["Content-Type"].startswith("text/event-stream")
    both = requests.get(  # a header and a query token together are refused, not merged
        f"{server.url}/v1/chat/sessions/{own}/events",
        params={"access_token": stream_token, "wait": "0"},
        headers=env.b.headers,
        timeout=TIMEOUT,
    )
    assert_error(both, 401, "unauthorized")
    record("query-string tokens", tried=tried + 2, rejected=refused + 1)
