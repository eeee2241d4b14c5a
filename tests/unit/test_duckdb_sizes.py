"""Column sizes of the embedded warehouse: nominal at scan, measured exactly once a query reads a table."""

from __future__ import annotations

from pathlib import Path

import duckdb
from doubles.recording_warehouse import RecordingWarehouse

from shared.adapters.warehouse.duckdb_adapter import DuckDBWarehouse
from shared.adapters.warehouse.duckdb_sizes import NOMINAL_WIDTH

ROWS = 8192


def _file(path: Path) -> Path:
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA shop")
        con.execute(
            f"CREATE TABLE shop.big AS SELECT range AS id,"
            f" CASE WHEN range < 1000 THEN 'ab' ELSE repeat('x', 30) END AS label FROM range({ROWS})"
        )
        con.execute("CREATE TABLE shop.small AS SELECT range AS id, 'abc' AS label FROM range(10)")
    return path


def _exact(path: Path, table: str) -> int:
    with duckdb.connect(str(path), read_only=True) as con:
        row = con.execute(f"SELECT sum(strlen(label)) + 2 * count(label) FROM shop.{table}").fetchone()
    assert row is not None
    return int(row[0])


def test_a_scan_reads_no_strings_and_a_dry_run_measures_only_the_table_it_reads_once(tmp_path: Path) -> None:
    path = _file(tmp_path / "w.duckdb")
    wh = RecordingWarehouse(path, project="acme")
    tables = {t.fully_qualified_name: t for d in wh.scan_catalog() for t in d.tables}
    assert tables["acme.shop.big"].size_bytes == 8 * ROWS + NOMINAL_WIDTH * ROWS  # id exact, label nominal
    assert not [s for s in wh.sent if "strlen" in s]

    before = len(wh.sent)
    assert wh.dry_run("SELECT label FROM shop.big").total_bytes_processed == _exact(path, "big")
    measures = [s for s in wh.sent[before:] if "strlen" in s]
    assert len(measures) == 1 and "shop.big" in measures[0].replace('"', "") and "small" not in measures[0]

    before = len(wh.sent)
    both = wh.dry_run("SELECT id, label FROM shop.big").total_bytes_processed
    assert both == 8 * ROWS + _exact(path, "big")
    assert not [s for s in wh.sent[before:] if "strlen" in s]  # measured once per data version


def test_a_single_table_lookup_has_exact_sizes(tmp_path: Path) -> None:
    path = _file(tmp_path / "w.duckdb")
    wh = DuckDBWarehouse(path, project="acme")
    assert wh.table("acme.shop.small").size_bytes == 8 * 10 + _exact(path, "small")
    assert wh.table("acme.shop.big").size_bytes == 8 * ROWS + _exact(path, "big")
    assert wh.dry_run("SELECT * FROM shop.big").total_bytes_processed == wh.table("acme.shop.big").size_bytes


def test_qualification_uses_only_the_tables_a_query_names() -> None:
    from shared.adapters.warehouse.bytes_estimate import analyze_reads
    from shared.adapters.warehouse.dialect import parse_bigquery

    sql = "SELECT label, COUNT(*) FROM `acme.shop.big` b JOIN acme.shop.small s ON s.id = b.id GROUP BY 1"
    named = {("shop", "big"): {"id": "INT64", "label": "STRING"}, ("shop", "small"): {"id": "INT64"}}
    # thousands of unrelated tables, one of them a same-named table in another dataset
    padded = {**named, **{("archive", f"t{i}"): {"id": "INT64", "label": "STRING"} for i in range(2_000)}}
    padded[("archive", "big")] = {"other": "STRING"}
    small_reads = analyze_reads(parse_bigquery(sql), named, "acme")
    assert analyze_reads(parse_bigquery(sql), padded, "acme") == small_reads
    assert {k: sorted(r.columns) for k, r in small_reads.items()} == {
        ("shop", "big"): ["id", "label"],
        ("shop", "small"): ["id"],
    }


def test_a_repeated_query_shares_its_parse_and_keeps_its_estimates(tmp_path: Path) -> None:
    from shared.adapters.warehouse import duckdb_prepared
    from shared.adapters.warehouse.port import QueryOptions, QueryParam

    path = _file(tmp_path / "w.duckdb")
    wh = DuckDBWarehouse(path, project="acme")
    sql = "SELECT label FROM shop.big WHERE id >= @low"
    first = wh.dry_run(sql, (QueryParam("low", "INT64", 0),)).total_bytes_processed
    shared = duckdb_prepared.prepared_text(sql)
    again = wh.dry_run(sql, (QueryParam("low", "INT64", 5),)).total_bytes_processed
    assert duckdb_prepared.prepared_text(sql) is shared
    assert first == again == 8 * ROWS + _exact(path, "big")  # id is read by the filter
    rows = wh.query(sql, (QueryParam("low", "INT64", ROWS - 2),), QueryOptions(10**12)).rows
    assert len(rows) == 2
