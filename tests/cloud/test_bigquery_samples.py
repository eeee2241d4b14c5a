"""The catalog's sample values on BigQuery: google-cloud-bigquery against replayed REST exchanges.

The sample is one ``TABLESAMPLE SYSTEM`` query per location (exchanges ``catalog_sample_us`` and
``catalog_sample_eu``, written from the jobs.query reference), capped at what the sampling's budget
has left, labelled ``catalog_sample`` and placed in the location of the tables it reads.
"""

from __future__ import annotations

import pytest

from shared.adapters.warehouse.bigquery import MIN_BILLED_BYTES, BigQueryWarehouse
from shared.adapters.warehouse.port import SampleLimits, TableInfo

from .replay_bigquery import PROJECT, ReplayBigQueryServer

ORDERS = f"{PROJECT}.thelook_ecommerce.orders"
CAMPAIGNS = f"{PROJECT}.marketing_eu.campaigns"


def scanned(bq: BigQueryWarehouse, server: ReplayBigQueryServer) -> list[TableInfo]:
    tables = [t for d in bq.scan_catalog() for t in d.tables]
    with server._lock:
        server.requests.clear()
    return tables


def test_one_tablesample_query_per_location_keeps_the_categorical_values(
    bq: BigQueryWarehouse, server: ReplayBigQueryServer
) -> None:
    tables = scanned(bq, server)
    budget = 50 * MIN_BILLED_BYTES

    samples = bq.sample_values(tables, SampleLimits(max_bytes_billed=budget))

    # most frequent first; the campaign ids are all distinct (not a category); order_items refuses
    # queries without a partition filter, so it is not sampled at all
    assert samples == {
        ORDERS: {"status": ["Complete", "Shipped", "Processing", "Cancelled", "Returned"]},
        CAMPAIGNS: {},
    }
    jobs = server.job_requests()
    assert [r.exchange for r in jobs] == ["catalog_sample_eu", "catalog_sample_us"]
    assert [r.body["location"] for r in jobs] == ["EU", "US"]
    assert all(r.body["labels"]["kind"] == "catalog_sample" for r in jobs)
    eu, us = (r.body["query"] for r in jobs)
    assert "`marketing_eu`.`campaigns` AS s TABLESAMPLE SYSTEM (100.0000 PERCENT)" in eu
    assert "s.`campaign_id`" in eu and "s.`spend`" not in eu  # text columns only
    assert "`thelook_ecommerce`.`orders` AS s TABLESAMPLE SYSTEM (16.0000 PERCENT)" in us  # 20k of 125k rows
    assert "order_items" not in us and "s.`status`" in us and "s.`created_at`" not in us
    # each query may bill only what the budget has left after the ones before it
    first, second = (int(r.body["maximumBytesBilled"]) for r in jobs)
    assert first == budget and second == budget - MIN_BILLED_BYTES
    # datasets.list was read by the scan; the sampling does not list them again
    assert not [r for r in server.api_requests() if r.path.endswith("/datasets")]


def test_tables_past_the_budget_are_not_queried(bq: BigQueryWarehouse, server: ReplayBigQueryServer) -> None:
    tables = scanned(bq, server)

    # BigQuery bills at least 10 MiB per table read: a 15 MiB budget pays for one table
    samples = bq.sample_values(tables, SampleLimits(max_bytes_billed=15 * 1024 * 1024))

    assert samples == {CAMPAIGNS: {}}  # the first in the order given
    assert [r.exchange for r in server.job_requests()] == ["catalog_sample_eu"]

    orders_first = sorted(tables, key=lambda t: t.fully_qualified_name != ORDERS)
    with server._lock:
        server.requests.clear()
    samples = bq.sample_values(orders_first, SampleLimits(max_bytes_billed=15 * 1024 * 1024))
    assert list(samples) == [ORDERS]
    assert [r.exchange for r in server.job_requests()] == ["catalog_sample_us"]


def test_a_refused_location_is_left_out(bq: BigQueryWarehouse, server: ReplayBigQueryServer) -> None:
    tables = scanned(bq, server)
    recorded = server.exchanges
    # BigQuery refusing the EU job (as for a dataset this identity cannot read)
    server.exchanges = [
        {**e, "response": {"status": 403, "body": _denied()}} if e["name"] == "catalog_sample_eu" else e
        for e in recorded
    ]
    try:
        samples = bq.sample_values(tables, SampleLimits(max_bytes_billed=50 * MIN_BILLED_BYTES))
    finally:
        server.exchanges = recorded

    assert list(samples) == [ORDERS]
    assert [r.exchange for r in server.job_requests()] == ["catalog_sample_eu", "catalog_sample_us"]


def _denied() -> dict[str, object]:
    message = "Access Denied: Table bridge-demo:marketing_eu.campaigns: User does not have permission"
    return {
        "error": {
            "code": 403,
            "message": message,
            "errors": [{"message": message, "domain": "global", "reason": "accessDenied"}],
            "status": "PERMISSION_DENIED",
        }
    }


def test_the_sample_query_is_googlesql(bq: BigQueryWarehouse, server: ReplayBigQueryServer) -> None:
    """ZetaSQL (BigQuery's analyzer) resolves and type-checks the query sent, even over tables
    whose own columns are named like the query's (c, v, n)."""
    from tests.planner.googlesql import KINDS, GoogleSqlAnalyzer, available

    if available() is not None:
        pytest.skip(str(available()))
    tables = scanned(bq, server)
    bq.sample_values(tables, SampleLimits(max_bytes_billed=50 * MIN_BILLED_BYTES))
    catalog = [
        {
            "name": t.fully_qualified_name,
            "columns": [[c.name, KINDS.get(c.type, "TYPE_STRING")] for c in t.columns],
        }
        for t in tables
    ]
    catalog.append({"name": f"{PROJECT}.x.clash", "columns": [["c", "TYPE_STRING"], ["v", "TYPE_STRING"]]})
    from shared.adapters.warehouse.samples import bigquery_sql

    analyzer = GoogleSqlAnalyzer()
    try:
        for request in server.job_requests():
            assert analyzer.analyze(catalog, request.body["query"]) is None, request.body["query"]
        clash = bigquery_sql(0, f"`{PROJECT}`.`x`.`clash`", ["v", "c"], 1.5, SampleLimits(1))
        assert analyzer.analyze(catalog, clash) is None
        assert analyzer.analyze(catalog, clash.replace("s.`v`", "s.`nope`")) is not None
    finally:
        analyzer.close()
