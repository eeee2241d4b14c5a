"""Compiled KPI comparisons and totals rows, run on a real DuckDB through the warehouse's own transpiler."""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb
import pytest

from shared.adapters.warehouse.dialect import transpile
from shared.dashboards.compile import compile_dashboard
from shared.dashboards.compile_summary import total_kind
from shared.dashboards.model import TableColumn
from shared.dashboards.validate import validate_dashboard
from shared.sqlguard import guard_select

from .helpers import demo_tables

ROWS = [  # (id, user_id, status, created_at, sale_price)
    (1, 1, "Complete", "2024-01-05", 10.0),
    (2, 2, "Complete", "2024-02-05", 20.0),
    (3, 1, "Returned", "2024-03-01", 5.0),
    (4, 3, "Shipped", "2023-12-01", 7.0),
    (5, 2, "Complete", "2023-03-01", 100.0),
    (6, 3, "Shipped", "2024-06-30", 1.5),
]

YAML = """\
version: 1
title: t
parameters:
  - {name: period, type: date_range, default: {start: "2024-01-01", end: "2024-06-30"}}
queries:
  totals:
    sql: |
      SELECT SUM(sale_price) AS revenue FROM `demo.thelook_ecommerce.order_items`
      WHERE DATE(created_at) BETWEEN @period_start AND @period_end
  rows:
    sql: |
      SELECT status, user_id, sale_price, sale_price / 100 AS share_of_100, sale_price * 2 AS double_price
      FROM `demo.thelook_ecommerce.order_items`
      WHERE DATE(created_at) BETWEEN @period_start AND @period_end
  every_row:
    sql: SELECT created_at, sale_price FROM `demo.thelook_ecommerce.order_items`
views:
  - id: kpi
    type: kpi
    query: totals
    value: {field: revenue}
    compare: {to: previous_period}
    layout: {x: 0, y: 0, w: 3, h: 2}
  - id: monthly
    type: kpi
    query: every_row
    value: {field: sale_price, aggregate: sum}
    compare: {field: created_at, grain: month}
    layout: {x: 3, y: 0, w: 3, h: 2}
  - id: yearly
    type: kpi
    query: every_row
    value: {field: sale_price, aggregate: count}
    compare: {field: created_at, grain: month, to: previous_year}
    layout: {x: 6, y: 0, w: 3, h: 2}
  - id: kinds
    type: table
    query: rows
    totals: true
    columns:
      - {field: status}
      - {field: sale_price, total: max}
      - {field: user_id, total: count}
      - {field: share_of_100, format: number}
      - {field: double_price, format: number, total: min}
    sort: {field: sale_price, order: asc}
    layout: {x: 0, y: 2, w: 12, h: 4}
"""


@pytest.fixture(scope="module")
def con() -> Any:
    db = duckdb.connect()
    db.execute("ATTACH ':memory:' AS demo")
    db.execute("CREATE SCHEMA demo.thelook_ecommerce")
    db.execute(
        "CREATE TABLE demo.thelook_ecommerce.order_items "
        "(id BIGINT, user_id BIGINT, status VARCHAR, created_at TIMESTAMP, sale_price DOUBLE)"
    )
    db.executemany("INSERT INTO demo.thelook_ecommerce.order_items VALUES (?, ?, ?, ?, ?)", ROWS)
    return db


def _run(
    con: Any, sql: str, start: dt.date | None = None, end: dt.date | None = None
) -> list[tuple[Any, ...]]:
    guard_select(sql, allowed_tables=demo_tables())  # what serving checks before it runs a view
    params = {"period_start": start, "period_end": end} if start else {}
    return con.execute(transpile(sql).duckdb_sql, params).fetchall()


def _in(start: dt.date, end: dt.date) -> list[tuple[Any, ...]]:
    return [r for r in ROWS if start <= dt.date.fromisoformat(r[3]) <= end]


def test_the_comparison_shifts_the_period_inside_one_query(con: Any) -> None:
    report = validate_dashboard(YAML, allowed_tables=demo_tables())
    assert report.model is not None, report.errors
    sql = compile_dashboard(report.model).view("kpi").sql or ""
    for start, end in (
        (dt.date(2024, 1, 1), dt.date(2024, 6, 30)),
        (dt.date(2024, 2, 1), dt.date(2024, 3, 31)),
    ):
        ((value, previous, change, ratio, previous_start, previous_end),) = _run(con, sql, start, end)
        days = (end - start).days + 1
        assert (previous_start, previous_end) == (
            start - dt.timedelta(days=days),
            start - dt.timedelta(days=1),
        )
        expected_now = sum(r[4] for r in _in(start, end))
        expected_before = sum(r[4] for r in _in(previous_start, previous_end)) or None
        assert value == pytest.approx(expected_now)
        assert previous == (pytest.approx(expected_before) if expected_before else None)
        if expected_before:
            assert change == pytest.approx(expected_now - expected_before)
            assert ratio == pytest.approx((expected_now - expected_before) / expected_before)
        else:  # nothing before: no change to show, and no division by zero
            assert change is None and ratio is None


