"""Every bad input is a 4xx in the shared error shape, on every served route.

Finding 10: If-Match of 5000 digits, a 100k-deep JSON body, a lone surrogate in a team name, NUL
in a DuckDB path, ``versions/<30 digits>``, ``?after=²`` and a 100 KB token all gave 500s or an
HTML page. The generated family sends oversize, NUL, surrogate and huge-integer values into every
path parameter, query string, header and JSON body of every route the dev server serves.
"""

from __future__ import annotations

import json
import re
import socket
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.entry.functions import dev_app

from .conftest import TwoTeams
from .figures import record, scaled
from .helpers import TIMEOUT

HUGE_INT = "1" * 30
BAD_SEGMENTS = [HUGE_INT, "%00", "a%00b", "%ED%A0%80", "x" * 5000, "%C0%AF", "..%2F..%2Fetc", "%F0%9F%92%A9"]
BAD_QUERY = [  # raw, percent-encoded query strings
    "after=%C2%B2",
    f"after={HUGE_INT}",
    "after=-1",
    f"limit={HUGE_INT}",
    "cursor=%00",
    "wait=nan",
    "n=1e400",
    "x%00=1",
    "q=%ED%A0%80",
]
BAD_HEADERS = [
    {"If-Match": "5" * 5000},
    {"If-Match": '"\u00b2"'},
    {"Last-Event-ID": "\u00b2"},
    {"Last-Event-ID": HUGE_INT},
    {"X-Pad": "y" * 20_000},
]
BAD_BODIES = [
    b"[" * 100_000 + b"]" * 100_000,
    b'{"name": "\\ud800"}',
    b'{"name": "a\\u0000b"}',
    b'{"name": "ok", "path": "/x\\u0000.duckdb", "warehouse_type": "duckdb"}',
    b'{"' + b"k" * 10 + b'": ' + b"9" * 5000 + b"}",
    b"\xff\xfe",
]


def routes() -> list[tuple[str, str]]:
    return sorted(
        (method, rule.rule)
        for rule in dev_app().url_map.iter_rules()
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
    )


def fill(rule: str, ids: dict[str, str], bad: str | None, which: int) -> str:
    """The rule with A's real ids, except parameter number ``which`` set to ``bad``."""
    names = re.findall(r"<(?:[^:>]+:)?([^>]+)>", rule)
    out = rule
    for i, name in enumerate(names):
        value = bad if (bad is not None and i == which % max(1, len(names))) else ids.get(name, "1")
        out = re.sub(rf"<(?:[^:>]+:)?{name}>", value, out, count=1)
    return out


def assert_4xx(r: requests.Response, where: str) -> None:
    assert r.status_code < 500, f"{where}: {r.status_code} {r.text[:200]}"
    if r.status_code >= 400:
        assert r.headers.get("Content-Type", "").startswith("application/json"), f"{where}: {r.text[:200]}"
        error = r.json()["error"]
        assert error["code"] and error["message"], where


def send(env: TwoTeams, method: str, path: str, **kwargs: Any) -> requests.Response:
    return requests.request(method, f"{env.server.url}{path}", timeout=TIMEOUT, **kwargs)


def ids_of(env: TwoTeams) -> dict[str, str]:
    return {
        "team_id": env.a.team_id,
        "connection_id": env.a.connection_id,
        "session_id": "cs_missing",
        "slug": "missing",
        "n": "1",
        "view": "v",
        "email": "carol@a.example",
        "handler": "precompute",
    }


