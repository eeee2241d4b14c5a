"""Fixtures of the BigQuery replay tests (test_bigquery, test_bigquery_samples, test_keyless) and of
the Cloud SQL connector tests (test_cloudsql)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from shared.adapters.warehouse.bigquery import BigQueryWarehouse

from .cloudsql_local import LocalCloudSql
from .cloudsql_proxy import PortTaken, proxy_port_lock
from .replay_bigquery import PROJECT, ReplayBigQueryServer, service_account_info


@pytest.fixture(scope="module")
def server() -> Iterator[ReplayBigQueryServer]:
    """One replay server per test module (test_gcs.py's ``gcs`` is the fake GCS server)."""
    replay = ReplayBigQueryServer()
    try:
        yield replay
    finally:
        replay.close()


@pytest.fixture
def bq(server: ReplayBigQueryServer) -> BigQueryWarehouse:
    """The adapter on the replay server with a fresh service-account key; no request seen yet."""
    with server._lock:
        server.requests.clear()
    return BigQueryWarehouse(
        project=PROJECT,
        location="US",
        service_account_info=service_account_info(f"{server.url}/token"),
        client_options={"api_endpoint": server.url},
    )


@pytest.fixture(scope="module")
def cloudsql(pg_server: str) -> Iterator[LocalCloudSql]:
    """The Admin API and server-side proxy in front of the real Postgres (port 3307, one process at a time)."""
    with proxy_port_lock() as locked:
        if not locked:
            pytest.skip("another test process held 127.0.0.1:3307 (the Cloud SQL proxy port) for 5 minutes")
        try:
            local = LocalCloudSql()
        except PortTaken as exc:
            pytest.skip(f"the Cloud SQL connector always dials port 3307: {exc}")
        try:
            yield local
        finally:
            local.close()
