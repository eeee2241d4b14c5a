"""Compiling dashboards: SQL per view (shared when unwrapped), Vega-Lite v6 specs that validate and render."""

from __future__ import annotations

import json
import re
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import sqlglot

from shared.dashboards.compile import CompiledDashboard, CompiledView, compile_dashboard, refresh_seconds
from shared.dashboards.theme import theme_config
from shared.dashboards.validate import validate_dashboard
from shared.errors import NotFound, ValidationFailed
from shared.sqlguard import guard_select

from .helpers import VALID_DIR, VEGA_LITE_SCHEMA, demo_tables, valid_examples

CHART_MARKS = {
    "line": "line",
    "area": "area",
    "bar": "rect",
    "pie": "arc",
    "scatter": "symbol",
    "heatmap": "rect",
}
needs_vega_lite = pytest.mark.skipif(
    not VEGA_LITE_SCHEMA.exists(), reason="node_modules/vega-lite is absent: run `npm ci` to render specs"
)


def compiled(name: str) -> CompiledDashboard:
    report = validate_dashboard((VALID_DIR / name).read_text(), allowed_tables=demo_tables())
    assert report.dashboard is not None, report.errors
    return compile_dashboard(report.dashboard)


def all_views() -> list[tuple[str, CompiledView]]:
    return [(path.stem, view) for path in valid_examples() for view in compiled(path.name).views]


def chart_views() -> list[tuple[str, CompiledView]]:
    return [(stem, view) for stem, view in all_views() if view.type in CHART_MARKS]


@cache
def vega_lite_validator() -> Any:
    from jsonschema import Draft7Validator

    schema = json.loads(VEGA_LITE_SCHEMA.read_text())
    return Draft7Validator(schema)


