"""Isolation matrix: every served route, called with team A's ids by a stranger, a member and an admin.

The route list comes from the dev app's URL map, so a new route without a matrix entry fails
:func:`test_every_served_route_has_a_matrix_entry`. A stranger (team B's admin) gets 404 on every
id-bearing route (the ids exist but are not theirs: 404 does not reveal them); a plain member of
A gets 403 where only admins may act; the admin succeeds, proving the ids in the matrix are real.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests
from sqlalchemy import func, select

from shared.db.models import (
    ChatSession,
    Connection,
    Dashboard,
    DashboardVersion,
    Feedback,
    Team,
    TeamKnowledgeVersion,
    TeamMember,
    Turn,
)
from shared.entry.functions import dev_app

from .conftest import TwoTeams
from .figures import record
from .helpers import GOOD, TIMEOUT, TITLE, YAML, assert_error, put_yaml

KNOWLEDGE = "version: 1\nmetrics:\n  - name: team_a_revenue\n    sql: SUM(order_items.sale_price)\n"

# Expected outcomes: an HTTP status, "ok" (any 2xx), or "public" (2xx that must not carry A's data).
OK, PUBLIC = "ok", "public"


@dataclass(frozen=True)
class Case:
    """One route: how to call it with A's ids and what each kind of caller gets."""

    path: str  # str.format'ed with team, conn, session, slug, new_slug, view, n, handler
    stranger: int | str
    member: int | str = OK
    admin: int | str = OK
    body: Callable[[dict[str, str]], Any] | None = None
    yaml: bool = False
    query: dict[str, str] = field(default_factory=dict)
    text: str | None = None  # a YAML body other than the dashboard


def _connection_body(ids: dict[str, str]) -> dict[str, Any]:
    return {"name": f"extra-{ids['who']}", "warehouse_type": "duckdb", "path": ids["demo"], "project": "demo"}