def test_named_totals_and_the_blank_defaults(con: Any) -> None:
    report = validate_dashboard(YAML, allowed_tables=demo_tables())
    assert report.model is not None, report.errors
    start, end = dt.date(2024, 1, 1), dt.date(2024, 6, 30)
    rows = _run(con, compile_dashboard(report.model).view("kinds").sql or "", start, end)
    assert rows[0][0] == 1 and [r[0] for r in rows[1:]] == [0] * len(_in(start, end))
    inside = _in(start, end)
    assert rows[0][1:] == (None, max(r[4] for r in inside), len(inside), None, min(r[4] * 2 for r in inside))
    assert [r[2] for r in rows[1:]] == sorted(r[4] for r in inside)  # the rows keep the view's order


@pytest.mark.parametrize(
    ("column", "kind"),
    [
        ({"field": "country"}, "none"),
        ({"field": "revenue", "format": "currency"}, "sum"),
        ({"field": "orders", "type": "quantitative"}, "sum"),
        ({"field": "return_rate", "format": "percent"}, "none"),
        ({"field": "avg_price", "format": "currency"}, "none"),
        ({"field": "conversion_rate", "format": "number"}, "none"),
        ({"field": "month", "type": "quantitative", "time_grain": "month"}, "none"),
        ({"field": "sale_price", "aggregate": "avg"}, "aggregate"),
        ({"field": "avg_price", "format": "currency", "total": "avg"}, "avg"),
    ],
)
def test_default_totals_never_add_up_what_does_not_add(column: dict[str, Any], kind: str) -> None:
    assert total_kind(TableColumn.model_validate(column)) == kind


def _month(day: dt.date, back: int = 0) -> tuple[dt.date, dt.date]:
    year, month = divmod(day.year * 12 + day.month - 1 - back, 12)
    start = dt.date(year, month + 1, 1)
    end = dt.date(year + (month + 1) // 12, (month + 1) % 12 + 1, 1) - dt.timedelta(days=1)
    return start, end


def test_without_a_parameter_the_latest_complete_period_is_compared(con: Any) -> None:
    report = validate_dashboard(YAML, allowed_tables=demo_tables())
    assert report.model is not None, report.errors
    compiled = compile_dashboard(report.model)
    sql = compiled.view("monthly").sql or ""
    ((value, previous, change, ratio, ps, pe, cs, ce),) = _run(con, sql)
    # the latest month with data (June 2024) is over, so it is the current one; May is before it
    assert (cs, ce, ps, pe) == (
        dt.date(2024, 6, 1),
        dt.date(2024, 6, 30),
        dt.date(2024, 5, 1),
        dt.date(2024, 5, 31),
    )
    assert value == sum(r[4] for r in _in(cs, ce)) and previous is None and change is None
    ((count, a_year_ago, *_rest, ps, pe, cs, ce),) = _run(con, compiled.view("yearly").sql or "")
    assert (
        (ps, pe) == (dt.date(2023, 6, 1), dt.date(2023, 6, 30)) and a_year_ago == 0 and count == 1
    )  # a count of nothing is 0

    # a row dated today: this month is in progress, so the latest complete month is the one before
    today = dt.date.today()
    con.execute("INSERT INTO demo.thelook_ecommerce.order_items VALUES (99, 1, 'Complete', ?, 3.0)", [today])
    con.execute(
        "INSERT INTO demo.thelook_ecommerce.order_items VALUES (98, 1, 'Complete', ?, 4.0)",
        [_month(today, 1)[0]],
    )
    con.execute(
        "INSERT INTO demo.thelook_ecommerce.order_items VALUES (97, 1, 'Complete', ?, 8.0)",
        [_month(today, 2)[1]],
    )
    try:
        ((value, previous, change, ratio, ps, pe, cs, ce),) = _run(con, sql)
        assert (cs, ce) == _month(today, 1) and (ps, pe) == _month(today, 2)
        assert (value, previous, change, ratio) == (4.0, 8.0, -4.0, -0.5)
    finally:
        con.execute("DELETE FROM demo.thelook_ecommerce.order_items WHERE id >= 97")


def test_a_comparison_over_the_query_time_range_is_validated() -> None:
    both = YAML.replace(
        "compare: {field: created_at, grain: month}",
        "compare: {field: created_at, grain: month, parameter: period}",
    )
    errors = validate_dashboard(both, allowed_tables=demo_tables()).errors
    line = both.splitlines().index("    compare: {field: created_at, grain: month, parameter: period}") + 1
    assert [(e["path"], e["line"]) for e in errors] == [("views[1].compare.field", line)]
    assert "not both" in errors[0]["message"]
    unknown = YAML.replace(
        "compare: {field: created_at, grain: month}", "compare: {field: created, grain: month}"
    )
    errors = validate_dashboard(unknown, allowed_tables=demo_tables()).errors
    assert [e["path"] for e in errors] == ["views[1].compare.field"]
    assert "did you mean 'created_at'?" in errors[0]["message"]
