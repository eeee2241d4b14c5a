"""The DuckDB adapter's memos: each text rendered once, its reads once per data version, each
partition share once per (table, filter, parameter values) and data version."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest
import sqlglot
from doubles.duckdb_files import partitioned_events
from doubles.recording_warehouse import RecordingWarehouse

from shared.adapters.warehouse import bytes_estimate, duckdb_prepared
from shared.adapters.warehouse.duckdb_adapter import DuckDBWarehouse
from shared.adapters.warehouse.port import ParsedSql, QueryOptions, QueryParam

CAP = 10**12


SQL = "SELECT COUNT(id) AS n FROM `acme.shop.events` WHERE day >= @since"


def _since(day: str) -> tuple[QueryParam, ...]:
    return (QueryParam("since", "DATE", day),)


def test_each_partition_share_is_counted_once_per_filter_values_and_data_version(tmp_path: Path) -> None:
    path = partitioned_events(tmp_path / "p.duckdb", 100)
    wh = RecordingWarehouse(path, project="acme")
    half = wh.dry_run(SQL, _since("2024-02-20")).total_bytes_processed  # keeps 50 of 100 days
    assert len(wh.take("SELECT count(*)")) == 1
    assert wh.dry_run(SQL, _since("2024-02-20")).total_bytes_processed == half
    assert wh.take("SELECT count(*)") == []  # the same filter and values: remembered
    quarter = wh.dry_run(SQL, _since("2024-03-16")).total_bytes_processed  # other values: counted
    assert len(wh.take("SELECT count(*)")) == 1
    assert 0 < quarter < half

    partitioned_events(path, 400)  # a new data version: 400 days, the same filter keeps 350 of them
    os.utime(path, ns=(1, 10**18))
    grown = wh.dry_run(SQL, _since("2024-02-20")).total_bytes_processed
    assert len(wh.take("SELECT count(*)")) == 1
    assert grown > half * 3


def test_a_new_data_version_analyses_the_text_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = partitioned_events(tmp_path / "p.duckdb", 100)
    wh = DuckDBWarehouse(path, project="acme")
    calls: list[int] = []
    qualify = bytes_estimate.qualify
    monkeypatch.setattr(bytes_estimate, "qualify", lambda *a, **k: calls.append(1) or qualify(*a, **k))
    wh.dry_run(SQL, _since("2024-01-01"))
    wh.dry_run(SQL, _since("2024-01-02"))
    assert len(calls) == 1
    with duckdb.connect(str(path)) as con:  # the table loses its partitioning
        con.execute("DELETE FROM _bridge.tables")
    os.utime(path, ns=(1, 10**18))
    unpruned = wh.dry_run(SQL, _since("2024-03-01")).total_bytes_processed
    assert len(calls) == 2
    assert unpruned == 100 * 16  # id and day over every row: no partition pruning any more


def test_a_parsed_text_is_transpiled_from_its_tree_and_never_parsed_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = partitioned_events(tmp_path / "p.duckdb", 10)
    wh = DuckDBWarehouse(path, project="acme")
    text = "SELECT MAX(id) AS top FROM `acme.shop.events` /* a text no other test runs */"
    tree = sqlglot.parse_one(text, read="bigquery")
    parses: list[str] = []
    parse = sqlglot.parser.Parser.parse
    monkeypatch.setattr(sqlglot.parser.Parser, "parse", lambda *a, **k: parses.append("p") or parse(*a, **k))
    rows = wh.query(ParsedSql(text, tree), (), QueryOptions(CAP)).rows
    assert rows == [(9,)] and parses == []
    again = wh.query(text, (), QueryOptions(CAP)).rows  # a plain str of the same text: remembered
    assert again == rows and parses == []


def test_a_query_runs_without_a_describe_and_a_dry_run_still_has_its_schema(tmp_path: Path) -> None:
    path = partitioned_events(tmp_path / "p.duckdb", 10)
    wh = RecordingWarehouse(path, project="acme")
    result = wh.query(SQL, _since("2024-01-05"), QueryOptions(CAP))
    assert [c.name for c in result.columns] == ["n"] and result.rows == [(6,)]
    assert wh.take("DESCRIBE") == []
    dry = wh.dry_run(SQL, _since("2024-01-05"))
    assert [(c.name, c.type) for c in dry.schema] == [("n", "INT64")]


def test_a_refusal_is_not_remembered(tmp_path: Path) -> None:
    """A required partition filter is checked on every call, not only when first analysed."""
    from shared.errors import WarehouseError

    path = partitioned_events(tmp_path / "p.duckdb", 10)
    with duckdb.connect(str(path)) as con:
        con.execute("ALTER TABLE _bridge.tables ADD COLUMN require_partition_filter BOOLEAN DEFAULT TRUE")
    wh = DuckDBWarehouse(path, project="acme")
    unfiltered = "SELECT COUNT(id) FROM `acme.shop.events`"
    for _ in range(2):
        with pytest.raises(WarehouseError, match="requires a partition filter"):
            wh.query(unfiltered, (), QueryOptions(CAP))
    assert wh.query(SQL, _since("2024-01-05"), QueryOptions(CAP)).rows == [(6,)]
    assert duckdb_prepared.prepared_text(unfiltered).names_tables