def sample_rows(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """Six rows with a plausible value for every encoded field."""
    kinds = {
        channel["field"]: "temporal"
        if "timeUnit" in channel
        else channel.get("type")  # time bars: ordinal dates
        for name, channel in spec["encoding"].items()
        if isinstance(channel, dict) and "field" in channel and name not in ("order", "xOffset", "yOffset")
    }
    rows = []
    for i in range(6):
        row: dict[str, Any] = {}
        for field, kind in kinds.items():
            if kind == "temporal":
                row[field] = f"2024-{i + 1:02d}-01"
            elif kind in ("nominal", "ordinal"):
                row[field] = "ABC"[i % 3] if field != "hour" else i % 3
            else:
                row[field] = (i + 1) * 12.5
        rows.append(row)
    return rows


def test_every_view_type_compiles() -> None:
    views = all_views()
    assert {view.type for _, view in views} == {
        "kpi",
        "line",
        "bar",
        "area",
        "table",
        "pie",
        "scatter",
        "heatmap",
        "text",
    }
    for _, view in views:
        if view.type == "text":
            assert view.sql is None and view.spec["kind"] == "text" and view.spec["markdown"]
        else:
            assert view.sql and view.query_name
        if view.type == "kpi":
            assert {"kind", "field", "format", "d3_format", "aggregate"} <= set(view.spec)
        if view.type == "table":
            assert view.spec["kind"] == "table" and view.spec["columns"]


def test_unwrapped_views_share_their_query_sql() -> None:
    report = validate_dashboard((VALID_DIR / "revenue_overview.yaml").read_text())
    assert report.model is not None and report.dashboard is not None
    # a time series marks its current period (partial.py), which wraps it; `show` leaves it alone
    marked = compile_dashboard(report.model).view("revenue_trend").sql
    assert marked is not None and "AS `_partial`" in marked
    views = [
        v.model_copy(update={"partial_period": "show"}) if v.id == "revenue_trend" else v
        for v in report.model.views
    ]
    dashboard = compile_dashboard(report.model.model_copy(update={"views": views}))
    query_sql = report.dashboard["queries"]["monthly_revenue"]["sql"].strip()
    trend, kpi = dashboard.view("revenue_trend"), dashboard.view("revenue_kpi")
    assert trend.sql == query_sql
    assert kpi.sql != query_sql and kpi.sql is not None
    assert "SUM(`revenue`) AS `revenue`" in kpi.sql
    assert dashboard.distinct_sql == (kpi.sql, trend.sql)
    assert trend.parameter_names == kpi.parameter_names == ("start_date",)
    with pytest.raises(NotFound):
        dashboard.view("missing")


def test_wrapping_applies_grain_aggregate_sort_and_limit() -> None:
    dashboard = compiled("category_mix.yaml")
    bar = dashboard.view("top_categories").sql
    assert bar is not None
    assert re.search(r"ORDER BY\s+`revenue` DESC\s+LIMIT 10", bar)
    weekly = compiled("traffic_sources.yaml").view("sessions_by_source").sql
    assert weekly is not None
    assert "DATE_TRUNC(DATE(`day`), WEEK) AS `day`" in weekly
    assert "SUM(`sessions`) AS `sessions`" in weekly
    assert re.search(r"GROUP BY\s+1,\s+3", weekly)
    median = compiled("inventory.yaml").view("median_cost").sql
    assert median is not None and "APPROX_QUANTILES(`avg_cost`, 2)[OFFSET(1)]" in median


def test_compiled_sql_passes_the_guard_and_keeps_parameters_unbound() -> None:
    for _, view in all_views():
        if view.sql is None:
            continue
        guarded = guard_select(view.sql, allowed_tables=demo_tables())
        assert set(guarded.parameters) == set(view.parameter_names)
    for view in compiled("revenue_overview.yaml").views:
        assert view.sql is not None
        assert "@start_date" in view.sql and "2024-01-01" not in view.sql  # the default is never inlined


def test_wrapped_sql_runs_on_a_real_duckdb() -> None:
    import duckdb

    con = duckdb.connect()
    con.execute("ATTACH ':memory:' AS demo")
    con.execute("CREATE SCHEMA demo.thelook_ecommerce")
    con.execute(
        "CREATE TABLE demo.thelook_ecommerce.order_items "
        "(id BIGINT, status VARCHAR, created_at TIMESTAMP, sale_price DOUBLE)"
    )
    con.execute(
        "INSERT INTO demo.thelook_ecommerce.order_items VALUES "
        "(1, 'Complete', '2024-01-05 10:00', 10), (2, 'Complete', '2024-02-05', 20), "
        "(3, 'Returned', '2024-02-06', 5), (4, 'Shipped', '2024-04-01', 7.5), (5, 'Complete', '2023-12-31', 99)"
    )
    dashboard = compiled("revenue_overview.yaml")
    params = {"start_date": date(2024, 1, 1)}

    def run(view_id: str) -> list[tuple[Any, ...]]:
        sql = dashboard.view(view_id).sql
        assert sql is not None
        return con.execute(sqlglot.transpile(sql, read="bigquery", write="duckdb")[0], params).fetchall()

    assert run("revenue_kpi") == [(37.5,)]
    assert [(row[0].month, row[1]) for row in run("revenue_trend")] == [(1, 10.0), (2, 20.0), (4, 7.5)]


def test_chart_specs_use_theme_formats_and_named_data() -> None:
    trend = compiled("revenue_overview.yaml").view("revenue_trend").spec
    assert trend["$schema"] == "https://vega.github.io/schema/vega-lite/v6.json"
    assert trend["data"] == {"name": "table"}
    assert trend["config"] == theme_config("monotone")
    assert "$.3~s" in trend["encoding"]["y"]["axis"]["labelExpr"]  # compact ticks, no cents
    assert trend["encoding"]["tooltip"][1]["format"] == "$,.2f"  # full precision on hover
    assert [t["field"] for t in trend["encoding"]["tooltip"]] == ["month", "revenue", "_period"]
    dark = compiled("traffic_sources.yaml").view("sessions_by_source").spec
    assert dark["config"]["background"] == theme_config("dark")["background"] != trend["config"]["background"]
    assert dark["encoding"]["x"]["axis"]["format"] == "%b %d, %Y"
    bar = compiled("category_mix.yaml").view("top_categories").spec
    assert bar["encoding"]["x"]["sort"] == "-y"
    table = compiled("orders_table.yaml").view("countries").spec
    formats = {c["field"]: (c["d3_format"], c["currency"]) for c in table["columns"]}
    assert formats["revenue"] == ("$,.2f", "EUR") and formats["return_rate"] == (".1%", None)
    assert formats["orders"] == (",.0f", None)


def test_refresh_durations() -> None:
    assert [refresh_seconds(v) for v in ("30s", "15m", "1h", "1d", 0, 3600, 60.0)] == [
        30,
        900,
        3600,
        86400,
        0,
        3600,
        60,
    ]
    with pytest.raises(ValidationFailed):
        refresh_seconds("soon")
    assert compiled("category_mix.yaml").refresh_seconds == 900


@needs_vega_lite
@pytest.mark.parametrize(("example", "view"), chart_views(), ids=lambda v: getattr(v, "view_id", v))
def test_chart_spec_validates_against_official_vega_lite_schema(example: str, view: CompiledView) -> None:
    errors = sorted(vega_lite_validator().iter_errors(view.spec), key=str)
    assert errors == [], [e.message for e in errors[:3]]


@needs_vega_lite
@pytest.mark.parametrize(("example", "view"), chart_views(), ids=lambda v: getattr(v, "view_id", v))
def test_chart_spec_renders_marks(example: str, view: CompiledView) -> None:
    import vl_convert

    spec = {**view.spec, "data": {"values": sample_rows(view.spec)}}
    svg = vl_convert.vegalite_to_svg(spec, vl_version="6.4")
    mark = CHART_MARKS[view.type]
    assert f"mark-{mark} role-mark" in svg
    marks = svg.split(f"mark-{mark} role-mark", 1)[1]
    assert "<path" in marks or "<rect" in marks


def test_examples_folder_is_the_one_compiled() -> None:
    assert Path(VALID_DIR).is_dir() and len(chart_views()) >= 8
