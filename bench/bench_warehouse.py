"""Embedded warehouse benchmark: demo generation, catalog scan, dry runs and dashboard queries.

.venv/bin/python bench/bench_warehouse.py --scale 1
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from shared.adapters.warehouse.duckdb_adapter import DuckDBWarehouse
from shared.adapters.warehouse.port import QueryOptions, QueryParam
from shared.dev.demo_data import generate_demo

QUERIES = {
    "monthly revenue": (
        "SELECT DATE_TRUNC(DATE(created_at), MONTH) AS month, SUM(sale_price) AS revenue"
        " FROM `demo.thelook_ecommerce.order_items` WHERE status NOT IN ('Cancelled', 'Returned')"
        " AND DATE(created_at) >= @start GROUP BY month ORDER BY month"
    ),
    "revenue by country": (
        "SELECT u.country, SUM(oi.sale_price) AS revenue FROM `demo.thelook_ecommerce.order_items` oi"
        " JOIN `demo.thelook_ecommerce.users` u ON u.id = oi.user_id GROUP BY u.country ORDER BY revenue DESC"
    ),
    "funnel last 12 months": (
        "SELECT event_type, COUNT(*) AS n, APPROX_COUNT_DISTINCT(session_id) AS sessions"
        " FROM `demo.thelook_ecommerce.events`"
        " WHERE DATE(created_at) >= DATE_SUB(CURRENT_DATE(), INTERVAL 12 MONTH) GROUP BY event_type"
    ),
}


def timed(label: str, action: Callable[[], Any]) -> Any:
    started = time.perf_counter()
    result = action()
    print(f"{label:<32} {1000 * (time.perf_counter() - started):9.1f} ms")
    return result


def run(scale: float = 1.0) -> list[dict[str, Any]]:
    """Rows for ``make bench``: generation, catalog scan, and each dashboard query (dry run and run)."""
    from bench.common import row

    rows: list[dict[str, Any]] = []

    def ms(action: Callable[[], Any]) -> tuple[Any, float]:
        started = time.perf_counter()
        result = action()
        return result, 1000 * (time.perf_counter() - started)

    with tempfile.TemporaryDirectory() as tmp:
        path, took = ms(lambda: generate_demo(Path(tmp) / "demo.duckdb", scale=scale))
        rows.append(
            row(f"generate demo (scale {scale:g})", took, "ms", f"{path.stat().st_size / 1e6:.1f} MB")
        )
        wh = DuckDBWarehouse(path)
        rows.append(
            row("catalog scan (cold)", ms(wh.scan_catalog)[1], "ms", "7 tables, constant query count")
        )
        params = (QueryParam("start", "DATE", "2024-01-01"),)
        options = QueryOptions(max_bytes_billed=10**12)
        for name, sql in QUERIES.items():
            used = params if "@start" in sql else ()
            dry, took = ms(partial(wh.dry_run, sql, used))
            rows.append(
                row(f"dry run: {name}", took, "ms", f"{dry.total_bytes_processed / 1e6:.1f} MB estimated")
            )
            rows.append(row(f"query: {name}", ms(partial(wh.query, sql, used, options))[1], "ms"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = timed(
            f"generate scale {args.scale:g}",
            lambda: generate_demo(Path(tmp) / "demo.duckdb", scale=args.scale),
        )
        print(f"{'file size':<32} {path.stat().st_size / 1e6:9.1f} MB")
        wh = DuckDBWarehouse(path)
        timed("validate", wh.validate)
        timed("scan catalog (cold)", wh.scan_catalog)
        timed("scan catalog (cached)", wh.scan_catalog)
        params = (QueryParam("start", "DATE", "2024-01-01"),)
        options = QueryOptions(max_bytes_billed=10**12)
        for name, sql in QUERIES.items():
            used = params if "@start" in sql else ()
            dry = timed(f"dry run: {name}", partial(wh.dry_run, sql, used))
            timed(f"query: {name}", partial(wh.query, sql, used, options))
            print(f"{'  bytes estimated':<32} {dry.total_bytes_processed / 1e6:9.1f} MB")


if __name__ == "__main__":
    main()
