"""Onboarding a BigQuery connection on the Google adapters: the key JSON is sealed by KMS, stored
create-only in GCS, and opened again as the connection's BigQuery client credentials.

The real connections service runs on a SQLite directory; its secrets store is the GCS adapter
on FakeGcsServer and its key manager the KMS adapter on FakeKmsServer.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.adapters.identity.port import Principal
from shared.adapters.keys.port import connection_aad
from shared.adapters.warehouse.bigquery import BigQueryWarehouse
from shared.bootstrap import Container
from shared.errors import DecryptionFailed, PreconditionFailed
from shared.services.connections import SECRETS, create_connection, open_warehouse
from shared.services.teams import create_team
from shared.settings import Settings

from .stores import gcs_store, kms_keys

ADMIN = Principal(user_id="ada@example.com", email="ada@example.com")
CREDENTIALS = {
    "type": "service_account",
    "project_id": "acme-prod",
    "private_key": "-----BEGIN PRIVATE KEY-----\nnot-a-real-key\n-----END PRIVATE KEY-----\n",
    "client_email": "reader@acme-prod.iam.gserviceaccount.com",
}


@pytest.fixture
def container(tmp_path: Path) -> Iterator[Container]:
    from shared.db.migrate import upgrade

    c = Container(Settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'bridge.db'}"))
    upgrade(c.db.engine)
    with gcs_store(bucket="bridge-secrets") as store, kms_keys() as (keys, _):
        c._stores[SECRETS] = store
        c.__dict__["key_manager"] = keys
        try:
            yield c
        finally:
            c.db.engine.dispose()


def test_a_bigquery_key_is_sealed_stored_and_opened_on_the_google_adapters(container: Container) -> None:
    with container.db.session() as s:
        team = create_team(s, ADMIN, "Acme")
        conn = create_connection(
            container,
            s,
            ADMIN,
            team.id,
            {"name": "bq", "warehouse_type": "bigquery", "credentials": CREDENTIALS},
        )
    assert conn.credentials_path

    stored = container.store(SECRETS).get(conn.credentials_path)
    assert b"not-a-real-key" not in stored.data
    assert json.loads(stored.data)["kek"].startswith("projects/")
    assert stored.info.content_type == "application/json"

    warehouse = open_warehouse(container, conn)
    assert isinstance(warehouse, BigQueryWarehouse)
    assert (warehouse.project, warehouse.location) == (
        "acme-prod",
        None,
    )  # BigQuery places jobs by their tables
    assert warehouse._info == CREDENTIALS
    assert warehouse._client is None  # no BigQuery client until the first query


def test_the_stored_secret_is_create_only_and_bound_to_its_connection(container: Container) -> None:
    with container.db.session() as s:
        team = create_team(s, ADMIN, "Acme")
        conn = create_connection(
            container,
            s,
            ADMIN,
            team.id,
            {"name": "bq", "warehouse_type": "bigquery", "credentials": CREDENTIALS},
        )
    assert conn.credentials_path
    store, keys = container.store(SECRETS), container.key_manager
    envelope = store.get(conn.credentials_path).data

    with pytest.raises(PreconditionFailed):
        store.put(conn.credentials_path, b"overwrite", if_generation_match=0)
    with pytest.raises(DecryptionFailed):
        keys.decrypt(envelope, aad=connection_aad(team.id, "cn_other"))
    assert json.loads(keys.decrypt(envelope, aad=connection_aad(team.id, conn.id))) == CREDENTIALS
