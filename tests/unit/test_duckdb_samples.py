"""Sample values on the embedded warehouse: real DuckDB files, the demo and small made-up ones."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from shared.adapters.warehouse.duckdb_adapter import DuckDBWarehouse
from shared.adapters.warehouse.port import SampleLimits, TableInfo
from shared.adapters.warehouse.samples import fold

BUDGET = 10**12


def tables_of(wh: DuckDBWarehouse) -> list[TableInfo]:
    return [t for d in wh.scan_catalog() for t in d.tables]


def by_short_name(samples: dict[str, dict[str, list[str]]]) -> dict[str, dict[str, list[str]]]:
    return {name.rsplit(".", 1)[-1]: columns for name, columns in samples.items()}


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    """customers: a repeating country, unique e-mails and names; events: ids and IPs; a view."""
    path = tmp_path / "store.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA shop")
        con.execute(
            "CREATE TABLE shop.customers AS SELECT range AS id,"
            " ['France', 'Germany', 'Japan', 'France', 'Brazil'][range % 5 + 1] AS country,"
            " 'user' || range || '@example.com' AS email, 'Name ' || range AS full_name,"
            " repeat('x', 60) || (range % 2) AS long_text, range * 1.5 AS spend FROM range(400)"
        )
        con.execute(
            "CREATE TABLE shop.events AS SELECT range AS id, md5(CAST(range % 50 AS VARCHAR)) AS session,"
            " '10.0.' || (range % 7) || '.1' AS ip, ['click', 'view'][range % 2 + 1] AS kind FROM range(300)"
        )
        con.execute("CREATE TABLE shop.empty (label VARCHAR)")
        con.execute(
            "CREATE TABLE shop.tiny AS SELECT * FROM (VALUES ('north'), ('south'), ('east')) t(region)"
        )
        con.execute("CREATE VIEW shop.v AS SELECT country FROM shop.customers")
    return path


def test_the_demo_keeps_categorical_values_and_drops_personal_ones(demo_warehouse: Path) -> None:
    wh = DuckDBWarehouse(demo_warehouse, project="demo")
    samples = by_short_name(wh.sample_values(tables_of(wh), SampleLimits(max_bytes_billed=BUDGET)))

    assert set(samples) == {
        "distribution_centers", "events", "inventory_items", "order_items", "orders", "products", "users",
    }  # fmt: skip
    assert "France" in samples["users"]["country"]
    assert set(samples["orders"]["status"]) == {"Complete", "Shipped", "Cancelled", "Processing", "Returned"}
    assert set(samples["orders"]["gender"]) == {"M", "F"}
    assert "email" not in samples["users"] and "street_address" not in samples["users"]
    assert "ip_address" not in samples["events"] and "session_id" not in samples["events"]
    for columns in samples.values():
        for values in columns.values():
            assert 0 < len(values) <= 10 and all(len(v) <= 40 for v in values)
            assert len(set(values)) == len(values)
        assert sum(len(v.encode()) for vs in columns.values() for v in vs) <= 1_500


def test_values_are_the_most_frequent_first(shop: Path) -> None:
    wh = DuckDBWarehouse(shop, project="p")
    samples = by_short_name(wh.sample_values(tables_of(wh), SampleLimits(max_bytes_billed=BUDGET)))

    customers = samples["customers"]
    assert customers["country"][0] == "France"  # 2 in 5 rows
    assert sorted(customers["country"][1:]) == ["Brazil", "Germany", "Japan"]
    assert "email" not in customers and "full_name" not in customers  # every value distinct
    assert "long_text" not in customers  # longer than 40 characters
    assert set(samples["events"]) == {"kind"}  # hashes and IP addresses are not categories
    assert samples["tiny"] == {"region": ["east", "north", "south"]}  # few distinct values: all kept
    assert samples["empty"] == {}  # sampled, nothing to keep
    assert "v" not in samples  # views are not sampled


def test_tables_are_sampled_in_order_while_the_byte_budget_lasts(shop: Path) -> None:
    wh = DuckDBWarehouse(shop, project="p")
    tables = {t.fully_qualified_name.rsplit(".", 1)[-1]: t for t in tables_of(wh)}
    ordered = [tables["events"], tables["customers"], tables["tiny"]]
    everything = wh.sample_values(ordered, SampleLimits(max_bytes_billed=BUDGET))
    assert len(everything) == 3

    # a table is priced like a query reading its text columns: a budget for events and tiny only
    def price(sql: str) -> int:
        return wh.dry_run(sql).total_bytes_processed

    budget = price("SELECT session, ip, kind FROM shop.events") + price("SELECT region FROM shop.tiny")
    assert price("SELECT country, email, full_name, long_text FROM shop.customers") > 0
    some = by_short_name(wh.sample_values(ordered, SampleLimits(max_bytes_billed=budget)))
    assert set(some) == {"events", "tiny"}  # customers did not fit; tiny, after it, still did

    assert wh.sample_values(ordered, SampleLimits(max_bytes_billed=1)) == {}


def test_a_passed_deadline_ends_the_sampling_without_an_error(shop: Path) -> None:
    wh = DuckDBWarehouse(shop, project="p")
    tables = tables_of(wh)
    assert wh.sample_values(tables, SampleLimits(max_bytes_billed=BUDGET, timeout_s=1e-9)) == {}
    # and the warehouse keeps working
    assert len(wh.sample_values(tables, SampleLimits(max_bytes_billed=BUDGET))) == 4


def test_odd_names_are_quoted_never_spliced(tmp_path: Path) -> None:
    path = tmp_path / "odd.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute('CREATE SCHEMA "we\'ird"')
        con.execute(
            'CREATE TABLE "we\'ird"."t""x" AS SELECT [\'a\', \'b\'][range % 2 + 1] AS "it\'s ""c""" FROM range(6)'
        )
    wh = DuckDBWarehouse(path, project="p")
    samples = wh.sample_values(tables_of(wh), SampleLimits(max_bytes_billed=BUDGET))
    assert samples == {"p.we'ird.t\"x": {'it\'s "c"': ["a", "b"]}}


def test_the_fold_bounds_bytes_per_table_and_per_scan() -> None:
    from shared.adapters.warehouse.port import Column

    table = TableInfo("p.d.t", columns=(Column("a", "STRING"), Column("b", "STRING")))
    other = TableInfo("p.d.u", columns=(Column("a", "STRING"),))
    rows = [(0, 0, f"{'x' * 30}{i}", 5, 10, 50) for i in range(10)]  # 310 bytes
    rows += [(0, 1, f"b{i}", 2, 4, 8) for i in range(4)]
    rows += [(1, 0, "solo", 3, 1, 3)]
    chosen = [(table, ["a", "b"]), (other, ["a"])]

    roomy, used = fold(rows, chosen, SampleLimits(max_bytes_billed=1))
    assert len(roomy["p.d.t"]["a"]) == 10 and roomy["p.d.t"]["b"] == ["b0", "b1", "b2", "b3"]
    assert roomy["p.d.u"] == {"a": ["solo"]} and used == 310 + 8 + 4

    per_table, _ = fold(rows, chosen, SampleLimits(max_bytes_billed=1, bytes_per_table=100))
    assert per_table["p.d.t"] == {"b": ["b0", "b1", "b2", "b3"]}

    per_scan, used = fold(rows, chosen, SampleLimits(max_bytes_billed=1, total_bytes=315))
    assert per_scan == {"p.d.t": {"a": roomy["p.d.t"]["a"]}, "p.d.u": {"a": ["solo"]}} and used == 314
