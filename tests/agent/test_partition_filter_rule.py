"""Tables created with ``require_partition_filter``: BigQuery refuses a query that reads one without
filtering its partition column. The DuckDB warehouse applies the same rule from its catalog entry
(``_bridge.tables.require_partition_filter``), the dry-run tool turns the refusal into a
suggestion, and the offline planner follows it with the period parameter. Real demo DuckDB file
(a copy with ``order_items`` flagged), SQLite directory, folder store, the chat path.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from planner.planner_env import PlannerEnv, build_env

from shared.adapters.warehouse.duckdb_adapter import DuckDBWarehouse
from shared.errors import WarehouseError

ITEMS = "`demo.thelook_ecommerce.order_items`"


@pytest.fixture(scope="module")
def flagged(tmp_path_factory: pytest.TempPathFactory, demo_warehouse: Path) -> Path:
    path = tmp_path_factory.mktemp("flagged") / "demo.duckdb"
    shutil.copyfile(demo_warehouse, path)
    con = duckdb.connect(str(path))
    try:
        con.execute("ALTER TABLE _bridge.tables ADD COLUMN require_partition_filter BOOLEAN DEFAULT false")
        con.execute(
            "UPDATE _bridge.tables SET require_partition_filter = true WHERE table_name = 'order_items'"
        )
    finally:
        con.close()
    return path


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory, flagged: Path) -> Iterator[PlannerEnv]:
    yield from build_env(tmp_path_factory.mktemp("partition-rule"), flagged)


def test_the_duckdb_warehouse_refuses_an_unfiltered_read_as_bigquery_does(flagged: Path) -> None:
    wh = DuckDBWarehouse(flagged, project="demo")
    tables = {t.fully_qualified_name.rsplit(".", 1)[-1]: t for d in wh.scan_catalog() for t in d.tables}
    assert tables["order_items"].require_partition_filter is True
    assert not any(t.require_partition_filter for name, t in tables.items() if name != "order_items")
    partition = tables["order_items"].partitioning
    assert partition

    with pytest.raises(WarehouseError) as refused:
        wh.dry_run(f"SELECT SUM(sale_price) AS revenue FROM {ITEMS}")
    assert refused.value.details == {
        "table": "demo.thelook_ecommerce.order_items",
        "partition_columns": [partition],
    }
    # Read twice, filtered only once: still refused.
    with pytest.raises(WarehouseError):
        wh.dry_run(
            f"SELECT COUNT(*) AS n FROM {ITEMS} WHERE DATE({partition}) >= DATE '2020-01-01' "
            f"UNION ALL SELECT COUNT(*) FROM {ITEMS}"
        )
    assert wh.dry_run(
        f"SELECT SUM(sale_price) AS r FROM {ITEMS} WHERE DATE({partition}) >= DATE '2020-01-01'"
    )
    assert wh.dry_run("SELECT COUNT(*) AS n FROM `demo.thelook_ecommerce.products`")  # not flagged


def test_the_planner_follows_the_refusal_with_the_period(env: PlannerEnv) -> None:
    turn = env.ask("revenue by category")
    dry_runs = turn.results("run_dry_run_query")
    refused = [r for r in dry_runs if r["result"].get("passed") is False]
    assert refused, "the first draft should have been refused"
    assert "requires a filter on its partition column" in refused[0]["result"]["suggestion"]
    assert turn.saved, turn.text
    dashboard, _text, _version = env.dashboard(turn.saved["dashboard_slug"])
    reading = [q["sql"] for q in dashboard["queries"].values() if "order_items" in q["sql"]]
    assert reading and all("@period_start" in sql for sql in reading)
    assert "period" in {p["name"] for p in dashboard.get("parameters") or []}
    # Served with the period's default: every view answers under the rule.
    views = env.data(turn.saved["dashboard_slug"])["views"]
    assert views and all(v["status"] == "ok" for v in views), views