# (METHOD, rule) -> case. Every rule of dev_app().url_map must be here.
MATRIX: dict[tuple[str, str], Case] = {
    ("GET", "/healthz"): Case("/healthz", PUBLIC, PUBLIC, PUBLIC),
    ("GET", "/"): Case("/", PUBLIC, PUBLIC, PUBLIC),
    ("GET", "/d/<team_id>/<slug>"): Case("/d/{team}/{slug}", PUBLIC, PUBLIC, PUBLIC),
    ("GET", "/static/<path:name>"): Case("/static/app.js", PUBLIC, PUBLIC, PUBLIC),
    ("GET", "/vendor/<name>"): Case("/vendor/vega.min.js", PUBLIC, PUBLIC, PUBLIC),
    ("GET", "/config.json"): Case("/config.json", PUBLIC, PUBLIC, PUBLIC),
    ("GET", "/schemas/dashboard.schema.json"): Case("/schemas/dashboard.schema.json", PUBLIC, PUBLIC, PUBLIC),
    ("GET", "/schemas/knowledge.schema.json"): Case("/schemas/knowledge.schema.json", PUBLIC, PUBLIC, PUBLIC),
    ("POST", "/v1/dev/token"): Case(
        "/v1/dev/token", PUBLIC, PUBLIC, PUBLIC, body=lambda i: {"email": f"{i['who']}@x.example"}
    ),
    # Task targets accept only the queue's OIDC token, never a user's.
    ("POST", "/tasks/<handler>"): Case(
        "/tasks/{handler}",
        401,
        401,
        401,
        body=lambda i: {"session_id": i["session"], "turn_id": "x", "step": 0},
    ),
    # Own-scope routes: a stranger acts on their own team only.
    ("POST", "/v1/teams"): Case("/v1/teams", 201, 201, 201, body=lambda i: {"name": f"New {i['who']}"}),
    ("GET", "/v1/teams"): Case("/v1/teams", PUBLIC),
    ("POST", "/v1/teams/<team_id>/members"): Case(
        "/v1/teams/{team}/members", 404, 403, body=lambda i: {"email": "zed@a.example", "role": "member"}
    ),
    ("POST", "/v1/teams/<team_id>/connections"): Case(
        "/v1/teams/{team}/connections", 404, 403, body=_connection_body
    ),
    ("GET", "/v1/teams/<team_id>/connections"): Case("/v1/teams/{team}/connections", 404),
    ("GET", "/v1/teams/<team_id>"): Case("/v1/teams/{team}", 404),
    ("PATCH", "/v1/teams/<team_id>"): Case(
        "/v1/teams/{team}", 404, 403, body=lambda i: {"byte_cap": 50_000_000, "model": "offline"}
    ),
    ("GET", "/v1/teams/<team_id>/members"): Case("/v1/teams/{team}/members", 404),
    ("DELETE", "/v1/teams/<team_id>/members/<email>"): Case(
        "/v1/teams/{team}/members/dave@a.example", 404, 403
    ),
    # the admin is refused too, by the guard: a live dashboard still reads from the connection
    ("DELETE", "/v1/teams/<team_id>/connections/<connection_id>"): Case(
        "/v1/teams/{team}/connections/{conn}", 404, 403, 409
    ),
    ("POST", "/v1/connections/<connection_id>/validate"): Case("/v1/connections/{conn}/validate", 404),
    ("POST", "/v1/connections/<connection_id>/scan"): Case("/v1/connections/{conn}/scan", 404),
    ("GET", "/v1/connections/<connection_id>/catalog"): Case("/v1/connections/{conn}/catalog", 404),
    ("POST", "/v1/chat/sessions"): Case(
        "/v1/chat/sessions", 404, body=lambda i: {"team_id": i["team"], "connection_id": i["conn"]}
    ),
    ("GET", "/v1/chat/sessions/<session_id>"): Case("/v1/chat/sessions/{session}", 404),
    ("POST", "/v1/chat/sessions/<session_id>/messages"): Case(
        "/v1/chat/sessions/{session}/messages", 404, body=lambda i: {"content": f"hello from {i['who']}"}
    ),
    ("POST", "/v1/chat/sessions/<session_id>/stream-token"): Case(
        "/v1/chat/sessions/{session}/stream-token", 404
    ),
    ("GET", "/v1/chat/sessions/<session_id>/events"): Case(
        "/v1/chat/sessions/{session}/events", 404, query={"wait": "0"}
    ),
    ("PUT", "/v1/teams/<team_id>/dashboards/<slug>"): Case(
        "/v1/teams/{team}/dashboards/{new_slug}", 404, yaml=True, query={"connection_id": "{conn}"}
    ),
    ("GET", "/v1/teams/<team_id>/dashboards"): Case("/v1/teams/{team}/dashboards", 404),
    ("GET", "/v1/teams/<team_id>/dashboards/<slug>"): Case("/v1/teams/{team}/dashboards/{slug}", 404),
    ("GET", "/v1/teams/<team_id>/dashboards/<slug>/versions"): Case(
        "/v1/teams/{team}/dashboards/{slug}/versions", 404
    ),
    ("GET", "/v1/teams/<team_id>/dashboards/<slug>/versions/<int:n>"): Case(
        "/v1/teams/{team}/dashboards/{slug}/versions/{n}", 404
    ),
    ("GET", "/v1/teams/<team_id>/dashboards/<slug>/data"): Case(
        "/v1/teams/{team}/dashboards/{slug}/data", 404
    ),
    ("GET", "/v1/teams/<team_id>/dashboards/<slug>/data/<view_id>"): Case(
        "/v1/teams/{team}/dashboards/{slug}/data/{view}", 404
    ),
    ("POST", "/v1/teams/<team_id>/dashboards/<slug>/refresh"): Case(
        "/v1/teams/{team}/dashboards/{slug}/refresh", 404
    ),
    ("POST", "/v1/teams/<team_id>/dashboards/<slug>/warm"): Case(
        "/v1/teams/{team}/dashboards/{slug}/warm", 404
    ),
    ("GET", "/v1/teams/<team_id>/dashboards/<slug>/data/<view_id>.csv"): Case(
        "/v1/teams/{team}/dashboards/{slug}/data/{view}.csv", 404
    ),
    ("GET", "/v1/teams/<team_id>/dashboards/<slug>/data/<view_id>/sql"): Case(
        "/v1/teams/{team}/dashboards/{slug}/data/{view}/sql", 404
    ),
    ("GET", "/v1/teams/<team_id>/dashboards/<slug>/parameters/<name>/values"): Case(
        "/v1/teams/{team}/dashboards/{slug}/parameters/start_date/values", 404, 404, 404
    ),
    ("POST", "/v1/teams/<team_id>/dashboards/<slug>/versions/<int:n>/restore"): Case(
        "/v1/teams/{team}/dashboards/{slug}/versions/{n}/restore", 404
    ),
    ("PATCH", "/v1/teams/<team_id>/dashboards/<slug>"): Case(
        "/v1/teams/{team}/dashboards/{slug}", 404, body=lambda i: {"title": f"Renamed by {i['who']}"}
    ),
    ("POST", "/v1/teams/<team_id>/dashboards/<slug>/duplicate"): Case(
        "/v1/teams/{team}/dashboards/{slug}/duplicate", 404, body=lambda i: {"slug": f"copy-{i['who']}"}
    ),
    # deleting is for the dashboard's owner (alice saved it) and team admins
    ("DELETE", "/v1/teams/<team_id>/dashboards/<slug>"): Case("/v1/teams/{team}/dashboards/{slug}", 404, 403),
}
MATRIX.update(
    {  # the team knowledge file: members read, admins write (the admin's PUT lacks If-Match: 428)
        ("GET", "/v1/teams/<team_id>/knowledge"): Case("/v1/teams/{team}/knowledge", 404),
        ("PUT", "/v1/teams/<team_id>/knowledge"): Case(
            "/v1/teams/{team}/knowledge", 404, 403, 428, text=KNOWLEDGE
        ),
        ("GET", "/v1/teams/<team_id>/knowledge/versions"): Case("/v1/teams/{team}/knowledge/versions", 404),
        ("GET", "/v1/teams/<team_id>/knowledge/versions/<int:n>"): Case(
            "/v1/teams/{team}/knowledge/versions/{n}", 404
        ),
        ("POST", "/v1/teams/<team_id>/knowledge/versions/<int:n>/restore"): Case(
            "/v1/teams/{team}/knowledge/versions/{n}/restore", 404, 403
        ),
        ("POST", "/v1/teams/<team_id>/feedback"): Case(
            "/v1/teams/{team}/feedback",
            404,
            body=lambda i: {
                "target_type": "dashboard",
                "target_id": "rev",
                "rating": "up",
                "comment": i["who"],
            },
        ),
        ("GET", "/v1/teams/<team_id>/feedback"): Case("/v1/teams/{team}/feedback", 404),
        ("POST", "/v1/teams/<team_id>/feedback/<feedback_id>/accept"): Case(
            "/v1/teams/{team}/feedback/{feedback}/accept", 404, 403
        ),
        ("POST", "/v1/teams/<team_id>/knowledge/starter"): Case(
            "/v1/teams/{team}/knowledge/starter", 404, 403, query={"connection_id": "{conn}"}
        ),
    }
)
DESTRUCTIVE = ("DELETE", "/v1/teams/<team_id>/dashboards/<slug>")
REMOVES_MEMBER = ("DELETE", "/v1/teams/<team_id>/members/<email>")


