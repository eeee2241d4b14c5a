"""The DuckDB adapter's cursors: set up (``USE``) once and reused, never reused when they could
carry an interrupt or unread rows, never more than ``IDLE_CURSORS`` kept."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import pytest
from doubles.duckdb_files import SLOW_SQL
from doubles.recording_warehouse import RecordingWarehouse

from shared.adapters.warehouse.duckdb_adapter import IDLE_CURSORS
from shared.adapters.warehouse.port import QueryOptions
from shared.errors import Timeout

CAP = 10**12
OPTIONS = QueryOptions(max_bytes_billed=CAP)


def _file(path: Path, rows: int = 5) -> Path:
    path.unlink(missing_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA shop")
        con.execute(f"CREATE TABLE shop.items AS SELECT range AS id FROM range({rows})")
    return path


def test_a_cursor_runs_use_once_and_serves_the_next_calls(tmp_path: Path) -> None:
    wh = RecordingWarehouse(_file(tmp_path / "a.duckdb"), project="acme")
    for n in range(10):
        # unqualified dataset.table resolves in the project: the reused cursor keeps its USE
        assert wh.query(f"SELECT {n} AS n, COUNT(*) AS c FROM shop.items", (), OPTIONS).rows == [(n, 5)]
    wh.dry_run("SELECT id FROM shop.items")
    wh.scan_catalog()
    assert wh.take("USE") == ["USE acme"]


def test_a_new_data_version_sets_up_a_new_cursor_and_drops_the_old_ones(tmp_path: Path) -> None:
    path = _file(tmp_path / "a.duckdb")
    wh = RecordingWarehouse(path, project="acme")
    assert wh.query("SELECT COUNT(*) FROM shop.items", (), OPTIONS).rows == [(5,)]
    _file(path, rows=7)
    os.utime(path, ns=(1, 10**18))
    assert wh.query("SELECT COUNT(*) FROM shop.items", (), OPTIONS).rows == [(7,)]
    assert wh.take("USE") == ["USE acme", "USE acme"]
    assert wh.idle_cursors == 1


def test_a_cursor_with_rows_left_unread_is_not_reused(tmp_path: Path) -> None:
    wh = RecordingWarehouse(_file(tmp_path / "a.duckdb"), project="acme")
    truncated = wh.query(
        "SELECT id FROM shop.items ORDER BY id", (), QueryOptions(max_bytes_billed=CAP, row_limit=2)
    )
    assert truncated.truncated and wh.idle_cursors == 0
    assert wh.query("SELECT COUNT(*) FROM shop.items", (), OPTIONS).rows == [(5,)]
    assert wh.take("USE") == ["USE acme", "USE acme"]


def test_a_timed_out_cursor_is_closed_and_the_next_call_gets_a_fresh_one(demo_warehouse: Path) -> None:
    wh = RecordingWarehouse(demo_warehouse)
    slow = SLOW_SQL
    with pytest.raises(Timeout):
        wh.query(slow, (), QueryOptions(max_bytes_billed=CAP, timeout_s=0.2))
    assert wh.idle_cursors == 0
    assert wh.query("SELECT 1", (), OPTIONS).rows == [(1,)]
    assert wh.take("USE") == ["USE demo", "USE demo"]


def test_idle_cursors_stay_within_their_bound_under_concurrent_calls(tmp_path: Path) -> None:
    wh = RecordingWarehouse(_file(tmp_path / "a.duckdb"), project="acme")

    def count(n: int) -> int:
        return int(wh.query(f"SELECT COUNT(*) + {n} FROM shop.items", (), OPTIONS).rows[0][0])

    with ThreadPoolExecutor(max_workers=3 * IDLE_CURSORS) as pool:
        assert list(pool.map(count, range(200))) == [5 + n for n in range(200)]
    assert 1 <= wh.idle_cursors <= IDLE_CURSORS
