"""The demo thelook_ecommerce generator: determinism, realism, integrity, file handling."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest

from shared.dev.demo_data import ensure_demo, generate_demo, main
from shared.errors import BadRequest

TABLES = ("distribution_centers", "events", "inventory_items", "order_items", "orders", "products", "users")
END = date(2025, 6, 30)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to a small demo file ending on a fixed date."""
    path = generate_demo(tmp_path_factory.mktemp("demo") / "demo.duckdb", scale=0.05, seed=42, end_date=END)
    with duckdb.connect(str(path), read_only=True) as con:
        con.execute("USE demo.thelook_ecommerce")
        yield con


def one(con: duckdb.DuckDBPyConnection, sql: str) -> Any:
    row = con.execute(sql).fetchone()
    assert row is not None
    return row[0]


def checksums(path: Path) -> dict[str, Any]:
    with duckdb.connect(str(path), read_only=True) as con:
        return {
            t: con.execute(f"SELECT count(*), sum(hash(COLUMNS(*))) FROM thelook_ecommerce.{t}").fetchone()
            for t in TABLES
        }


# -- determinism --------------------------------------------------------------------------------


def test_same_seed_gives_the_same_rows_and_another_seed_does_not(tmp_path: Path) -> None:
    a = generate_demo(tmp_path / "a.duckdb", scale=0.01, seed=7, end_date=END)
    b = generate_demo(tmp_path / "b.duckdb", scale=0.01, seed=7, end_date=END)
    c = generate_demo(tmp_path / "c.duckdb", scale=0.01, seed=8, end_date=END)

    assert checksums(a) == checksums(b)
    assert checksums(a)["orders"] != checksums(c)["orders"]


def test_scale_sets_the_number_of_order_items(tmp_path: Path, demo: duckdb.DuckDBPyConnection) -> None:
    small = generate_demo(tmp_path / "s.duckdb", scale=0.01, end_date=END)
    with duckdb.connect(str(small), read_only=True) as con:
        items_small = one(con, "SELECT count(*) FROM thelook_ecommerce.order_items")
    items = one(demo, "SELECT count(*) FROM order_items")
    assert 800 <= items_small <= 1200  # ~100k x 0.01
    assert 4_000 <= items <= 6_000  # ~100k x 0.05


# -- realism ------------------------------------------------------------------------------------


def test_statuses_have_sensible_proportions(demo: duckdb.DuckDBPyConnection) -> None:
    shares = dict(
        demo.execute("SELECT status, count(*) / sum(count(*)) OVER () FROM orders GROUP BY status").fetchall()
    )
    assert set(shares) == {"Complete", "Shipped", "Processing", "Cancelled", "Returned"}
    assert max(shares, key=shares.__getitem__) == "Complete"
    assert 0.08 <= shares["Cancelled"] <= 0.18
    assert 0.08 <= shares["Returned"] <= 0.18


def test_november_and_december_outsell_february(demo: duckdb.DuckDBPyConnection) -> None:
    by_month = dict(demo.execute("SELECT month(created_at), count(*) FROM order_items GROUP BY 1").fetchall())
    assert by_month[11] > 1.3 * by_month[2]
    assert by_month[12] > 1.3 * by_month[2]


def test_sales_grow_year_over_year(demo: duckdb.DuckDBPyConnection) -> None:
    by_year = dict(demo.execute("SELECT year(created_at), count(*) FROM orders GROUP BY 1").fetchall())
    assert by_year[2019] < by_year[2021] < by_year[2023] < by_year[2024]


def test_united_states_china_and_brasil_lead_the_countries(demo: duckdb.DuckDBPyConnection) -> None:
    top = [
        r[0]
        for r in demo.execute(
            "SELECT country FROM users GROUP BY 1 ORDER BY count(*) DESC LIMIT 3"
        ).fetchall()
    ]
    assert top == ["United States", "China", "Brasil"]


def test_brands_are_skewed(demo: duckdb.DuckDBPyConnection) -> None:
    counts = [
        r[0]
        for r in demo.execute(
            "SELECT count(*) FROM order_items oi JOIN products p ON p.id = oi.product_id GROUP BY p.brand ORDER BY 1 DESC"
        ).fetchall()
    ]
    assert counts[0] > 5 * counts[-1]