def served_routes() -> set[tuple[str, str]]:
    """(METHOD, rule) of every route the dev server (every function's routes) serves."""
    return {
        (method, rule.rule)
        for rule in dev_app().url_map.iter_rules()
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
    }


def test_every_served_route_has_a_matrix_entry() -> None:
    served = served_routes()
    assert served - set(MATRIX) == set(), "routes without an isolation matrix entry"
    assert set(MATRIX) - served == set(), "matrix entries for routes that are no longer served"


def _call(
    server: Any, method: str, case: Case, ids: dict[str, str], headers: dict[str, str]
) -> requests.Response:
    url = server.url + case.path.format(**ids)
    kwargs: dict[str, Any] = {
        "headers": dict(headers),
        "params": {k: v.format(**ids) for k, v in case.query.items()} or None,
        "timeout": TIMEOUT,
    }
    if case.yaml or case.text is not None:
        kwargs["data"] = (case.text or GOOD).encode()
        kwargs["headers"].update(YAML)
    elif case.body is not None:
        kwargs["json"] = case.body(ids)
    return requests.request(method, url, **kwargs)


def _check(r: requests.Response, expected: int | str, secrets: tuple[str, ...]) -> str | None:
    """None when ``r`` is what the matrix expects, else a description of the mismatch."""
    where = f"{r.request.method} {r.request.path_url} -> {r.status_code}"
    if expected in (OK, PUBLIC):
        if not 200 <= r.status_code < 300:
            return f"{where}, expected 2xx: {r.text[:200]}"
        if expected == PUBLIC and any(s in r.text for s in secrets):
            return f"{where} carries team A's data"
        return None
    if r.status_code != expected:
        return f"{where}, expected {expected}: {r.text[:200]}"
    if expected >= 400:
        try:
            assert_error(r, int(expected))
        except AssertionError as err:
            return f"{where}: not the JSON error shape ({err})"
        if any(s in r.text for s in secrets):
            return f"{where}: the error reveals team A's data"
    return None


