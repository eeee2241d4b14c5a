"""Keyless BigQuery connections: a per-team Bridge-owned account, impersonated; no key anywhere.

The adapter's credentials are google-auth's real ``impersonated_credentials`` minted against the
replay server's computed IAM ``generateAccessToken``; BigQuery answers are the recorded ones.
"""

from __future__ import annotations

from pathlib import Path

import requests
from google.oauth2 import service_account

from shared.adapters.warehouse.bigquery import SCOPES, BigQueryWarehouse
from shared.adapters.warehouse.keyless import GRANT_ROLES, connector_account, ensure_account, grant_commands

from .replay_bigquery import PROJECT, ReplayBigQueryServer, impersonated_token, service_account_info
from .test_bigquery import BY_STATUS, options

ACCOUNT = connector_account("tm_acme", project="bridge-prod")


def test_each_team_has_its_own_reader_account_in_bridges_project() -> None:
    other = connector_account("tm_other", project="bridge-prod")

    assert ACCOUNT.endswith("@bridge-prod.iam.gserviceaccount.com") and ACCOUNT.startswith("bridge-t-")
    assert other != ACCOUNT
    assert len(ACCOUNT.split("@")[0]) <= 30  # IAM's account id limit
    assert connector_account("tm_acme", project="bridge-prod") == ACCOUNT


def test_the_grant_commands_name_the_account_the_project_and_each_role() -> None:
    commands = grant_commands(ACCOUNT, "acme-data")

    assert len(commands) == len(GRANT_ROLES)
    for command, role in zip(commands, GRANT_ROLES, strict=True):
        assert command.startswith("gcloud projects add-iam-policy-binding acme-data ")
        assert f"--member=serviceAccount:{ACCOUNT}" in command and f"--role={role}" in command


def test_queries_run_with_short_lived_tokens_of_the_teams_account(server: ReplayBigQueryServer) -> None:
    source = service_account.Credentials.from_service_account_info(
        service_account_info(f"{server.url}/token"), scopes=SCOPES
    )
    warehouse = BigQueryWarehouse(
        project=PROJECT,
        impersonate=ACCOUNT,
        credentials=source,
        iam_endpoint=f"{server.url}/iam/{ACCOUNT}:generateAccessToken",
        client_options={"api_endpoint": server.url},
    )
    with server._lock:
        server.requests.clear()

    result = warehouse.query(BY_STATUS, (), options())

    assert result.rows
    ((account, caller, body),) = server.impersonations[-1:]
    assert account == ACCOUNT
    assert caller.startswith("Bearer ya29.")  # Bridge's own identity asked for the token
    assert body["scope"] == list(SCOPES) and body["lifetime"] == "3600s"
    assert {r.authorization for r in server.api_requests()} == {f"Bearer {impersonated_token(ACCOUNT)}"}


def test_the_account_is_created_once(server: ReplayBigQueryServer) -> None:
    session = requests.Session()
    account = connector_account("tm_created", project="bridge-prod")

    assert ensure_account(account, display_name="Bridge reader", session=session, iam_url=f"{server.url}/v1")
    assert not ensure_account(
        account, display_name="Bridge reader", session=session, iam_url=f"{server.url}/v1"
    )
    assert account in server.accounts


def test_a_keyless_connection_stores_no_key_and_shows_the_grant(tmp_path: Path) -> None:
    from shared.adapters.identity.port import Principal
    from shared.bootstrap import Container
    from shared.db.migrate import upgrade
    from shared.entry.routes.teams import connection_json
    from shared.services.connections import create_connection, open_warehouse
    from shared.services.teams import create_team
    from shared.settings import Settings

    admin = Principal(user_id="ada@example.com", email="ada@example.com")
    c = Container(
        Settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'b.db'}", gcp_project="bridge-prod")
    )
    upgrade(c.db.engine)
    try:
        with c.db.session() as s:
            teams = [create_team(s, admin, name) for name in ("Acme", "Beta")]
            conns = [
                create_connection(
                    c,
                    s,
                    admin,
                    t.id,
                    {"name": "bq", "warehouse_type": "bigquery", "auth": "keyless", "project": "acme-data"},
                )
                for t in teams
            ]
            shown = [connection_json(conn) for conn in conns]
            warehouse = open_warehouse(c, conns[0])
        stored = c.store("secrets").list("")
    finally:
        c.db.engine.dispose()

    assert all(conn.credentials_path is None for conn in conns)
    assert stored == []  # no key, sealed or not
    first, second = shown
    assert first["auth"] == "keyless" and first["service_account"] == connector_account(
        teams[0].id, project="bridge-prod"
    )
    assert second["service_account"] != first["service_account"]  # one reader per team
    assert first["grant_commands"] == grant_commands(first["service_account"], "acme-data")
    assert isinstance(warehouse, BigQueryWarehouse) and warehouse._impersonate == first["service_account"]