def test_sale_price_stays_around_retail_price(demo: duckdb.DuckDBPyConnection) -> None:
    ratio_min, ratio_avg, ratio_max = demo.execute(
        "SELECT min(r), avg(r), max(r) FROM (SELECT oi.sale_price / p.retail_price AS r"
        " FROM order_items oi JOIN products p ON p.id = oi.product_id)"
    ).fetchone()  # type: ignore[misc]
    assert ratio_min >= 0.65 and ratio_max <= 1.001 and 0.85 <= ratio_avg <= 1.0


def test_data_reaches_the_end_date_and_not_beyond(demo: duckdb.DuckDBPyConnection) -> None:
    first, last = demo.execute("SELECT min(created_at)::DATE, max(created_at)::DATE FROM orders").fetchone()  # type: ignore[misc]
    assert date(2019, 1, 1) <= first <= date(2019, 1, 31)
    assert date(2025, 6, 20) <= last <= END
    recent = one(demo, f"SELECT count(*) FROM orders WHERE created_at >= DATE '{END}' - INTERVAL 12 MONTH")
    assert recent > 0
    assert one(demo, f"SELECT count(*) FROM orders WHERE shipped_at >= DATE '{END}' + INTERVAL 1 DAY") == 0


def test_events_follow_the_purchase_funnel(demo: duckdb.DuckDBPyConnection) -> None:
    counts = dict(demo.execute("SELECT event_type, count(*) FROM events GROUP BY 1").fetchall())
    funnel = [counts[t] for t in ("home", "department", "product", "cart", "purchase")]
    assert funnel == sorted(funnel, reverse=True)
    assert counts["purchase"] == one(demo, "SELECT count(*) FROM orders")
    # Within a session, sequence numbers run 1..n in time order.
    assert (
        one(
            demo,
            "SELECT count(*) FROM (SELECT session_id, min(sequence_number) AS lo, max(sequence_number) AS hi,"
            " count(*) AS n, bool_and(ordered) AS ok FROM (SELECT *, created_at >= lag(created_at, 1, created_at)"
            " OVER (PARTITION BY session_id ORDER BY sequence_number) AS ordered FROM events) GROUP BY 1)"
            " WHERE lo <> 1 OR hi <> n OR NOT ok",
        )
        == 0
    )


# -- integrity ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "orphans",
    [
        "SELECT count(*) FROM order_items oi ANTI JOIN orders o ON o.order_id = oi.order_id",
        "SELECT count(*) FROM order_items oi ANTI JOIN users u ON u.id = oi.user_id",
        "SELECT count(*) FROM order_items oi ANTI JOIN products p ON p.id = oi.product_id",
        "SELECT count(*) FROM order_items oi ANTI JOIN inventory_items i ON i.id = oi.inventory_item_id",
        "SELECT count(*) FROM orders o ANTI JOIN users u ON u.id = o.user_id",
        "SELECT count(*) FROM events e ANTI JOIN users u ON u.id = e.user_id WHERE e.user_id IS NOT NULL",
        "SELECT count(*) FROM products p ANTI JOIN distribution_centers d ON d.id = p.distribution_center_id",
        "SELECT count(*) FROM order_items oi JOIN orders o USING (order_id) WHERE oi.user_id <> o.user_id",
    ],
)
def test_references_resolve(demo: duckdb.DuckDBPyConnection, orphans: str) -> None:
    assert one(demo, orphans) == 0


def test_users_sign_up_before_they_order(demo: duckdb.DuckDBPyConnection) -> None:
    assert (
        one(
            demo,
            "SELECT count(*) FROM orders o JOIN users u ON u.id = o.user_id WHERE u.created_at > o.created_at",
        )
        == 0
    )


