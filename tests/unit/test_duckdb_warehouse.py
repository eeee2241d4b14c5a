"""DuckDB-only behaviour of the embedded warehouse (the shared contract is in tests/contract)."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
from doubles.duckdb_files import SLOW_SQL

from shared.adapters.warehouse.duckdb_adapter import DuckDBWarehouse
from shared.adapters.warehouse.port import QueryOptions, QueryParam
from shared.errors import NotFound, Timeout, UnsafeSql, WarehouseError

CAP = 10**12


class CountingWarehouse(DuckDBWarehouse):
    """The real adapter, counting the statements it sends to DuckDB."""

    statements = 0

    def _run(self, cursor: Any, sql: str, params: dict[str, Any] | None = None) -> Any:
        self.statements += 1
        return super()._run(cursor, sql, params)


def make_file(path: Path, *statements: str) -> Path:
    with duckdb.connect(str(path)) as con:
        for statement in statements:
            con.execute(statement)
    return path


def tables_file(path: Path, n_tables: int) -> Path:
    statements = ["CREATE SCHEMA sales", "CREATE SCHEMA ops"]
    for i in range(n_tables):
        schema = "sales" if i % 2 else "ops"
        statements.append(
            f"CREATE TABLE {schema}.t{i} AS SELECT range AS id, 'row ' || range AS label FROM range(10)"
        )
    return make_file(path, *statements)


@pytest.fixture
def small(tmp_path: Path) -> Path:
    """One table with known bytes: 3 x INT64 = 24, strings 'ab','c',NULL = (2+2)+(1+2) = 7."""
    return make_file(
        tmp_path / "small.duckdb",
        "CREATE SCHEMA shop",
        "CREATE TABLE shop.items (id BIGINT, label VARCHAR, price DECIMAL(10,2), ok BOOLEAN,"
        " day DATE, tags VARCHAR[])",
        "INSERT INTO shop.items VALUES (1, 'ab', 1.50, true, '2024-01-01', ['x']),"
        " (2, 'c', 2.00, false, '2024-01-02', []), (3, NULL, NULL, NULL, NULL, NULL)",
        "COMMENT ON TABLE shop.items IS 'Things we sell'",
        "COMMENT ON COLUMN shop.items.label IS 'Shelf label'",
    )


# -- catalog ------------------------------------------------------------------------------------


def test_scan_runs_a_fixed_number_of_statements_whatever_the_table_count(tmp_path: Path) -> None:
    counts = []
    for n in (2, 24):
        wh = CountingWarehouse(tables_file(tmp_path / f"t{n}.duckdb", n), project="p")
        datasets = wh.scan_catalog()
        assert sum(len(d.tables) for d in datasets) == n
        counts.append(wh.statements)
    assert counts[0] == counts[1]


def test_scan_is_cached_until_the_file_changes(tmp_path: Path) -> None:
    wh = CountingWarehouse(tables_file(tmp_path / "t.duckdb", 2), project="p")
    wh.scan_catalog()
    before = wh.statements
    wh.scan_catalog()
    assert wh.statements == before
    wh.table("p.sales.t1")  # its string columns measured, once (tests/unit/test_duckdb_sizes.py)
    measured = wh.statements
    wh.table("p.sales.t1")
    wh.scan_catalog()
    assert wh.statements == measured <= before + 1


def test_user_files_map_schemas_to_datasets_and_types_to_bigquery(small: Path) -> None:
    wh = DuckDBWarehouse(small, project="acme")
    [dataset] = wh.scan_catalog()  # the empty ``main`` schema is not a dataset
    [table] = dataset.tables

    assert dataset.fully_qualified_name == "acme.shop"
    assert table.fully_qualified_name == "acme.shop.items"
    assert table.description == "Things we sell"
    assert table.row_count == 3
    assert table.partitioning is None
    assert [(c.name, c.type) for c in table.columns] == [
        ("id", "INT64"),
        ("label", "STRING"),
        ("price", "NUMERIC"),
        ("ok", "BOOL"),
        ("day", "DATE"),
        ("tags", "ARRAY<STRING>"),
    ]
    assert table.columns[1].description == "Shelf label"


def test_demo_catalog_hides_the_bridge_metadata_schema(demo_warehouse: Path) -> None:
    names = [d.fully_qualified_name for d in DuckDBWarehouse(demo_warehouse).scan_catalog()]
    assert names == ["demo.thelook_ecommerce"]
    with pytest.raises(NotFound):
        DuckDBWarehouse(demo_warehouse).table("demo._bridge.tables")


def test_table_accepts_dataset_dot_table_and_ignores_case(small: Path) -> None:
    wh = DuckDBWarehouse(small, project="acme")
    assert wh.table("shop.items").row_count == 3
    assert wh.table("ACME.Shop.Items").row_count == 3
    with pytest.raises(NotFound):
        wh.table("other_project.shop.items")


# -- byte estimate ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT id FROM shop.items", 24),
        ("SELECT label FROM shop.items", 7),
        ("SELECT id, label FROM `acme.shop.items` WHERE id > 1", 31),
        ("SELECT ok FROM shop.items", 3),
        ("SELECT COUNT(*) FROM shop.items", 0),
        ("SELECT 1", 0),
        ("SELECT a.id FROM shop.items a JOIN shop.items b ON a.id = b.id", 24),
        ("WITH x AS (SELECT label AS l FROM shop.items) SELECT l FROM x", 7),
    ],
)
def test_bytes_follow_bigquery_column_widths(small: Path, sql: str, expected: int) -> None:
    assert DuckDBWarehouse(small, project="acme").dry_run(sql).total_bytes_processed == expected


def test_select_star_counts_every_column(small: Path) -> None:
    wh = DuckDBWarehouse(small, project="acme")
    table = wh.table("acme.shop.items")
    assert wh.dry_run("SELECT * FROM shop.items").total_bytes_processed == table.size_bytes


def test_a_filter_on_the_partition_column_prunes_the_estimate(demo_warehouse: Path) -> None:
    wh = DuckDBWarehouse(demo_warehouse)
    base = "SELECT SUM(sale_price) AS revenue FROM thelook_ecommerce.order_items oi"
    start = (QueryParam("start", "DATE", "2025-01-01"),)

    full = wh.dry_run(base + " WHERE created_at IS NOT NULL OR status = 'x'").total_bytes_processed
    pruned = wh.dry_run(base + " WHERE DATE(created_at) >= @start", start).total_bytes_processed
    later = wh.dry_run(base + " WHERE DATE(oi.created_at) >= DATE '2026-01-01'").total_bytes_processed
    other = wh.dry_run(base + " WHERE status = 'Complete' AND DATE(created_at) >= @start", start)

    assert 0 < later < pruned < full
    assert other.total_bytes_processed > pruned  # status is read too, over the same partitions


def test_pruning_needs_every_read_of_the_table_filtered(demo_warehouse: Path) -> None:
    wh = DuckDBWarehouse(demo_warehouse)
    join = "SELECT COUNT(*) FROM thelook_ecommerce.orders a JOIN thelook_ecommerce.orders b USING (order_id)"

    def estimate(where: str) -> int:
        return wh.dry_run(f"{join} WHERE {where}").total_bytes_processed

    one_side = estimate("a.created_at >= TIMESTAMP '2026-01-01'")
    both_sides = estimate("a.created_at >= TIMESTAMP '2026-01-01' AND b.created_at >= TIMESTAMP '2026-01-01'")
    not_prunable = estimate("a.created_at >= TIMESTAMP '2026-01-01' OR a.order_id < 0")
    assert one_side == not_prunable
    assert 0 < both_sides < one_side


def test_filters_on_unpartitioned_tables_do_not_prune(demo_warehouse: Path) -> None:
    wh = DuckDBWarehouse(demo_warehouse)
    everything = wh.dry_run("SELECT id, created_at FROM thelook_ecommerce.users").total_bytes_processed
    filtered = wh.dry_run(
        "SELECT id, created_at FROM thelook_ecommerce.users WHERE created_at >= TIMESTAMP '2026-01-01'"
    ).total_bytes_processed
    assert filtered == everything


# -- SQL handling -------------------------------------------------------------------------------


def test_project_names_with_dashes_resolve(demo_warehouse: Path) -> None:
    wh = DuckDBWarehouse(demo_warehouse, project="my-proj")
    rows = wh.query(
        "SELECT COUNT(*) FROM `my-proj.thelook_ecommerce.orders`", (), QueryOptions(max_bytes_billed=CAP)
    ).rows
    assert rows[0][0] > 0


@pytest.mark.parametrize(
    "sql",
    [
        "DROP TABLE thelook_ecommerce.users",
        "CREATE TABLE memory.main.x AS SELECT 1 AS a",
        "SELECT 1; SELECT 2",
    ],
)
def test_only_a_single_select_runs(demo_warehouse: Path, sql: str) -> None:
    with pytest.raises(UnsafeSql):
        DuckDBWarehouse(demo_warehouse).query(sql, (), QueryOptions(max_bytes_billed=CAP))


def test_sql_cannot_read_local_files(demo_warehouse: Path) -> None:
    with pytest.raises(WarehouseError, match="disabled"):
        DuckDBWarehouse(demo_warehouse).query(
            "SELECT * FROM read_csv('/etc/passwd')", (), QueryOptions(max_bytes_billed=CAP)
        )


def test_errors_drop_duckdb_caret_excerpts(demo_warehouse: Path) -> None:
    with pytest.raises(WarehouseError) as caught:
        DuckDBWarehouse(demo_warehouse).dry_run("SELECT nope FROM thelook_ecommerce.orders")
    assert "LINE 1" not in caught.value.message
    assert '"nope"' in caught.value.message


@pytest.mark.parametrize(
    ("param", "expected"),
    [
        (QueryParam("v", "TIMESTAMP", "2024-05-17T10:00:00+02:00"), datetime(2024, 5, 17, 8)),
        (QueryParam("v", "NUMERIC", "1.25"), Decimal("1.25")),
        (QueryParam("v", "BOOL", True), True),
        (QueryParam("v", "FLOAT64", 2), 2.0),
    ],
)
def test_parameters_are_bound_with_their_bigquery_type(
    demo_warehouse: Path, param: QueryParam, expected: Any
) -> None:
    rows = (
        DuckDBWarehouse(demo_warehouse)
        .query("SELECT @v AS v", (param,), QueryOptions(max_bytes_billed=CAP))
        .rows
    )
    assert rows == [(expected,)]


@pytest.mark.parametrize(
    "param",
    [QueryParam("v", "INT64", "abc"), QueryParam("v", "DATE", "yesterday"), QueryParam("v", "STRING", 5)],
)
def test_invalid_parameter_values_are_rejected(demo_warehouse: Path, param: QueryParam) -> None:
    with pytest.raises(WarehouseError, match="@v"):
        DuckDBWarehouse(demo_warehouse).dry_run("SELECT @v AS v", (param,))


# -- connection life cycle ----------------------------------------------------------------------


def test_missing_file_fails_validation_clearly(tmp_path: Path) -> None:
    wh = DuckDBWarehouse(tmp_path / "absent.duckdb")
    with pytest.raises(WarehouseError, match="DuckDB file is not available"):
        wh.validate()
    assert wh.data_version(()) is None


def test_corrupt_file_fails_validation_clearly(tmp_path: Path) -> None:
    bad = tmp_path / "bad.duckdb"
    bad.write_bytes(b"not a database" * 100)
    with pytest.raises(WarehouseError, match="DuckDB file is not available"):
        DuckDBWarehouse(bad).validate()


def test_reserved_project_alias_is_refused(small: Path) -> None:
    with pytest.raises(WarehouseError):
        DuckDBWarehouse(small, project="memory")


def test_the_file_is_attached_read_only(small: Path) -> None:
    wh = DuckDBWarehouse(small, project="acme")
    rows = wh.query(
        "SELECT database_name, readonly FROM duckdb_databases() WHERE database_name = 'acme'",
        (),
        QueryOptions(max_bytes_billed=CAP),
    ).rows
    assert rows == [("acme", True)]


def test_a_replaced_file_is_reopened_with_a_new_version(tmp_path: Path) -> None:
    path = make_file(tmp_path / "w.duckdb", "CREATE TABLE main.t AS SELECT 1 AS v")
    wh = DuckDBWarehouse(path, project="p")
    first = wh.data_version(())
    assert wh.query("SELECT v FROM main.t", (), QueryOptions(max_bytes_billed=CAP)).rows == [(1,)]

    replacement = make_file(tmp_path / "w2.duckdb", "CREATE TABLE main.t AS SELECT 2 AS v UNION ALL SELECT 3")
    os.replace(replacement, path)

    assert wh.data_version(()) != first
    assert wh.query("SELECT SUM(v) FROM main.t", (), QueryOptions(max_bytes_billed=CAP)).rows == [(5,)]
    assert wh.table("p.main.t").row_count == 2


def test_slow_queries_time_out_and_the_warehouse_keeps_working(demo_warehouse: Path) -> None:
    wh = DuckDBWarehouse(demo_warehouse)
    slow = SLOW_SQL
    with pytest.raises(Timeout):
        wh.query(slow, (), QueryOptions(max_bytes_billed=CAP, timeout_s=0.2))
    assert wh.query("SELECT 1", (), QueryOptions(max_bytes_billed=CAP)).rows == [(1,)]


def test_concurrent_queries_from_threads_get_their_own_results(demo_warehouse: Path) -> None:
    wh = DuckDBWarehouse(demo_warehouse)

    def query(n: int) -> list[tuple[Any, ...]]:
        return wh.query(
            "SELECT order_id FROM thelook_ecommerce.orders WHERE order_id = @n",
            (QueryParam("n", "INT64", n),),
            QueryOptions(max_bytes_billed=CAP),
        ).rows

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(query, range(1, 41)))
    assert results == [[(n,)] for n in range(1, 41)]
