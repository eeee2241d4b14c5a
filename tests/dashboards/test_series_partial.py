"""Series caps (top N + "Other"), pie shares and partial periods: the compiled SQL on a real DuckDB, the specs drawn."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import sqlglot

from shared.adapters.warehouse.dialect import transpile
from shared.dashboards.compile import CompiledView, compile_dashboard
from shared.dashboards.model import Dashboard
from shared.dashboards.partial import partial_plan
from shared.dashboards.theme import CATEGORY_DARK, CATEGORY_LIGHT, OTHER_COLOURS, theme_config
from shared.dashboards.validate import validate_dashboard

from .test_compile import needs_vega_lite, vega_lite_validator

TODAY = dt.datetime.now(dt.UTC).date()
THIS_MONTH = TODAY.replace(day=1)
LAST_MONTH = (THIS_MONTH - dt.timedelta(days=1)).replace(day=1)
TWO_AGO = (LAST_MONTH - dt.timedelta(days=1)).replace(day=1)
# series totals 6..1 (x 100), spread over three months; the current month holds a sliver
WEIGHTS = {"A": 6, "B": 5, "C": 4, "D": 3, "E": 2, "F": 1}

SALES = "SELECT day, country, revenue, items FROM `demo.shop.sales`"
MONTHLY = (
    "SELECT DATE_TRUNC(day, MONTH) AS month, country, SUM(revenue) AS revenue "
    "FROM `demo.shop.sales` GROUP BY month, country"
)


@pytest.fixture(scope="module")
def con() -> Any:
    return sales_connection()


def sales_connection() -> Any:
    """An in-memory DuckDB with ``demo.shop.sales``: six series over three months, this one a sliver."""
    import duckdb

    con = duckdb.connect()
    con.execute("ATTACH ':memory:' AS demo")
    con.execute("CREATE SCHEMA demo.shop")
    con.execute("CREATE TABLE demo.shop.sales (day DATE, country VARCHAR, revenue DOUBLE, items BIGINT)")
    rows = []
    for country, weight in WEIGHTS.items():
        rows += [(TWO_AGO, country, 50.0 * weight, weight), (LAST_MONTH, country, 45.0 * weight, weight)]
        rows.append((THIS_MONTH, country, 5.0 * weight, 1))
    con.executemany("INSERT INTO demo.shop.sales VALUES (?, ?, ?, ?)", rows)
    return con


def dashboard(*views: dict[str, Any], theme: str = "monotone") -> Dashboard:
    layout = [{"layout": {"x": 0, "y": 4 * i, "w": 12, "h": 4}} for i in range(len(views))]
    data = {
        "version": 1,
        "title": "Series",
        "theme": theme,
        "queries": {"sales": {"sql": SALES}, "monthly": {"sql": MONTHLY}},
        "views": [{**view, **place} for view, place in zip(views, layout, strict=True)],
    }
    return Dashboard.model_validate(data)


def one(view: dict[str, Any], theme: str = "monotone") -> CompiledView:
    return compile_dashboard(dashboard({"id": "v", **view}, theme=theme)).views[0]


def run(con: Any, view: CompiledView) -> list[dict[str, Any]]:
    assert view.sql is not None
    cursor = con.execute(transpile(view.sql).duckdb_sql)
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def line(**extra: Any) -> dict[str, Any]:
    return {
        "type": "line",
        "query": "sales",
        "x": {"field": "day", "type": "temporal", "time_grain": "month"},
        "y": {"field": "revenue", "format": "currency"},
        "color": {"field": "country"},
        **extra,
    }


def test_top_series_are_kept_and_the_rest_fold_into_other_in_sql(con: Any) -> None:
    rows = run(con, one(line(max_series=3)))
    by_month: dict[dt.date, list[tuple[str, float, int]]] = {}
    for row in rows:
        by_month.setdefault(row["day"], []).append((row["country"], row["revenue"], row["_series_rank"]))
    assert list(by_month) == [TWO_AGO, LAST_MONTH, THIS_MONTH]  # time ascending
    for month, factor in ((TWO_AGO, 50.0), (LAST_MONTH, 45.0), (THIS_MONTH, 5.0)):
        # within a month: ranked series, then Other = D + E + F of that month
        assert by_month[month] == [
            ("A", 6 * factor, 1),
            ("B", 5 * factor, 2),
            ("C", 4 * factor, 3),
            ("Other", 6 * factor, 4),
        ]
    total = sum(r["revenue"] for r in rows)
    assert total == pytest.approx(sum(100.0 * w for w in WEIGHTS.values()))  # nothing lost


def test_a_cap_above_the_series_count_folds_nothing(con: Any) -> None:
    rows = run(con, one(line(max_series=6)))
    assert {r["country"] for r in rows} == set(WEIGHTS)
    assert max(r["_series_rank"] for r in rows) == 6


def test_series_rank_by_the_measure_aggregate_and_other_is_recomputed_from_rows(con: Any) -> None:
    view = line(y={"field": "items", "aggregate": "max"}, max_series=2)
    rows = run(con, one(view))
    last = {r["country"]: r["items"] for r in rows if r["day"] == LAST_MONTH}
    assert last == {"A": 6, "B": 5, "Other": 4}  # MAX over the folded rows, not a sum of maxima


def test_default_cap_is_eight_and_bars_stack_in_rank_order() -> None:
    spec = one({**line(), "type": "bar"}).spec
    color = spec["encoding"]["color"]
    assert color["sort"] == {"field": "_series_rank", "op": "min", "order": "ascending"}
    assert color["scale"]["range"] == [*CATEGORY_LIGHT[:8], OTHER_COLOURS["monotone"]]
    assert spec["encoding"]["order"]["field"] == "_series_rank"
    assert spec["usermeta"]["series"] == {
        "field": "country",
        "limit": 8,
        "other": "Other",
        "other_rest": "Other (rest)",
        "rank": "_series_rank",
    }
    grouped = one(
        {**line(), "type": "bar", "x": {"field": "country"}, "color": {"field": "day", "stack": "grouped"}}
    )
    assert "order" not in grouped.spec["encoding"]  # side by side: no stack to order
    assert grouped.spec["encoding"]["xOffset"]["sort"]["field"] == "_series_rank"


def test_quantitative_colour_and_heatmaps_do_not_fold() -> None:
    scatter = one(
        {
            "type": "scatter",
            "query": "sales",
            "x": {"field": "revenue"},
            "y": {"field": "items"},
            "color": {"field": "items", "type": "quantitative"},
        }
    )
    assert "_series_rank" not in (scatter.sql or "") and "usermeta" not in scatter.spec
    heat = one(
        {
            "type": "heatmap",
            "query": "sales",
            "x": {"field": "country"},
            "y": {"field": "day"},
            "color": {"field": "revenue"},
        }
    )
    assert "_series_rank" not in (heat.sql or "")


def test_scatter_relabels_points_without_aggregating(con: Any) -> None:
    view = {
        "type": "scatter",
        "query": "sales",
        "x": {"field": "revenue"},
        "y": {"field": "items"},
        "color": {"field": "country"},
        "max_series": 1,
    }
    rows = run(con, one(view))
    assert len(rows) == 3 * len(WEIGHTS)  # every point kept
    # scatter series rank by their number of points (all equal here): ties by name, A first
    assert {r["country"] for r in rows} == {"A", "Other"}


def test_pie_keeps_top_slices_plus_other_with_shares_of_the_whole(con: Any) -> None:
    view = {
        "type": "pie",
        "query": "monthly",
        "theta": {"field": "revenue"},
        "color": {"field": "country"},
        "top_n": 2,
    }
    compiled = one(view, theme="dark")
    rows = run(con, compiled)
    assert [(r["country"], r["_series_rank"]) for r in rows] == [("A", 1), ("B", 2), ("Other", 3)]
    whole = sum(100.0 * w for w in WEIGHTS.values())
    assert [r["revenue"] for r in rows] == pytest.approx([600.0, 500.0, 1000.0])
    assert [r["_share"] for r in rows] == pytest.approx([600 / whole, 500 / whole, 1000 / whole])
    assert "LIMIT" not in (compiled.sql or "")  # top_n caps slices; Other is never cut off
    spec = compiled.spec
    assert spec["encoding"]["order"] == {"field": "_series_rank", "type": "quantitative", "sort": "ascending"}
    assert {"field": "_share", "type": "quantitative", "title": "Share", "format": ".1%"} in spec["encoding"][
        "tooltip"
    ]
    assert spec["encoding"]["color"]["scale"]["range"] == [*CATEGORY_DARK[:2], OTHER_COLOURS["dark"]]
    assert one({**view, "top_n": None, "max_slices": 4}).spec["usermeta"]["series"]["limit"] == 4


def test_partial_period_is_flagged_in_sql_and_the_last_complete_period_joins_it(con: Any) -> None:
    rows = run(con, one(line(max_series=2)))
    partial = {(r["day"], r["country"]) for r in rows if r["_partial"]}
    assert partial == {(THIS_MONTH, c) for c in ("A", "B", "Other")}
    edge = {(r["day"], r["country"]) for r in rows if r["_partial_edge"]}
    assert edge == {(LAST_MONTH, c) for c in ("A", "B", "Other")}


def test_partial_period_hide_drops_the_current_period_and_show_keeps_it(con: Any) -> None:
    hidden = one(line(partial_period="hide"))
    assert {r["day"] for r in run(con, hidden)} == {TWO_AGO, LAST_MONTH}
    assert (
        hidden.spec["usermeta"]["partial_period"]["note"]
        == "The current month is still in progress and is left out."
    )
    assert "layer" not in hidden.spec
    shown = one(line(partial_period="show"))
    assert THIS_MONTH in {r["day"] for r in run(con, shown)} and "partial_period" not in shown.spec.get(
        "usermeta", {}
    )
    assert "_partial" not in (shown.sql or "")


def test_partial_grain_comes_from_the_view_or_the_query_truncation() -> None:
    report = validate_dashboard(
        "version: 1\ntitle: t\nqueries:\n  w:\n    sql: SELECT DATE_TRUNC(DATE(created_at), WEEK(MONDAY)) AS week, "
        "SUM(x) AS n FROM `demo.shop.t` GROUP BY week\nviews:\n  - {id: v, type: area, query: w, x: {field: week}, "
        "y: {field: n}, layout: {x: 0, y: 0, w: 12, h: 4}}\n"
    )
    assert report.model is not None, report.errors
    view, sql = report.model.views[0], report.model.queries["w"].sql
    plan = partial_plan(view, sql)
    assert plan is not None and plan.grain == "week" and plan.unit.sql("bigquery") == "WEEK(MONDAY)"
    compiled = compile_dashboard(report.model).views[0]
    assert compiled.sql is not None and "DATE_TRUNC(CURRENT_DATE('UTC'), WEEK(MONDAY))" in compiled.sql
    axis = compiled.spec["encoding"]["x"]["axis"]  # ticks follow the query's grain too: weeks with dates
    assert axis["format"] == "%b %d, %Y" and axis["tickCount"] == {"interval": "week", "step": 1}
    monthly = one(
        {
            "type": "line",
            "query": "monthly",
            "x": {"field": "month", "format": "date"},
            "y": {"field": "revenue"},
        }
    )
    assert monthly.spec["encoding"]["x"]["axis"]["format"] == "%b %Y"
    assert "DATE_TRUNC(DATE(" not in (monthly.sql or "")  # the SQL is not re-truncated
    categorical = view.model_copy(update={"x": view.x.model_copy(update={"type": "nominal"})})
    assert partial_plan(categorical, sql) is None  # no time axis, nothing to mark
    raw = view.model_copy(update={"x": view.x.model_copy(update={"field": "created_at"})})
    assert partial_plan(raw, "SELECT created_at, 1 AS n FROM t").grain == "day"


def test_marked_lines_layer_a_dashed_segment_and_bars_turn_lighter() -> None:
    spec = one(line()).spec
    assert "mark" not in spec
    solid, dashed = spec["layer"]
    assert solid["transform"] == [{"filter": "!datum._partial"}]
    assert dashed["transform"] == [{"filter": "datum._partial || datum._partial_edge"}]
    assert dashed["mark"]["strokeDash"] and dashed["mark"]["type"] == "line"
    assert spec["usermeta"]["partial_period"]["mode"] == "mark"
    bar = one({**line(), "type": "bar"}).spec
    assert bar["encoding"]["opacity"] == {"condition": {"test": "datum._partial", "value": 0.4}, "value": 1}


@needs_vega_lite
@pytest.mark.parametrize("kind", ["line", "area", "bar", "scatter", "pie"])
def test_series_and_partial_specs_validate_and_draw_other_last_in_the_legend(con: Any, kind: str) -> None:
    import vl_convert

    view = {**line(max_series=3), "type": kind}
    if kind == "scatter":
        view["x"] = {"field": "day", "type": "temporal"}
    if kind == "pie":
        view = {
            "type": "pie",
            "query": "monthly",
            "theta": {"field": "revenue"},
            "color": {"field": "country"},
            "max_slices": 3,
        }
    compiled = one(view)
    errors = sorted(vega_lite_validator().iter_errors(compiled.spec), key=str)
    assert errors == [], [e.message for e in errors[:3]]
    values = [
        {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in r.items()} for r in run(con, compiled)
    ]
    svg = vl_convert.vegalite_to_svg(
        {**compiled.spec, "data": {"values": values}, "width": 480, "height": 300}, vl_version="6.4"
    )
    legend = svg.split('class="mark-group role-legend', 1)[1]
    labels = re.findall(r"<text[^>]*>([^<]+)</text>", legend)
    assert [label for label in labels if label in {"A", "B", "C", "Other"}] == ["A", "B", "C", "Other"]
    if kind in ("line", "area"):
        assert "stroke-dasharray" in svg  # the current month's dashed segment
    if kind in ("bar",):
        assert 'opacity="0.4"' in svg or 'fill-opacity="0.4"' in svg


def test_other_colour_is_muted_yet_visible_in_every_theme() -> None:
    for theme in ("monotone", "accent", "dark"):
        background = theme_config(theme)["background"]
        other = OTHER_COLOURS[theme]
        assert _contrast(other, background) >= 3.0, theme
        assert other not in theme_config(theme)["range"]["category"]


def _contrast(a: str, b: str) -> float:
    def luminance(colour: str) -> float:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_folded_sql_keeps_bigquery_syntax() -> None:
    sql = one(line(max_series=3)).sql
    assert sql is not None
    sqlglot.parse_one(sql, read="bigquery")  # parses back
    assert "DENSE_RANK() OVER (ORDER BY `_series_total` DESC, `country` ASC)" in sql
    assert "IF(`_series_rank` <= 3, CAST(`country` AS STRING), `_other_label`)" in sql
    assert "'Other (rest)'" in sql  # the fold's label when a kept series is called Other


def test_top_n_on_a_series_view_keeps_the_top_categories_with_all_their_series(con: Any) -> None:
    view = {
        "type": "bar",
        "query": "sales",
        "x": {"field": "country"},
        "y": {"field": "revenue"},
        "color": {"field": "day", "type": "nominal"},
        "top_n": 2,
        "partial_period": "show",
    }
    compiled = one(view)
    rows = run(con, compiled)
    # A and B (the largest totals), each with all three months, not the two largest cells
    assert [(r["country"], r["_category_rank"]) for r in rows] == [("A", 1)] * 3 + [("B", 2)] * 3
    assert [r["day"] for r in rows[:3]] == [d.isoformat() for d in (TWO_AGO, LAST_MONTH, THIS_MONTH)]
    assert sum(r["revenue"] for r in rows) == pytest.approx(100.0 * (WEIGHTS["A"] + WEIGHTS["B"]))
    assert "LIMIT" not in (compiled.sql or "") and compiled.spec["encoding"]["x"]["sort"] == "-y"