def test_order_life_cycle_is_consistent(demo: duckdb.DuckDBPyConnection) -> None:
    bad = one(
        demo,
        "SELECT count(*) FROM orders WHERE shipped_at < created_at OR delivered_at < shipped_at"
        " OR returned_at < delivered_at"
        " OR (status = 'Returned') <> (returned_at IS NOT NULL)"
        " OR (status IN ('Complete', 'Returned')) <> (delivered_at IS NOT NULL)"
        " OR (status IN ('Processing', 'Cancelled')) <> (shipped_at IS NULL)",
    )
    assert bad == 0
    mismatched = one(
        demo,
        "SELECT count(*) FROM orders o JOIN (SELECT order_id, count(*) AS n FROM order_items GROUP BY 1) i"
        " USING (order_id) WHERE i.n <> o.num_of_item",
    )
    assert mismatched == 0


# -- catalog metadata ---------------------------------------------------------------------------


def test_tables_and_columns_carry_descriptions(demo: duckdb.DuckDBPyConnection) -> None:
    missing = demo.execute(
        "SELECT table_name, column_name FROM duckdb_columns()"
        " WHERE schema_name = 'thelook_ecommerce' AND (comment IS NULL OR comment = '')"
    ).fetchall()
    assert missing == []
    assert (
        one(
            demo,
            "SELECT comment FROM duckdb_tables() WHERE table_name = 'orders' AND schema_name = 'thelook_ecommerce'",
        )
        == "One row per order"
    )


def test_one_column_description_carries_the_planted_prompt_injection(demo: duckdb.DuckDBPyConnection) -> None:
    planted = demo.execute(
        "SELECT table_name, column_name FROM duckdb_columns() WHERE comment LIKE '%IGNORE PREVIOUS INSTRUCTIONS%'"
    ).fetchall()
    assert planted == [("products", "name")]


def test_partitioning_metadata_lives_in_the_bridge_schema(demo: duckdb.DuckDBPyConnection) -> None:
    rows = dict(
        demo.execute(
            "SELECT table_name, partition_column FROM _bridge.tables WHERE partition_type = 'DAY'"
        ).fetchall()
    )
    assert rows == {
        "orders": "created_at",
        "order_items": "created_at",
        "events": "created_at",
        "inventory_items": "created_at",
    }


# -- files --------------------------------------------------------------------------------------


def test_ensure_demo_generates_once_then_reuses(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "demo.duckdb"
    ensure_demo(path, scale=0.01)
    stamp = path.stat().st_mtime_ns
    assert ensure_demo(path, scale=0.01) == path
    assert path.stat().st_mtime_ns == stamp
    assert sorted(p.name for p in path.parent.iterdir()) == ["demo.duckdb"]  # no temp files left


def test_concurrent_ensure_calls_leave_one_valid_file(tmp_path: Path) -> None:
    path = tmp_path / "demo.duckdb"
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda _: ensure_demo(path, scale=0.01), range(2)))
    assert results == [path, path]
    with duckdb.connect(str(path), read_only=True) as con:
        assert one(con, "SELECT count(*) FROM thelook_ecommerce.order_items") > 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo.duckdb"]


def test_generation_replaces_an_existing_file_atomically(tmp_path: Path) -> None:
    path = tmp_path / "demo.duckdb"
    path.write_text("old")
    generate_demo(path, scale=0.01, end_date=END)
    with duckdb.connect(str(path), read_only=True) as con:
        assert one(con, "SELECT count(*) FROM thelook_ecommerce.orders") > 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo.duckdb"]


def test_command_line_writes_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cli.duckdb"
    main(["--scale", "0.01", "--end-date", "2024-12-31", "--out", str(out)])
    with duckdb.connect(str(out), read_only=True) as con:
        assert one(con, "SELECT max(created_at)::DATE FROM thelook_ecommerce.orders") <= date(2024, 12, 31)
    assert "wrote" in capsys.readouterr().out


@pytest.mark.parametrize(("scale", "end"), [(0, END), (-1, END), (1, date(2018, 12, 31))])
def test_bad_arguments_raise_bad_request(tmp_path: Path, scale: float, end: date) -> None:
    with pytest.raises(BadRequest):
        generate_demo(tmp_path / "x.duckdb", scale=scale, end_date=end)
    assert not (tmp_path / "x.duckdb").exists()
