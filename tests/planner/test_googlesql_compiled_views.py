"""Every view SQL the compile step writes type-checks as GoogleSQL (ZetaSQL's analyzer, as BigQuery).

DuckDB runs the compiled SQL locally; here the wrappers the compile step adds (series caps with
their window ranks and "Other", pie shares, partial-period flags, hidden periods, time grains) are
checked the way BigQuery would check them: over the demo catalog's BigQuery types for every view
of every valid example, and over a small table for each series and partial-period shape.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dashboards.helpers import demo_tables, valid_examples  # tests/ is on the path (package root)

from shared.adapters.warehouse.duckdb_adapter import DuckDBWarehouse
from shared.dashboards.compile import compile_dashboard
from shared.dashboards.model import Dashboard
from shared.dashboards.params import bind_parameters
from shared.dashboards.validate import validate_dashboard

from .googlesql import GoogleSqlAnalyzer, available, tables_of

pytestmark = pytest.mark.skipif(available() is not None, reason=str(available()))

SALES = [
    {
        "name": "demo.shop.sales",
        "columns": [
            ["day", "TYPE_DATE"],
            ["ts", "TYPE_TIMESTAMP"],
            ["country", "TYPE_STRING"],
            ["revenue", "TYPE_DOUBLE"],
            ["items", "TYPE_INT64"],
        ],
    }
]
QUERIES = {
    "sales": {"sql": "SELECT day, ts, country, revenue, items FROM `demo.shop.sales`"},
    "monthly": {
        "sql": "SELECT DATE_TRUNC(day, MONTH) AS month, country, SUM(revenue) AS revenue "
        "FROM `demo.shop.sales` GROUP BY month, country"
    },
}
TREND = {
    "x": {"field": "day", "time_grain": "month"},
    "y": {"field": "revenue"},
    "color": {"field": "country"},
}
SHAPES: dict[str, dict[str, Any]] = {
    "line_capped": {"type": "line", "query": "sales", **TREND, "max_series": 3},
    "area_timestamp_weeks": {
        **TREND,
        "type": "area",
        "query": "sales",
        "x": {"field": "ts", "time_grain": "week"},
    },
    "line_raw_timestamp": {
        **TREND,
        "type": "line",
        "query": "sales",
        "x": {"field": "ts", "type": "temporal"},
    },
    "bar_hidden_period": {**TREND, "type": "bar", "query": "sales", "partial_period": "hide"},
    "bar_grouped_top": {
        "type": "bar",
        "query": "sales",
        "x": {"field": "country"},
        "y": {"field": "revenue"},
        "color": {"field": "day", "stack": "grouped"},
        "top_n": 5,
    },
    "line_max": {**TREND, "type": "line", "query": "sales", "y": {"field": "items", "aggregate": "max"}},
    "line_count_distinct": {
        **TREND,
        "type": "line",
        "query": "sales",
        "y": {"field": "items", "aggregate": "count_distinct"},
    },
    "line_median": {
        **TREND,
        "type": "line",
        "query": "sales",
        "y": {"field": "items", "aggregate": "median"},
    },
    "line_query_grain": {
        "type": "line",
        "query": "monthly",
        "x": {"field": "month"},
        "y": {"field": "revenue"},
        "color": {"field": "country"},
    },
    "scatter_points": {
        "type": "scatter",
        "query": "sales",
        "x": {"field": "revenue"},
        "y": {"field": "items"},
        "color": {"field": "country"},
    },
    "scatter_numeric_series": {
        "type": "scatter",
        "query": "sales",
        "x": {"field": "day"},
        "y": {"field": "revenue"},
        "color": {"field": "items", "type": "nominal"},
    },
    "pie_top": {
        "type": "pie",
        "query": "monthly",
        "theta": {"field": "revenue"},
        "color": {"field": "country"},
        "top_n": 3,
    },
    "pie_numeric_slices": {
        "type": "pie",
        "query": "sales",
        "theta": {"field": "revenue", "aggregate": "sum"},
        "color": {"field": "items"},
    },
}


@pytest.fixture(scope="module")
def analyzer() -> Iterator[GoogleSqlAnalyzer]:
    server = GoogleSqlAnalyzer()
    try:
        yield server
    finally:
        server.close()


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_series_and_partial_period_sql_is_googlesql(analyzer: GoogleSqlAnalyzer, name: str) -> None:
    view = {"id": "v", **SHAPES[name], "layout": {"x": 0, "y": 0, "w": 12, "h": 4}}
    model = Dashboard.model_validate({"version": 1, "title": "t", "queries": QUERIES, "views": [view]})
    sql = compile_dashboard(model).views[0].sql
    assert sql is not None and sql != QUERIES[view["query"]]["sql"]  # the view is wrapped
    assert analyzer.analyze(SALES, sql) is None, sql
    # the analyzer really checks the wrapper: a misspelt helper column is refused
    assert "_series_rnk" in str(
        analyzer.analyze(SALES, sql.replace("`_series_rank`", "`_series_rnk`", 1))
    ) or ("_series_rank" not in sql)


def test_every_valid_example_view_is_googlesql(analyzer: GoogleSqlAnalyzer, demo_warehouse: Path) -> None:
    tables = tables_of(DuckDBWarehouse(demo_warehouse, project="demo").scan_catalog())
    problems, checked = [], 0
    for path in valid_examples():
        report = validate_dashboard(path.read_text(), allowed_tables=demo_tables())
        assert report.model is not None, report.errors
        params = bind_parameters(report.model, {})
        for view in compile_dashboard(report.model).views:
            if view.sql is None:
                continue
            used = tuple(p for p in params if p.name in view.parameter_names)
            error = analyzer.analyze(tables, view.sql, used)
            checked += 1
            if error:
                problems.append(f"{path.stem}/{view.view_id}: {error}")
    assert checked >= 20 and problems == []