def _state(env: TwoTeams) -> dict[str, Any]:
    """What a stranger must not be able to change about team A."""
    a = env.a.team_id
    with env.container.db.session() as s:
        return {
            "members": sorted(s.scalars(select(TeamMember.user_id).where(TeamMember.team_id == a))),
            "settings": [(t.byte_cap, t.model) for t in s.scalars(select(Team).where(Team.id == a))],
            "connections": s.scalar(
                select(func.count()).select_from(Connection).where(Connection.team_id == a)
            ),
            "dashboards": sorted(
                (d.slug, d.version, d.deleted_at is None)
                for d in s.scalars(select(Dashboard).where(Dashboard.team_id == a))
            ),
            "versions": s.scalar(
                select(func.count())
                .select_from(DashboardVersion)
                .join(Dashboard, Dashboard.id == DashboardVersion.dashboard_id)
                .where(Dashboard.team_id == a)
            ),
            "sessions": s.scalar(
                select(func.count()).select_from(ChatSession).where(ChatSession.team_id == a)
            ),
            "feedback": sorted(
                (f.user_id, f.rating, f.status)
                for f in s.scalars(select(Feedback).where(Feedback.team_id == a))
            ),
            "knowledge": s.scalar(
                select(func.count())
                .select_from(TeamKnowledgeVersion)
                .where(TeamKnowledgeVersion.team_id == a)
            ),
            "turns": s.scalar(
                select(func.count())
                .select_from(Turn)
                .join(ChatSession, ChatSession.id == Turn.session_id)
                .where(ChatSession.team_id == a)
            ),
        }


def test_isolation_matrix(two_teams: TwoTeams) -> None:
    env, server = two_teams, two_teams.server
    a = env.a
    assert put_yaml(server, a.headers, a.team_id, "rev", GOOD).status_code == 201
    knowledge = requests.put(
        f"{server.url}/v1/teams/{a.team_id}/knowledge",
        data=KNOWLEDGE,
        headers={**a.headers, **YAML},
        timeout=TIMEOUT,
    )
    assert knowledge.status_code == 201, knowledge.text
    liked = requests.post(
        f"{server.url}/v1/teams/{a.team_id}/feedback",
        json={"target_type": "dashboard", "target_id": "rev", "rating": "up"},
        headers=a.headers,
        timeout=TIMEOUT,
    )
    assert liked.status_code == 201, liked.text
    session = requests.post(
        f"{server.url}/v1/chat/sessions",
        json={"team_id": a.team_id, "connection_id": a.connection_id},
        headers=a.headers,
        timeout=TIMEOUT,
    )
    assert session.status_code == 201, session.text
    base = {
        "team": a.team_id,
        "conn": a.connection_id,
        "session": session.json()["id"],
        "slug": "rev",
        "view": "revenue_kpi",
        "n": "1",
        "handler": "agent_step",
        "feedback": liked.json()["id"],
        "demo": str(server.demo_path),
    }
    secrets = (TITLE, "Team A", "team_a_revenue")
    mismatches: list[str] = []
    tried = refused = 0

    def run(who: str, headers: dict[str, str], column: str, keys: list[tuple[str, str]]) -> None:
        nonlocal tried, refused
        ids = {**base, "who": who, "new_slug": f"new-{who}"}
        for key in keys:
            expected = getattr(MATRIX[key], column)
            r = _call(server, key[0], MATRIX[key], ids, headers)
            tried += 1
            refused += isinstance(expected, int) and expected >= 400 and r.status_code == expected
            problem = _check(r, expected, secrets if column == "stranger" else ())
            if problem:
                mismatches.append(f"{column}: {problem}")

    dave = requests.post(
        f"{server.url}/v1/teams/{a.team_id}/members",
        json={"email": "dave@a.example", "role": "member"},
        headers=a.headers,
        timeout=TIMEOUT,
    )
    assert dave.status_code == 201, dave.text
    keys = sorted(MATRIX)
    before = _state(env)
    run("bob", env.b.headers, "stranger", keys)
    after_stranger = _state(env)
    listed = requests.get(f"{server.url}/v1/teams", headers=env.b.headers, timeout=TIMEOUT).json()["teams"]
    if a.team_id in {t["id"] for t in listed}:
        mismatches.append("the stranger's team list shows team A")
    # a member may read and write dashboards, not administer; the admin may do everything
    non_destructive = [k for k in keys if k not in (DESTRUCTIVE, REMOVES_MEMBER)]
    run("carol", env.member, "member", keys)  # the member's deletes are refused (403)
    run("alice", a.headers, "admin", [*non_destructive, DESTRUCTIVE, REMOVES_MEMBER])
    after_admin = _state(env)
    record("isolation", tried=tried, rejected=refused, errors=len(mismatches))
    assert mismatches == []
    assert after_stranger == before, "a stranger changed team A's state"
    # the controls really acted: a member was added, a connection made, a dashboard deleted ...
    assert (
        "zed@a.example" in after_admin["members"] and after_admin["connections"] == before["connections"] + 1
    )
    # ... and rev got a version from each restore and rename (member and admin) before its deletion
    assert ("rev", 5, False) in after_admin["dashboards"] and after_admin["turns"] == before["turns"] + 2
    assert {"copy-carol", "copy-alice"} <= {d[0] for d in after_admin["dashboards"]}
    assert "dave@a.example" in before["members"] and "dave@a.example" not in after_admin["members"]
    assert after_admin["settings"] == [(50_000_000, "offline")]
    assert after_admin["knowledge"] == before["knowledge"] + 2  # the admin's restore and accept


