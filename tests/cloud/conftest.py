"""Fixtures of the BigQuery replay tests (test_bigquery, test_bigquery_samples, test_keyless)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from shared.adapters.warehouse.bigquery import BigQueryWarehouse

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
