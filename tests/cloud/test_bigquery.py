"""BigQuery adapter over google-cloud-bigquery against replayed BigQuery REST exchanges.

A contract subset: dry-run bytes and schema, the byte cap (always sent, BigQuery's over-cap
error mapped), labels on every job, row limits without extra page reads, the catalog in one
query per location, tables.get, and error mapping.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from shared.adapters.warehouse.bigquery import MIN_BILLED_BYTES, BigQueryWarehouse, _mapped, job_labels
from shared.adapters.warehouse.port import QueryOptions, QueryParam
from shared.errors import BadRequest, ByteCapExceeded, NotFound, Timeout, Unavailable, WarehouseError

from .replay_bigquery import ACCESS_TOKEN, PROJECT, ReplayBigQueryServer, job_query, service_account_info

ORDERS = f"`{PROJECT}.thelook_ecommerce.orders`"
BY_STATUS = f"SELECT status, COUNT(*) AS n FROM {ORDERS} GROUP BY status ORDER BY status"
LABELS = {"team": "tm_Acme", "dashboard": "Revenue Overview"}


def options(cap: int = 50 * MIN_BILLED_BYTES, row_limit: int = 100) -> QueryOptions:
    return QueryOptions(max_bytes_billed=cap, row_limit=row_limit, labels=LABELS)


# -- credentials and dry runs --------------------------------------------------------------------


def test_validate_dry_runs_select_1_with_the_connections_own_key(
    bq: BigQueryWarehouse, server: ReplayBigQueryServer
) -> None:
    bq.validate()

    (request,) = server.api_requests()
    settings = job_query(request.body)
    assert (request.exchange, settings["dryRun"], settings["useQueryCache"]) == (
        "dry_run_select_1",
        True,
        False,
    )
    assert request.authorization == f"Bearer {ACCESS_TOKEN}"
    grant = server.token_grants[-1]
    assert grant["iss"] == f"bridge-reader@{PROJECT}.iam.gserviceaccount.com"
    assert grant["scope"] == "https://www.googleapis.com/auth/bigquery"


def test_dry_run_reports_bytes_schema_and_tables(bq: BigQueryWarehouse, server: ReplayBigQueryServer) -> None:
    result = bq.dry_run(BY_STATUS + " -- @since", (QueryParam("since", "DATE", "2024-01-01"),))

    assert result.total_bytes_processed == 1_843_200
    assert [(c.name, c.type) for c in result.schema] == [("status", "STRING"), ("n", "INT64")]
    assert result.referenced_tables == (f"{PROJECT}.thelook_ecommerce.orders",)
    (request,) = server.job_requests()
    settings = job_query(request.body)
    assert settings["queryParameters"] == [
        {"name": "since", "parameterType": {"type": "DATE"}, "parameterValue": {"value": "2024-01-01"}}
    ]
    assert settings["parameterMode"] == "NAMED"
    assert settings["labels"] == {"app": "bridge", "kind": "dry_run"}


@pytest.mark.parametrize(
    ("sql", "mentions"),
    [
        (f"SELEC status FROM {ORDERS}", "SELEC"),
        (f"SELECT status FROM `{PROJECT}.thelook_ecommerce.no_such_table`", "no_such_table"),
    ],
)
def test_bad_sql_is_a_warehouse_error_with_bigquerys_message(
    bq: BigQueryWarehouse, sql: str, mentions: str
) -> None:
    with pytest.raises(WarehouseError) as caught:
        bq.dry_run(sql)

    assert type(caught.value) is WarehouseError
    assert mentions in caught.value.message


def test_an_invalid_date_parameter_is_refused_before_any_request(
    bq: BigQueryWarehouse, server: ReplayBigQueryServer
) -> None:
    with pytest.raises(WarehouseError, match="@since"):
        bq.dry_run(BY_STATUS, (QueryParam("since", "DATE", "yesterday"),))
    assert server.api_requests() == []


# -- queries: cap, labels, rows ------------------------------------------------------------------


def test_query_sends_the_cap_labels_and_row_limit_and_returns_typed_rows(
    bq: BigQueryWarehouse, server: ReplayBigQueryServer
) -> None:
    result = bq.query(BY_STATUS, (), options(cap=12_345_678, row_limit=10))

    assert [(c.name, c.type) for c in result.columns] == [("status", "STRING"), ("n", "INT64")]
    assert result.rows[0] == ("Cancelled", 1261)
    assert len(result.rows) == 5 and not result.truncated
    assert (result.bytes_processed, result.job_id) == (1_843_200, "job_status")
    (request,) = server.job_requests()
    assert request.path.endswith("/queries")  # jobs.query: one round trip
    body = request.body
    assert body["maximumBytesBilled"] == "12345678"
    assert body["labels"] == {
        "app": "bridge",
        "team": "tm_acme",
        "dashboard": "revenue_overview",
        "kind": "query",
    }
    assert body["maxResults"] == 11
    assert body["useLegacySql"] is False
    assert "location" not in body  # BigQuery places the job where the tables it reads live
    assert int(body["jobTimeoutMs"]) == 60_000  # BigQuery cancels the job itself at the deadline


def test_over_the_cap_bigquerys_refusal_is_byte_cap_exceeded(bq: BigQueryWarehouse) -> None:
    sql = f"SELECT SUM(sale_price) FROM `{PROJECT}.thelook_ecommerce.order_items`"

    with pytest.raises(ByteCapExceeded) as caught:
        bq.query(sql, (), options(cap=1000))

    assert caught.value.details == {"max_bytes_billed": 1000, "bytes_required": 10_485_760}
    assert "1,000" in caught.value.message and "10,485,760" in caught.value.message


@pytest.mark.parametrize("cap", [0, -1, None, True])
def test_a_missing_or_zero_cap_is_refused_because_bigquery_reads_it_as_unlimited(
    bq: BigQueryWarehouse, server: ReplayBigQueryServer, cap: Any
) -> None:
    with pytest.raises(BadRequest, match="max_bytes_billed"):
        bq.query(BY_STATUS, (), QueryOptions(max_bytes_billed=cap))
    assert server.api_requests() == []


def test_row_limit_truncates_without_reading_another_page(
    bq: BigQueryWarehouse, server: ReplayBigQueryServer
) -> None:
    result = bq.query(f"SELECT id FROM {ORDERS} ORDER BY id", (), options(row_limit=5))

    assert [r[0] for r in result.rows] == [1, 2, 3, 4, 5]
    assert result.truncated
    assert server.api_requests()[0].body["maxResults"] == 6
    assert all("pageToken" not in r.args for r in server.api_requests())


def test_a_query_still_running_is_awaited_and_its_values_typed(
    bq: BigQueryWarehouse, server: ReplayBigQueryServer
) -> None:
    result = bq.query("SELECT month, revenue, last_order FROM slow_revenue", (), options())

    assert result.rows == [(date(2024, 5, 1), 1520.5, datetime(2024, 5, 1, 11, 30, tzinfo=UTC))]
    assert [(c.name, c.type) for c in result.columns] == [
        ("month", "DATE"),
        ("revenue", "FLOAT64"),
        ("last_order", "TIMESTAMP"),
    ]
    assert "query_slow_results" in [r.exchange for r in server.api_requests()]


def test_access_denied_is_a_warehouse_error(bq: BigQueryWarehouse) -> None:
    with pytest.raises(WarehouseError, match="Access Denied"):
        bq.query("SELECT * FROM `bridge-demo.finance.restricted`", (), options())


def test_every_job_request_carries_labels_and_every_billed_one_a_cap(
    bq: BigQueryWarehouse, server: ReplayBigQueryServer
) -> None:
    bq.validate()
    bq.dry_run(BY_STATUS)
    bq.query(BY_STATUS, (), options())
    bq.query(f"SELECT id FROM {ORDERS}", (), options(row_limit=2))
    bq.scan_catalog()
    with pytest.raises(ByteCapExceeded):
        bq.query(
            f"SELECT SUM(sale_price) FROM `{PROJECT}.thelook_ecommerce.order_items`", (), options(cap=1000)
        )

    jobs = [job_query(r.body) for r in server.job_requests()]
    assert len(jobs) == 7
    assert all(job["labels"]["app"] == "bridge" for job in jobs)
    billed = [job for job in jobs if not job.get("dryRun")]
    assert len(billed) == 5
    assert all(int(job["maximumBytesBilled"]) > 0 for job in billed)


# -- catalog and tables --------------------------------------------------------------------------


def test_catalog_is_one_information_schema_query_per_location(
    bq: BigQueryWarehouse, server: ReplayBigQueryServer
) -> None:
    datasets = {d.fully_qualified_name: d for d in bq.scan_catalog()}

    exchanges = [r.exchange for r in server.api_requests()]
    assert exchanges == ["datasets_list", "catalog_eu", "catalog_us"]
    placed = [r.body["location"] for r in server.job_requests()]
    assert placed == ["EU", "US"]  # each region's views are read by a job in that region
    assert sorted(datasets) == [
        f"{PROJECT}.marketing_eu",
        f"{PROJECT}.scratch",
        f"{PROJECT}.thelook_ecommerce",
    ]
    assert datasets[f"{PROJECT}.scratch"].tables == ()
    thelook = datasets[f"{PROJECT}.thelook_ecommerce"]
    assert (thelook.location, thelook.description) == ("US", "Synthetic e-commerce data")
    tables = {t.fully_qualified_name.rsplit(".", 1)[1]: t for t in thelook.tables}
    items, orders = tables["order_items"], tables["orders"]
    assert (items.row_count, items.size_bytes, items.partitioning, items.clustering) == (
        181_000,
        15_204_000,
        "created_at",
        ("product_id",),
    )
    assert [(c.name, c.type) for c in items.columns] == [
        ("id", "INT64"),
        ("product_id", "INT64"),
        ("sale_price", "FLOAT64"),
        ("created_at", "TIMESTAMP"),
    ]
    assert items.columns[2].description == "Price paid, in USD"
    assert orders.description == 'One row per order, "status" included'
    assert orders.last_modified == datetime.fromtimestamp(1_764_100_000, UTC)
    (campaigns,) = datasets[f"{PROJECT}.marketing_eu"].tables
    assert [c.type for c in campaigns.columns] == ["STRING", "NUMERIC"]


def test_catalog_queries_are_capped_and_labelled(bq: BigQueryWarehouse, server: ReplayBigQueryServer) -> None:
    bq.scan_catalog()

    for request in server.job_requests():
        assert int(request.body["maximumBytesBilled"]) == bq.catalog_byte_cap
        assert request.body["labels"]["kind"] == "catalog"
        assert "INFORMATION_SCHEMA.TABLES" in request.body["query"]


def test_table_reads_one_table(bq: BigQueryWarehouse) -> None:
    info = bq.table(ORDERS)

    assert info.fully_qualified_name == f"{PROJECT}.thelook_ecommerce.orders"
    assert [(c.name, c.type) for c in info.columns] == [
        ("order_id", "INT64"),
        ("user_id", "INT64"),
        ("status", "STRING"),
        ("created_at", "TIMESTAMP"),
        ("tags", "ARRAY<STRING>"),
    ]
    assert (info.partitioning, info.clustering, info.row_count, info.table_type) == (
        "created_at",
        ("status",),
        125_000,
        "BASE TABLE",
    )


def test_a_missing_table_is_not_found(bq: BigQueryWarehouse) -> None:
    with pytest.raises(NotFound):
        bq.table("thelook_ecommerce.no_such_table")
    with pytest.raises(BadRequest):
        bq.table("just_a_name")


def test_data_version_comes_from_modified_times_and_is_cached(
    bq: BigQueryWarehouse, server: ReplayBigQueryServer
) -> None:
    tables = (f"{PROJECT}.thelook_ecommerce.orders",)
    first = bq.data_version(tables)
    second = bq.data_version(tables)

    assert first and first == second
    assert [r.exchange for r in server.api_requests()] == ["table_orders"]
    assert bq.data_version((f"{PROJECT}.thelook_ecommerce.no_such_table",)) is None


# -- mapping and validation ----------------------------------------------------------------------


def test_transient_and_timeout_errors_map_to_unavailable_and_timeout() -> None:
    import concurrent.futures

    from google.api_core import exceptions as gexc

    backend = gexc.ServiceUnavailable("Backend error", errors=[{"reason": "backendError"}])
    rate = gexc.Forbidden("Exceeded rate limits", errors=[{"reason": "rateLimitExceeded"}])
    assert isinstance(_mapped(backend), Unavailable)
    assert isinstance(_mapped(rate), Unavailable)
    assert isinstance(_mapped(concurrent.futures.TimeoutError()), Timeout)
    assert isinstance(_mapped(gexc.BadRequest("Job timed out", errors=[{"reason": "jobTimeout"}])), Timeout)


def test_labels_are_made_valid_for_bigquery() -> None:
    labels = job_labels({"Team": "Acme Corp", "9lives": "x" * 80})

    assert labels == {"app": "bridge", "team": "acme_corp", "l9lives": "x" * 63}


@pytest.mark.parametrize(("project", "location"), [("bad project", "US"), ("ok-project", "US; DROP")])
def test_invalid_project_or_location_is_a_bad_request(project: str, location: str) -> None:
    with pytest.raises(BadRequest):
        BigQueryWarehouse(project=project, location=location)


@pytest.mark.parametrize(
    "info",
    [
        {"type": "service_account"},
        {**service_account_info("http://127.0.0.1:9/token"), "private_key": "LEAKY-NOT-A-PEM-KEY"},
    ],
    ids=["fields-missing", "bad-key"],
)
def test_a_broken_service_account_key_is_a_warehouse_error_that_quotes_no_key(info: dict[str, Any]) -> None:
    wh = BigQueryWarehouse(project=PROJECT, service_account_info=info)

    with pytest.raises(WarehouseError, match="service-account key") as caught:
        wh.validate()
    assert "LEAKY" not in caught.value.message


# -- locations, permissions, dropped tables, the polling path (computed by the replay server) ---


def _raw_client(server: ReplayBigQueryServer) -> Any:
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import bigquery

    return bigquery.Client(
        project=PROJECT, credentials=AnonymousCredentials(), client_options={"api_endpoint": server.url}
    )


@pytest.mark.parametrize(
    ("sql", "location"),
    [
        ("SELECT campaign_id, spend FROM `bridge-demo.marketing_eu.campaigns`", "US"),
        ("SELECT * FROM `bridge-demo`.`region-eu`.INFORMATION_SCHEMA.SCHEMATA", "US"),
        (BY_STATUS, "EU"),
    ],
)
def test_the_replay_refuses_a_job_placed_away_from_what_it_reads(
    server: ReplayBigQueryServer, sql: str, location: str
) -> None:
    from google.api_core import exceptions as gexc

    with pytest.raises(gexc.NotFound, match=f"not found in location {location}"):
        _raw_client(server).query_and_wait(sql, location=location)


def test_a_query_on_a_non_us_dataset_runs_where_the_dataset_lives(
    bq: BigQueryWarehouse, server: ReplayBigQueryServer
) -> None:
    result = bq.query("SELECT campaign_id, spend FROM `bridge-demo.marketing_eu.campaigns`", (), options())

    assert result.rows[0][0] == "spring"
    (request,) = server.job_requests()
    assert request.exchange == "query_campaigns_eu" and "location" not in request.body


def test_validate_runs_in_the_connections_location_when_it_names_one(
    bq: BigQueryWarehouse, server: ReplayBigQueryServer
) -> None:
    bq.validate()

    (request,) = server.job_requests()
    assert request.body["jobReference"]["location"] == "US"


def test_without_project_metadata_access_the_catalog_is_read_dataset_by_dataset(
    bq: BigQueryWarehouse, server: ReplayBigQueryServer
) -> None:
    full = {d.fully_qualified_name: d for d in bq.scan_catalog()}
    with server._lock:
        server.requests.clear()
    server.region_views_denied = True
    try:
        fallback = {d.fully_qualified_name: d for d in bq.scan_catalog()}
    finally:
        server.region_views_denied = False

    assert [r.exchange for r in server.api_requests()] == [
        "datasets_list",
        "refused_region_views",
        "catalog_dataset_marketing_eu",
        "refused_region_views",
        "catalog_dataset_scratch",
        "catalog_dataset_thelook_ecommerce",
    ]
    assert sorted(fallback) == sorted(full)
    for name, dataset in full.items():
        assert fallback[name].tables == dataset.tables
        assert fallback[name].location == dataset.location
    assert fallback[f"{PROJECT}.thelook_ecommerce"].description is None  # SCHEMATA_OPTIONS is regional


def test_a_dropped_and_recreated_table_lists_its_columns_once(
    bq: BigQueryWarehouse, server: ReplayBigQueryServer
) -> None:
    datasets = {d.fully_qualified_name: d for d in bq.scan_catalog()}
    orders = next(
        t
        for t in datasets[f"{PROJECT}.thelook_ecommerce"].tables
        if t.fully_qualified_name.endswith(".orders")
    )
    assert [c.name for c in orders.columns] == ["order_id", "status", "created_at"]
    assert orders.row_count == 125_000

    # The same query without the deleted filter gets the dropped table's storage row too.
    unfiltered = server.job_requests()[-1].body["query"].replace("WHERE NOT deleted", "")
    rows = list(_raw_client(server).query_and_wait(unfiltered, location="US"))
    assert sum(1 for r in rows if r["table_name"] == "orders") == 2 * len(orders.columns)


def test_require_partition_filter_is_read_from_the_catalog(bq: BigQueryWarehouse) -> None:
    tables = {t.fully_qualified_name.rsplit(".", 1)[1]: t for d in bq.scan_catalog() for t in d.tables}

    assert tables["order_items"].require_partition_filter is True
    assert tables["orders"].require_partition_filter is False


def test_a_missing_partition_filter_names_the_column_to_filter(bq: BigQueryWarehouse) -> None:
    with pytest.raises(WarehouseError) as caught:
        bq.dry_run("SELECT COUNT(*) FROM `bridge-demo.thelook_ecommerce.events`")

    assert caught.value.details == {
        "table": "bridge-demo.thelook_ecommerce.events",
        "partition_columns": ["event_date"],
    }
    assert "event_date" in caught.value.message


def test_over_the_cap_on_the_polling_path_is_byte_cap_exceeded_too(
    bq: BigQueryWarehouse, server: ReplayBigQueryServer
) -> None:
    with pytest.raises(ByteCapExceeded) as caught:
        bq.query("SELECT * FROM `bridge-demo.thelook_ecommerce.events`", (), options(cap=1000))

    assert caught.value.details == {"max_bytes_billed": 1000, "bytes_required": 10_485_760}
    assert "query_over_cap_results" in [r.exchange for r in server.api_requests()]
