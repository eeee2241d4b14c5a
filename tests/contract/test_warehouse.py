"""Contract of the ``Warehouse`` port, run against every adapter in ``WAREHOUSE_FACTORIES``.

Only behaviour BigQuery itself shows belongs here; DuckDB-only checks live in
tests/unit/test_duckdb_warehouse.py.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from shared.adapters.warehouse.port import QueryOptions, QueryParam, Warehouse
from shared.errors import ByteCapExceeded, NotFound, WarehouseError

THELOOK = ("distribution_centers", "events", "inventory_items", "order_items", "orders", "products", "users")
CAP = 10**12


def fqn(wh: Warehouse, table: str) -> str:
    return f"`{wh.project}.thelook_ecommerce.{table}`"


def run(wh: Warehouse, sql: str, *params: QueryParam, row_limit: int = 1000) -> list[tuple[Any, ...]]:
    return wh.query(sql, params, QueryOptions(max_bytes_billed=CAP, row_limit=row_limit)).rows


def naive(value: Any) -> Any:
    """BigQuery TIMESTAMPs come back in UTC with tzinfo; compare wall-clock values."""
    return value.replace(tzinfo=None) if isinstance(value, datetime) else value


# -- connection and catalog -----------------------------------------------------------------------


def test_validate_accepts_a_working_connection(warehouse: Warehouse) -> None:
    warehouse.validate()


def test_scan_lists_the_thelook_tables_with_rows_and_metadata(warehouse: Warehouse) -> None:
    datasets = {d.fully_qualified_name: d for d in warehouse.scan_catalog()}
    thelook = datasets[f"{warehouse.project}.thelook_ecommerce"]
    tables = {t.fully_qualified_name.rsplit(".", 1)[1]: t for t in thelook.tables}

    assert set(THELOOK) <= set(tables)
    for name in THELOOK:
        assert tables[name].row_count and tables[name].row_count > 0, name
        assert tables[name].size_bytes and tables[name].size_bytes > 0, name
        assert tables[name].description, name
        assert tables[name].columns, name
    for name in ("orders", "order_items", "events"):
        assert tables[name].partitioning == "created_at"
    assert "product_id" in tables["order_items"].clustering
    assert tables["order_items"].row_count > tables["orders"].row_count  # type: ignore[operator]


def test_scan_types_columns_in_bigquery_terms(warehouse: Warehouse) -> None:
    (thelook,) = [
        d for d in warehouse.scan_catalog() if d.fully_qualified_name.endswith(".thelook_ecommerce")
    ]
    types = {
        (t.fully_qualified_name.rsplit(".", 1)[1], c.name): c.type for t in thelook.tables for c in t.columns
    }
    assert types[("orders", "order_id")] == "INT64"
    assert types[("orders", "created_at")] == "TIMESTAMP"
    assert types[("order_items", "sale_price")] == "FLOAT64"
    assert types[("users", "country")] == "STRING"


def test_table_returns_one_table_with_columns(warehouse: Warehouse) -> None:
    info = warehouse.table(f"{warehouse.project}.thelook_ecommerce.orders")

    assert info.fully_qualified_name == f"{warehouse.project}.thelook_ecommerce.orders"
    assert [c.name for c in info.columns][:3] == ["order_id", "user_id", "status"]
    assert info.partitioning == "created_at"
    assert info.row_count and info.row_count > 0


def test_table_accepts_backticked_names(warehouse: Warehouse) -> None:
    info = warehouse.table(fqn(warehouse, "users"))
    assert info.fully_qualified_name.endswith("thelook_ecommerce.users")


@pytest.mark.parametrize("name", ["thelook_ecommerce.no_such_table", "no_such_dataset.orders"])
def test_table_raises_not_found_when_absent(warehouse: Warehouse, name: str) -> None:
    with pytest.raises(NotFound):
        warehouse.table(f"{warehouse.project}.{name}")


# -- dry run ------------------------------------------------------------------------------------


def test_dry_run_estimates_bytes_that_grow_with_columns(warehouse: Warehouse) -> None:
    one = warehouse.dry_run(f"SELECT order_id FROM {fqn(warehouse, 'orders')}")
    two = warehouse.dry_run(f"SELECT order_id, status FROM {fqn(warehouse, 'orders')}")
    star = warehouse.dry_run(f"SELECT * FROM {fqn(warehouse, 'orders')}")

    assert one.total_bytes_processed > 0
    assert one.total_bytes_processed < two.total_bytes_processed < star.total_bytes_processed
    assert any(t.endswith("thelook_ecommerce.orders") for t in one.referenced_tables)


def test_dry_run_counts_every_table_of_a_join(warehouse: Warehouse) -> None:
    items = warehouse.dry_run(f"SELECT SUM(sale_price) FROM {fqn(warehouse, 'order_items')}")
    joined = warehouse.dry_run(
        f"SELECT u.country, SUM(oi.sale_price) AS revenue FROM {fqn(warehouse, 'order_items')} oi"
        f" JOIN {fqn(warehouse, 'users')} u ON u.id = oi.user_id GROUP BY u.country"
    )
    assert joined.total_bytes_processed > items.total_bytes_processed
    assert len(joined.referenced_tables) == 2


def test_dry_run_reports_the_result_schema(warehouse: Warehouse) -> None:
    result = warehouse.dry_run(
        "SELECT status, COUNT(*) AS n, SUM(sale_price) AS revenue,"
        " DATE_TRUNC(DATE(created_at), MONTH) AS month"
        f" FROM {fqn(warehouse, 'order_items')} GROUP BY status, month"
    )
    assert [(c.name, c.type) for c in result.schema] == [
        ("status", "STRING"),
        ("n", "INT64"),
        ("revenue", "FLOAT64"),
        ("month", "DATE"),
    ]


@pytest.mark.parametrize(
    ("sql", "mentions"),
    [
        ("SELEC status FROM `{p}.thelook_ecommerce.orders`", ""),
        ("SELECT status FROM `{p}.thelook_ecommerce.no_such_table`", "no_such_table"),
        ("SELECT no_such_column FROM `{p}.thelook_ecommerce.orders`", "no_such_column"),
    ],
)
def test_bad_sql_raises_warehouse_error_naming_the_problem(
    warehouse: Warehouse, sql: str, mentions: str
) -> None:
    with pytest.raises(WarehouseError) as caught:
        warehouse.dry_run(sql.format(p=warehouse.project))
    assert mentions in caught.value.message
    assert "Traceback" not in caught.value.message


# -- parameters ---------------------------------------------------------------------------------


def test_string_parameters_are_data_not_sql(warehouse: Warehouse) -> None:
    assert run(warehouse, "SELECT @name AS echoed", QueryParam("name", "STRING", "O'Brien")) == [("O'Brien",)]
    injected = QueryParam("name", "STRING", "x' OR '1'='1")
    rows = run(
        warehouse, f"SELECT COUNT(*) AS n FROM {fqn(warehouse, 'users')} WHERE last_name = @name", injected
    )
    assert rows == [(0,)]


def test_date_and_int_parameters_filter_rows(warehouse: Warehouse) -> None:
    sql = (
        f"SELECT COUNT(*) AS n FROM {fqn(warehouse, 'orders')}"
        " WHERE DATE(created_at) >= @start AND num_of_item >= @min_items"
    )
    everything = run(
        warehouse, sql, QueryParam("start", "DATE", "2000-01-01"), QueryParam("min_items", "INT64", 1)
    )
    future = run(
        warehouse, sql, QueryParam("start", "DATE", date(2999, 1, 1)), QueryParam("min_items", "INT64", 1)
    )
    assert everything[0][0] > 0
    assert future == [(0,)]


def test_a_parameter_without_a_value_is_an_error(warehouse: Warehouse) -> None:
    with pytest.raises(WarehouseError, match="missing_param"):
        warehouse.dry_run(f"SELECT order_id FROM {fqn(warehouse, 'orders')} WHERE status = @missing_param")


# -- query: byte cap, row limit -----------------------------------------------------------------


def test_query_over_the_byte_cap_is_refused_before_it_runs(warehouse: Warehouse) -> None:
    # Casting a status word to INT64 passes a dry run but fails when executed: getting
    # ByteCapExceeded instead of WarehouseError shows nothing ran.
    sql = f"SELECT CAST(status AS INT64) AS broken FROM {fqn(warehouse, 'orders')}"
    estimate = warehouse.dry_run(sql).total_bytes_processed
    with pytest.raises(WarehouseError):
        warehouse.query(sql, (), QueryOptions(max_bytes_billed=estimate))

    with pytest.raises(ByteCapExceeded) as caught:
        warehouse.query(sql, (), QueryOptions(max_bytes_billed=estimate - 1))
    assert caught.value.details == {"bytes_estimated": estimate, "max_bytes_billed": estimate - 1}
    assert f"{estimate - 1:,}" in caught.value.message


def test_query_under_the_cap_returns_rows_columns_and_bytes(warehouse: Warehouse) -> None:
    sql = f"SELECT status, COUNT(*) AS n FROM {fqn(warehouse, 'orders')} GROUP BY status ORDER BY status"
    estimate = warehouse.dry_run(sql).total_bytes_processed
    result = warehouse.query(sql, (), QueryOptions(max_bytes_billed=estimate))

    assert [(c.name, c.type) for c in result.columns] == [("status", "STRING"), ("n", "INT64")]
    assert [r[0] for r in result.rows] == sorted(
        {"Complete", "Shipped", "Processing", "Cancelled", "Returned"}
    )
    assert not result.truncated
    assert result.bytes_processed == estimate


def test_row_limit_truncates_and_flags_it(warehouse: Warehouse) -> None:
    sql = f"SELECT id FROM {fqn(warehouse, 'order_items')} ORDER BY id"
    result = warehouse.query(sql, (), QueryOptions(max_bytes_billed=CAP, row_limit=5))

    assert len(result.rows) == 5
    assert result.truncated
    assert [r[0] for r in result.rows] == sorted(r[0] for r in result.rows)


def test_exact_fit_is_not_truncated(warehouse: Warehouse) -> None:
    result = warehouse.query(
        f"SELECT id FROM {fqn(warehouse, 'distribution_centers')} ORDER BY id LIMIT 3",
        (),
        QueryOptions(max_bytes_billed=CAP, row_limit=3),
    )
    assert len(result.rows) == 3
    assert not result.truncated


def test_data_version_is_stable_while_nothing_changes(warehouse: Warehouse) -> None:
    tables = (f"{warehouse.project}.thelook_ecommerce.orders",)
    assert warehouse.data_version(tables) == warehouse.data_version(tables)


# -- BigQuery functions dashboards use ----------------------------------------------------------

FUNCTIONS = [
    ("DATE_TRUNC(DATE '2024-05-17', MONTH)", date(2024, 5, 1)),
    ("DATE_TRUNC(DATE '2024-05-17', WEEK)", date(2024, 5, 12)),  # weeks start on Sunday
    ("DATE_TRUNC(DATE '2024-05-17', QUARTER)", date(2024, 4, 1)),
    ("DATE_TRUNC(DATE '2024-05-17', YEAR)", date(2024, 1, 1)),
    ("DATE_TRUNC(DATE(TIMESTAMP '2024-05-17 13:45:00'), MONTH)", date(2024, 5, 1)),
    ("TIMESTAMP_TRUNC(TIMESTAMP '2024-05-17 13:45:10', HOUR)", datetime(2024, 5, 17, 13)),
    ("TIMESTAMP_TRUNC(TIMESTAMP '2024-05-17 13:45:10', DAY)", datetime(2024, 5, 17)),
    ("DATE(TIMESTAMP '2024-05-17 13:45:00')", date(2024, 5, 17)),
    ("EXTRACT(YEAR FROM TIMESTAMP '2024-05-17 13:45:00')", 2024),
    ("EXTRACT(MONTH FROM DATE '2024-05-17')", 5),
    ("FORMAT_DATE('%Y-%m', DATE '2024-05-17')", "2024-05"),
    ("DATE_SUB(DATE '2024-05-17', INTERVAL 12 MONTH)", date(2023, 5, 17)),
    ("DATE_ADD(DATE '2024-05-17', INTERVAL 3 DAY)", date(2024, 5, 20)),
    ("SAFE_DIVIDE(6, 3)", 2.0),
    ("SAFE_DIVIDE(1, 0)", None),
    ("IFNULL(NULL, 3)", 3),
    ("CAST(42 AS STRING)", "42"),
    ("CAST('7' AS INT64)", 7),
    ("CAST(2.5 AS FLOAT64) * 2", 5.0),
]


@pytest.mark.parametrize(("expression", "expected"), FUNCTIONS, ids=[f[0] for f in FUNCTIONS])
def test_bigquery_functions_compute_like_bigquery(
    warehouse: Warehouse, expression: str, expected: Any
) -> None:
    [(value,)] = run(warehouse, f"SELECT {expression} AS v")
    assert naive(value) == expected
    assert type(naive(value)) is type(expected)


def test_aggregates_used_by_dashboards(warehouse: Warehouse) -> None:
    [row] = run(
        warehouse,
        "SELECT COUNT(*) AS n, COUNTIF(status = 'Complete') AS complete,"
        " COUNT(DISTINCT user_id) AS buyers, APPROX_COUNT_DISTINCT(user_id) AS approx_buyers,"
        " SAFE_DIVIDE(COUNTIF(status = 'Returned'), COUNT(*)) AS return_rate"
        f" FROM {fqn(warehouse, 'orders')}",
    )
    n, complete, buyers, approx_buyers, return_rate = row
    assert 0 < complete < n
    assert 0 < buyers <= n
    assert abs(approx_buyers - buyers) <= 0.05 * buyers
    assert 0 < return_rate < 1


def test_last_twelve_months_filter_returns_recent_rows(warehouse: Warehouse) -> None:
    [(n,)] = run(
        warehouse,
        f"SELECT COUNT(*) FROM {fqn(warehouse, 'order_items')}"
        " WHERE DATE(created_at) >= DATE_SUB(CURRENT_DATE(), INTERVAL 12 MONTH)",
    )
    assert n > 0


def test_monthly_revenue_with_cte_join_qualify_and_limit(warehouse: Warehouse) -> None:
    rows = run(
        warehouse,
        f"""
        WITH monthly AS (
          SELECT DATE_TRUNC(DATE(oi.created_at), MONTH) AS month, u.country, SUM(oi.sale_price) AS revenue
          FROM {fqn(warehouse, "order_items")} oi JOIN {fqn(warehouse, "users")} u ON u.id = oi.user_id
          WHERE oi.status NOT IN ('Cancelled', 'Returned')
          GROUP BY month, u.country
        )
        SELECT month, country, revenue FROM monthly
        QUALIFY ROW_NUMBER() OVER (PARTITION BY month ORDER BY revenue DESC) = 1
        ORDER BY month DESC
        LIMIT 6
        """,
    )
    assert len(rows) == 6
    months = [r[0] for r in rows]
    assert months == sorted(months, reverse=True) and len(set(months)) == 6
    assert all(isinstance(m, date) and m.day == 1 for m in months)
    assert all(r[2] > 0 for r in rows)


def test_cast_to_string_and_int_in_grouping(warehouse: Warehouse) -> None:
    rows = run(
        warehouse,
        "SELECT CAST(EXTRACT(YEAR FROM created_at) AS STRING) AS year, CAST(SUM(num_of_item) AS INT64) AS items"
        f" FROM {fqn(warehouse, 'orders')} GROUP BY year ORDER BY year",
    )
    assert rows[0][0] == "2019"
    assert all(isinstance(y, str) and isinstance(n, int) for y, n in rows)