def test_named_findings(two_teams: TwoTeams) -> None:
    env, h = two_teams, two_teams.a.headers
    checks = [
        ("PUT", f"/v1/teams/{env.a.team_id}/dashboards/x", {"headers": {**h, "If-Match": "5" * 5000}}),
        ("POST", "/v1/teams", {"headers": {**h, "Content-Type": "application/json"}, "data": b"[" * 100_000}),
        (
            "POST",
            "/v1/teams",
            {"headers": {**h, "Content-Type": "application/json"}, "data": b'{"name": "\\udc00"}'},
        ),
        (
            "POST",
            f"/v1/teams/{env.a.team_id}/connections",
            {"headers": h, "json": {"name": "n", "warehouse_type": "duckdb", "path": "/tmp/a\x00.duckdb"}},
        ),
        ("GET", f"/v1/teams/{env.a.team_id}/dashboards/x/versions/{HUGE_INT}", {"headers": h}),
        ("GET", "/v1/chat/sessions/cs_x/events?after=%C2%B2", {"headers": h}),
        ("GET", f"/v1/chat/sessions/cs_x/events?after={HUGE_INT}", {"headers": h}),
        ("GET", "/v1/teams", {"headers": {"Authorization": "Bearer " + "t" * 100_000}}),
    ]
    for method, path, kwargs in checks:
        r = send(env, method, path, **kwargs)
        assert 400 <= r.status_code < 500, f"{method} {path[:80]}: {r.status_code} {r.text[:200]}"
        assert_4xx(r, f"{method} {path[:80]}")
    big = send(env, "GET", "/v1/teams", headers={"Authorization": "Bearer " + "t" * 100_000})
    assert big.status_code == 431 and big.json()["error"]["code"] == "headers_too_large"
    record("bad input: named findings", tried=len(checks), rejected=len(checks))


RAW_REFUSALS = [  # what werkzeug's HTTP server itself refuses, before the app
    (
        b"GET /v1/teams HTTP/1.1\r\nHost: x\r\nX-Long: " + b"z" * 70_000 + b"\r\n\r\n",
        431,
        "headers_too_large",
    ),
    (b"GET /v1/teams HTTP/1.1\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(120)) + b"\r\n", 431, None),
    (b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414, None),
    (b"GET /v1/teams x HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request"),
]


@pytest.mark.parametrize(
    "raw,status,code", RAW_REFUSALS, ids=["long-line", "many-headers", "long-uri", "bad-request-line"]
)
def test_what_the_dev_http_server_refuses_is_json_too(
    two_teams: TwoTeams, raw: bytes, status: int, code: str | None
) -> None:
    url = urlsplit(two_teams.server.url)
    with socket.create_connection((url.hostname, url.port), timeout=TIMEOUT) as sock:
        sock.sendall(raw)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.") and f" {status} ".encode() in head.split(b"\r\n")[0], head[:100]
    assert b"application/json" in head, head
    error = json.loads(body)["error"]
    assert error["message"] and (code is None or error["code"] == code), error


ROUTES = routes()


@settings(
    max_examples=scaled(120),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    st.sampled_from(ROUTES),
    st.sampled_from(BAD_SEGMENTS),
    st.integers(0, 3),
    st.sampled_from(BAD_QUERY),
    st.sampled_from([{}, *BAD_HEADERS]),
    st.sampled_from([None, *BAD_BODIES]),
)
def test_generated_bad_inputs_on_every_route(
    two_teams: TwoTeams,
    route: tuple[str, str],
    segment: str,
    which: int,
    query: str,
    headers: dict[str, str],
    body: bytes | None,
) -> None:
    method, rule = route
    if rule.endswith("/events"):
        query += "&wait=0"
    ids = ids_of(two_teams)
    if method == "DELETE":  # never a real id: nothing of team A may be removed
        ids = dict.fromkeys(ids, segment)
    path = fill(rule, ids, segment if "<" in rule else None, which)
    sent_headers = {**two_teams.a.headers, **headers}
    if body is not None:
        sent_headers["Content-Type"] = "application/json"
    r = send(two_teams, method, f"{path}?{query}", headers=sent_headers, data=body)
    assert_4xx(r, f"{method} {path[:100]} {query} {list(headers)} {body[:20] if body else None!r}")
    record("bad input: every route", tried=1, rejected=int(r.status_code >= 400))
