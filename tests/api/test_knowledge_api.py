"""The team knowledge file over real HTTP: save with If-Match, fragments refused at their lines,
versions and restore, members read but do not write, the starter file from the catalog."""

from __future__ import annotations

import requests

from tests.api.test_dashboards_api import setup_team

YAML = {"Content-Type": "application/yaml"}
GOOD = """\
# yaml-language-server: $schema=../schemas/knowledge.schema.json
version: 1
metrics:
  - name: average_order_value
    synonyms: [aov, basket size]
    sql: SUM(order_items.sale_price) / COUNT(DISTINCT order_items.order_id)
    format: currency
  - name: return_rate
    sql: COUNTIF(order_items.status = 'Returned') / COUNT(*)
    format: percent
dimensions:
  - column: users.created_at
    synonyms: [signup date, signups]
instructions: |
  Revenue means completed sales: exclude Cancelled and Returned items.
"""


def put(server, h, team_id, text, version=None):
    headers = {**h, **YAML}
    if version is not None:
        headers["If-Match"] = str(version)
    return requests.put(f"{server.url}/v1/teams/{team_id}/knowledge", data=text.encode(), headers=headers)


def test_save_read_versions_and_restore(dev_server, token) -> None:
    h, t = setup_team(dev_server, token)
    empty = requests.get(f"{dev_server.url}/v1/teams/{t}/knowledge", headers=h)
    assert empty.status_code == 200 and empty.json()["version"] == 0 and "version: 1" in empty.json()["yaml"]
    r = put(dev_server, h, t, GOOD)
    assert r.status_code == 201, r.text
    assert r.json()["version"] == 1 and r.headers["ETag"] == '"1"' and r.json()["metrics_checked"] == 2
    assert put(dev_server, h, t, GOOD).status_code == 428  # replacing needs If-Match
    assert put(dev_server, h, t, GOOD, version=7).status_code == 409
    second = GOOD.replace("basket size", "basket value")
    assert put(dev_server, h, t, second, version=1).status_code == 200
    got = requests.get(f"{dev_server.url}/v1/teams/{t}/knowledge", headers=h)
    assert got.json()["version"] == 2 and "basket value" in got.json()["yaml"]
    raw = requests.get(f"{dev_server.url}/v1/teams/{t}/knowledge?format=yaml", headers=h)
    assert raw.headers["Content-Type"].startswith("application/yaml") and raw.text == second
    versions = requests.get(f"{dev_server.url}/v1/teams/{t}/knowledge/versions", headers=h).json()["versions"]
    assert [v["version"] for v in versions] == [1, 2]
    first = requests.get(f"{dev_server.url}/v1/teams/{t}/knowledge/versions/1", headers=h).json()
    assert first["yaml"] == GOOD
    restored = requests.post(
        f"{dev_server.url}/v1/teams/{t}/knowledge/versions/1/restore", headers={**h, "If-Match": "2"}
    )
    assert restored.status_code == 200, restored.text
    assert restored.json()["version"] == 3 and restored.json()["yaml"] == GOOD
    assert requests.get(f"{dev_server.url}/v1/teams/{t}/knowledge/versions/9", headers=h).status_code == 404


def test_drop_and_missing_column_are_refused_at_their_lines(dev_server, token) -> None:
    h, t = setup_team(dev_server, token)
    drop = GOOD.replace("COUNT(*)\n", "COUNT(*); DROP TABLE `demo.thelook_ecommerce.order_items`\n")
    r = put(dev_server, h, t, drop)
    assert r.status_code == 400, r.text
    (err,) = r.json()["error"]["details"]
    assert err["path"] == "metrics[1].sql" and err["line"] == 9 and "DROP" in err["message"]

    missing = GOOD.replace("order_items.sale_price", "order_items.sale_amount")
    r = put(dev_server, h, t, missing)
    assert r.status_code == 400
    (err,) = r.json()["error"]["details"]
    assert (err["path"], err["line"]) == ("metrics[0].sql", 6)
    assert "no column 'sale_amount'" in err["message"]

    bad_dimension = GOOD.replace("users.created_at", "users.signed_up")
    (err,) = put(dev_server, h, t, bad_dimension).json()["error"]["details"]
    assert (err["path"], err["line"]) == ("dimensions[0].column", 12)

    # a column that exists by name but a type error only the warehouse sees: the dry run, at the line
    typed = GOOD.replace("SUM(order_items.sale_price)", "SUM(order_items.status)")
    r = put(dev_server, h, t, typed)
    assert r.status_code == 400
    (err,) = r.json()["error"]["details"]
    assert err["line"] == 6 and err["message"].startswith("dry run failed")
    assert requests.get(f"{dev_server.url}/v1/teams/{t}/knowledge", headers=h).json()["version"] == 0


def test_members_read_admins_write(dev_server, token) -> None:
    h, t = setup_team(dev_server, token)
    assert put(dev_server, h, t, GOOD).status_code == 201
    added = requests.post(
        f"{dev_server.url}/v1/teams/{t}/members",
        json={"email": "bob@example.com", "role": "member"},
        headers=h,
    )
    assert added.status_code in (200, 201), added.text
    bob = token("bob@example.com")
    assert requests.get(f"{dev_server.url}/v1/teams/{t}/knowledge", headers=bob).json()["version"] == 1
    assert put(dev_server, bob, t, GOOD, version=1).status_code == 403
    assert requests.post(f"{dev_server.url}/v1/teams/{t}/knowledge/starter", headers=bob).status_code == 403


def test_a_starter_file_from_the_catalog_saves_unchanged(dev_server, token) -> None:
    h, t = setup_team(dev_server, token)
    r = requests.post(f"{dev_server.url}/v1/teams/{t}/knowledge/starter", headers=h)
    assert r.status_code == 200, r.text
    text = r.json()["yaml"]
    assert "SUM(order_items.sale_price)" in text
    assert "from: order_items.user_id" in text and "to: users.id" in text
    assert "column: users.traffic_source" in text and "column: products.category" in text
    saved = put(dev_server, h, t, text)
    assert saved.status_code == 201, saved.text


def test_verified_answers_name_real_dashboards_and_queries_that_dry_run(dev_server, token) -> None:
    h, t = setup_team(dev_server, token)
    missing = "version: 1\nverified_answers:\n  - question: Revenue by month\n    dashboard: revenue\n"
    r = put(dev_server, h, t, missing)
    assert r.status_code == 400
    (err,) = r.json()["error"]["details"]
    assert (err["path"], err["line"]) == (
        "verified_answers[0].dashboard",
        4,
    ) and "no dashboard 'revenue'" in err["message"]
    broken = "version: 1\nverified_answers:\n  - question: Orders\n    sql: SELECT nope FROM `demo.thelook_ecommerce.orders`\n"
    (err,) = put(dev_server, h, t, broken).json()["error"]["details"]
    assert err["line"] == 4 and err["message"].startswith("dry run failed")
