"""Small DuckDB files and statements the adapter tests share."""

from __future__ import annotations

from pathlib import Path

import duckdb

# A string comparison DuckDB cannot rule out from column statistics: ~3e10 rows to test.
SLOW_SQL = (
    "SELECT COUNT(*) FROM thelook_ecommerce.orders a CROSS JOIN thelook_ecommerce.orders b"
    " CROSS JOIN thelook_ecommerce.orders c"
    " WHERE CONCAT(a.status, b.status, CAST(a.order_id + b.order_id - c.order_id AS STRING)) = 'x'"
)


def partitioned_events(path: Path, rows: int) -> Path:
    """shop.events partitioned by ``day`` (days 0..rows-1 from 2024-01-01), one row a day."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA shop")
        con.execute(
            "CREATE TABLE shop.events AS SELECT range AS id, DATE '2024-01-01' + CAST(range AS INTEGER) AS day"
            f" FROM range({rows})"
        )
        con.execute("CREATE SCHEMA _bridge")
        con.execute(
            "CREATE TABLE _bridge.tables (dataset VARCHAR, table_name VARCHAR, partition_column VARCHAR,"
            " clustering VARCHAR[])"
        )
        con.execute("INSERT INTO _bridge.tables VALUES ('shop', 'events', 'day', [])")
    return path
