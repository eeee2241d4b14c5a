"""One JSON error shape, authentication, strict bodies and team scoping on every route."""

from __future__ import annotations

import requests

ERROR_KEYS = {"code", "message"}


def assert_error(r: requests.Response, status: int, code: str | None = None) -> dict:
    assert r.status_code == status, (r.status_code, r.text)
    assert r.headers["Content-Type"].startswith("application/json")
    body = r.json()
    assert set(body) == {"error"} and set(body["error"]) >= ERROR_KEYS, body
    if code:
        assert body["error"]["code"] == code, body
    assert "Traceback" not in r.text
    return body["error"]


def test_missing_and_forged_tokens_are_401(dev_server) -> None:
    assert_error(requests.get(f"{dev_server.url}/v1/teams"), 401, "unauthorized")
    assert_error(requests.get(f"{dev_server.url}/v1/teams", headers={"Authorization": "Bearer x.y.z"}), 401)
    import jwt

    forged = jwt.encode(
        {"sub": "a@b.c", "email": "a@b.c", "aud": "bridge", "iss": "bridge-local", "exp": 9e9},
        "wrong-secret",
        algorithm="HS256",
    )
    assert_error(
        requests.get(f"{dev_server.url}/v1/teams", headers={"Authorization": f"Bearer {forged}"}), 401
    )


def test_unknown_route_and_method_use_the_error_shape(dev_server, token) -> None:
    h = token("a@example.com")
    assert_error(requests.get(f"{dev_server.url}/v1/nope", headers=h), 404, "not_found")
    assert_error(requests.delete(f"{dev_server.url}/v1/teams", headers=h), 405, "method_not_allowed")


def test_bad_bodies_are_400_with_field_paths(dev_server, token) -> None:
    h = token("a@example.com")
    url = f"{dev_server.url}/v1/teams"
    err = assert_error(
        requests.post(url, json={"name": "x", "extra": 1}, headers=h), 400, "validation_failed"
    )
    assert any("extra" in d["message"] for d in err["details"])
    err = assert_error(requests.post(url, json={"name": 42}, headers=h), 400, "validation_failed")
    assert err["details"][0]["path"] == "name"
    assert_error(requests.post(url, data="{not json", headers={**h, "Content-Type": "application/json"}), 400)
    assert_error(requests.post(url, data="name=x", headers={**h, "Content-Type": "text/plain"}), 415)
    assert_error(requests.post(url, json=["name"], headers=h), 400)
    big = {"name": "x" * 2_000_000}
    assert_error(requests.post(url, json=big, headers=h), 413)
    team = requests.post(url, json={"name": "T"}, headers=h).json()
    err = assert_error(
        requests.post(
            f"{url}/{team['id']}/connections", json={"name": "c", "warehouse_type": "mysql"}, headers=h
        ),
        400,
    )
    assert err["details"][0]["path"] == "warehouse_type"


def test_other_teams_ids_answer_404_and_roles_apply(dev_server, token, container) -> None:
    a, b = token("a@example.com"), token("b@example.com")
    team = requests.post(f"{dev_server.url}/v1/teams", json={"name": "A"}, headers=a).json()
    conn = requests.post(
        f"{dev_server.url}/v1/teams/{team['id']}/connections",
        json={"name": "w", "warehouse_type": "duckdb", "path": str(container.settings.demo_warehouse_path)},
        headers=a,
    ).json()
    t, cn = team["id"], conn["id"]
    for method, path in [
        ("get", f"/v1/teams/{t}/connections"),
        ("post", f"/v1/teams/{t}/members"),
        ("post", f"/v1/teams/{t}/connections"),
        ("post", f"/v1/connections/{cn}/validate"),
        ("post", f"/v1/connections/{cn}/scan"),
        ("get", f"/v1/connections/{cn}/catalog"),
    ]:
        body = {"email": "b@example.com", "role": "admin"} if path.endswith("members") else None
        if path.endswith("/connections") and method == "post":
            body = {"name": "x", "warehouse_type": "duckdb", "path": "/tmp/x.duckdb"}
        r = getattr(requests, method)(f"{dev_server.url}{path}", json=body, headers=b)
        assert_error(r, 404, "not_found")
    assert requests.get(f"{dev_server.url}/v1/teams", headers=b).json()["teams"] == []

    # a member may read but not administer
    r = requests.post(
        f"{dev_server.url}/v1/teams/{t}/members", json={"email": "b@example.com", "role": "member"}, headers=a
    )
    assert r.status_code == 201
    assert requests.get(f"{dev_server.url}/v1/teams/{t}/connections", headers=b).status_code == 200
    assert_error(
        requests.post(
            f"{dev_server.url}/v1/teams/{t}/members",
            json={"email": "c@example.com", "role": "admin"},
            headers=b,
        ),
        403,
        "forbidden",
    )
    assert_error(
        requests.post(
            f"{dev_server.url}/v1/teams/{t}/connections",
            json={"name": "y", "warehouse_type": "duckdb", "path": "/tmp/y.duckdb"},
            headers=b,
        ),
        403,
    )
    # adding the same member twice is idempotent
    r2 = requests.post(
        f"{dev_server.url}/v1/teams/{t}/members", json={"email": "B@example.com", "role": "member"}, headers=a
    )
    assert r2.status_code == 201 and r2.json()["email"] == "b@example.com"