def _session(env: TwoTeams) -> str:
    r = requests.post(
        f"{env.server.url}/v1/chat/sessions",
        json={"team_id": env.a.team_id, "connection_id": env.a.connection_id},
        headers=env.a.headers,
        timeout=TIMEOUT,
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def test_mixed_ids_across_teams_are_not_found(two_teams: TwoTeams) -> None:
    """A stranger's own team combined with A's connection (and the reverse) is refused too."""
    env, server = two_teams, two_teams.server
    a, b = env.a, env.b
    probes = [
        requests.post(
            f"{server.url}/v1/chat/sessions",
            json={"team_id": b.team_id, "connection_id": a.connection_id},
            headers=b.headers,
            timeout=TIMEOUT,
        ),
        requests.post(
            f"{server.url}/v1/chat/sessions",
            json={"team_id": a.team_id, "connection_id": b.connection_id},
            headers=b.headers,
            timeout=TIMEOUT,
        ),
        put_yaml(server, b.headers, b.team_id, "stolen", GOOD, connection_id=a.connection_id),
        # EventSource passes a stream token in the query string: minting one is scoped the same way
        requests.post(
            f"{server.url}/v1/chat/sessions/{_session(env)}/stream-token", headers=b.headers, timeout=TIMEOUT
        ),
    ]
    for r in probes:
        assert_error(r, 404, "not_found")
    # a bearer token in the query string is never accepted, even on the event stream
    assert_error(
        requests.get(
            f"{server.url}/v1/chat/sessions/{_session(env)}/events",
            params={"access_token": b.headers["Authorization"].split()[1], "wait": "0"},
            timeout=TIMEOUT,
        ),
        401,
        "unauthorized",
    )
    assert (
        requests.get(
            f"{server.url}/v1/teams/{b.team_id}/dashboards/stolen", headers=b.headers, timeout=TIMEOUT
        ).status_code
        == 404
    )
    # B's own dashboard over B's connection works, and A cannot see it
    assert put_yaml(server, b.headers, b.team_id, "own", GOOD).status_code == 201
    assert_error(
        requests.get(
            f"{server.url}/v1/teams/{b.team_id}/dashboards/own/data", headers=a.headers, timeout=TIMEOUT
        ),
        404,
        "not_found",
    )
    record("isolation", tried=len(probes) + 1, rejected=len(probes) + 1)


def test_dev_sign_in_does_not_exist_outside_local_identity(tmp_path: Any) -> None:
    """``/v1/dev/token`` mints a token for any email: with Google identity it must answer 404."""
    from shared import bootstrap
    from shared.bootstrap import Container, set_container
    from shared.settings import Settings

    previous = bootstrap._container
    settings = Settings(
        data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'b.db'}", identity="google", auth_audience="p"
    )
    set_container(Container(settings))
    try:
        client = dev_app().test_client()
        r = client.post("/v1/dev/token", json={"email": "alice@a.example"})
        assert r.status_code == 404 and r.get_json()["error"]["code"] == "not_found"
        assert "token" not in r.get_json()
        config = client.get("/config.json").get_json()
        assert config["sign_in"] == "google" and set(config) == {"sign_in", "identity"}  # no token handed out
    finally:
        set_container(previous)
    record("isolation", tried=1, rejected=1)
