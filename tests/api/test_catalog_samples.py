"""Sample values through the product: scan over HTTP, the stored catalog, ``search_catalog`` ranking
on a value, ``get_table_schema`` showing them, the byte cap as the sampling's budget, and teams
never seeing each other's values. Real DuckDB files, the dev server, SQLite and Postgres.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import requests

from shared.adapters.identity.port import Principal
from shared.agent.context import AgentContext
from shared.agent.tools import build_registry
from shared.bootstrap import Container

REGISTRY = build_registry()
COUNTRIES = "['France', 'Germany', 'Japan', 'France', 'Spain']"
ELSEWHERE = "['Brazil', 'Chile', 'Peru', 'Brazil', 'Mexico']"


def warehouse_file(container: Container, name: str, countries: str = COUNTRIES, big: bool = False) -> Path:
    """accounts (a country column), shipments (a carrier), tickets; and ``archive`` when ``big``."""
    folder = container.settings.duckdb_root_paths[0]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA crm; CREATE SCHEMA ops")
        con.execute(
            f"CREATE TABLE crm.accounts AS SELECT range AS id, {countries}[range % 5 + 1] AS market FROM range(200)"
        )
        con.execute(
            "CREATE TABLE ops.shipments AS SELECT range AS id, ['DHL', 'UPS', 'FedEx'][range % 3 + 1] AS carrier,"
            " range * 2.5 AS weight FROM range(300)"
        )
        con.execute(
            "CREATE TABLE ops.tickets AS SELECT range AS id, ['low', 'high'][range % 2 + 1] AS priority FROM range(50)"
        )
        if big:  # about 1.5 MB of text: more than a 1 MB byte cap pays for
            con.execute(
                "CREATE TABLE ops.archive AS SELECT ['Lisbon', 'Porto'][range % 2 + 1] AS city FROM range(200000)"
            )
    return path


def onboard(url: str, headers: dict[str, str], team: str, path: Path) -> tuple[str, str]:
    team_id = requests.post(f"{url}/v1/teams", json={"name": team}, headers=headers).json()["id"]
    r = requests.post(
        f"{url}/v1/teams/{team_id}/connections",
        json={"name": "own", "warehouse_type": "duckdb", "path": str(path), "project": "acme"},
        headers=headers,
    )
    assert r.status_code == 201, r.text
    return team_id, r.json()["id"]


def scan(url: str, headers: dict[str, str], conn_id: str) -> dict[str, Any]:
    r = requests.post(f"{url}/v1/connections/{conn_id}/scan", headers=headers)
    assert r.status_code == 200, r.text
    return dict(r.json())


def columns_of(url: str, headers: dict[str, str], conn_id: str) -> dict[str, dict[str, dict[str, Any]]]:
    r = requests.get(f"{url}/v1/connections/{conn_id}/catalog", headers=headers)
    assert r.status_code == 200, r.text
    return {
        t["fully_qualified_name"]: {c["name"]: c for c in t["columns"]}
        for d in r.json()["datasets"]
        for t in d["tables"]
    }


def tool(container: Container, email: str, team_id: str, conn_id: str, name: str, **args: Any) -> Any:
    ctx = AgentContext(container, team_id, conn_id, Principal(email, email), "cs_samples", "tu_samples")
    return REGISTRY.call(name, args, ctx)


def test_a_scan_keeps_values_and_search_finds_the_table_holding_one(dev_server, token, container) -> None:
    alice = token("alice@example.com")
    team_id, conn_id = onboard(dev_server.url, alice, "Acme", warehouse_file(container, "acme"))

    assert scan(dev_server.url, alice, conn_id)["sampled_tables"] == 3
    catalog = columns_of(dev_server.url, alice, conn_id)
    accounts = catalog["acme.crm.accounts"]
    assert accounts["market"]["sample_values"][0] == "France"  # the most frequent first
    assert set(accounts["market"]["sample_values"]) == {"France", "Germany", "Japan", "Spain"}
    assert "sample_values" not in accounts["id"]  # numbers are not sampled
    assert catalog["acme.ops.shipments"]["carrier"]["sample_values"] == ["DHL", "FedEx", "UPS"]

    # "France" is in no table name, description or column name: only the value finds accounts
    found = tool(
        container, "alice@example.com", team_id, conn_id, "search_catalog", query="customers in France"
    )
    assert found.ok, found.error
    best = found.result["tables"][0]
    assert best["name"] == "acme.crm.accounts" and best["score"] > 0
    assert best["matched_values"] == ["market: France"]
    assert all(t["score"] == 0 for t in found.result["tables"][1:])
    parcels = tool(
        container, "alice@example.com", team_id, conn_id, "search_catalog", query="parcels sent with DHL"
    )
    assert parcels.result["tables"][0]["name"] == "acme.ops.shipments"
    assert parcels.result["tables"][0]["matched_values"] == ["carrier: DHL"]

    schema = tool(container, "alice@example.com", team_id, conn_id, "get_table_schema", table="accounts")
    market = next(c for c in schema.result["columns"] if c["name"] == "market")
    assert market["sample_values"][0] == "France"
    assert "sample_values" not in next(c for c in schema.result["columns"] if c["name"] == "id")


def test_values_never_reach_another_team(dev_server, token, container) -> None:
    alice, bob = token("alice@example.com"), token("bob@example.com")
    a_team, a_conn = onboard(dev_server.url, alice, "Acme", warehouse_file(container, "acme"))
    b_team, b_conn = onboard(dev_server.url, bob, "Bobs", warehouse_file(container, "bobs", ELSEWHERE))
    scan(dev_server.url, alice, a_conn)
    scan(dev_server.url, bob, b_conn)
    # both teams' indexes are built on this instance, Alice's first
    assert tool(container, "alice@example.com", a_team, a_conn, "search_catalog", query="France").ok

    found = tool(container, "bob@example.com", b_team, b_conn, "search_catalog", query="customers in France")
    assert found.ok and all(t["score"] == 0 and not t.get("matched_values") for t in found.result["tables"])
    brazil = tool(container, "bob@example.com", b_team, b_conn, "search_catalog", query="Brazil")
    assert brazil.result["tables"][0]["matched_values"] == ["market: Brazil"]
    schema = tool(container, "bob@example.com", b_team, b_conn, "get_table_schema", table="accounts")
    assert "France" not in json.dumps(schema.result)
    assert "France" not in requests.get(f"{dev_server.url}/v1/connections/{b_conn}/catalog", headers=bob).text

    # Alice's connection and catalog are not found for Bob, through HTTP and through the tools
    assert requests.get(f"{dev_server.url}/v1/connections/{a_conn}/catalog", headers=bob).status_code == 404
    assert requests.post(f"{dev_server.url}/v1/connections/{a_conn}/scan", headers=bob).status_code == 404
    for team in (b_team, a_team):
        refused = tool(container, "bob@example.com", team, a_conn, "search_catalog", query="France")
        assert not refused.ok and refused.error is not None and refused.error.code == "not_found"


def test_the_byte_cap_is_the_budget_and_a_rescan_keeps_earlier_values(dev_server, token, container) -> None:
    alice = token("alice@example.com")
    team_id, conn_id = onboard(dev_server.url, alice, "Acme", warehouse_file(container, "big", big=True))
    assert scan(dev_server.url, alice, conn_id)["sampled_tables"] == 4  # the default cap: 100 MB
    first = columns_of(dev_server.url, alice, conn_id)
    archive = sorted(first["acme.ops.archive"]["city"]["sample_values"])  # of a 20k-row sample
    assert archive == ["Lisbon", "Porto"]

    r = requests.patch(f"{dev_server.url}/v1/teams/{team_id}", json={"byte_cap": 1_000_000}, headers=alice)
    assert r.status_code == 200, r.text
    # the archive's 1.5 MB of text no longer fit; it keeps what the earlier scan found
    assert scan(dev_server.url, alice, conn_id)["sampled_tables"] == 3
    again = columns_of(dev_server.url, alice, conn_id)
    assert again["acme.ops.archive"]["city"] == first["acme.ops.archive"]["city"]
    assert again["acme.crm.accounts"]["market"] == first["acme.crm.accounts"]["market"]
