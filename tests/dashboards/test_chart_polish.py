"""Follow-ups to series caps and partial periods: helper columns kept out of what people get, a
series really called "Other", bars on a time axis (period-wide, grouped side by side), and the
"left out" note only when something was left out. SQL on a real DuckDB, specs drawn by vl-convert."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from shared.dashboards.compile import CompiledView, compile_dashboard
from shared.dashboards.visible import HELPER_COLUMNS, visible_data, visible_view

from .test_compile import needs_vega_lite, vega_lite_validator
from .test_series_partial import LAST_MONTH, THIS_MONTH, TWO_AGO, WEIGHTS, run, sales_connection


@pytest.fixture(scope="module")
def con() -> Any:
    return sales_connection()


RENAMED = "SELECT day, IF(country = 'A', 'Other', country) AS country, revenue, items FROM `demo.shop.sales`"
PAST = f"SELECT day, country, revenue FROM `demo.shop.sales` WHERE day < DATE '{THIS_MONTH.isoformat()}'"


def compiled(
    view: dict[str, Any], sql: str = "SELECT day, country, revenue, items FROM `demo.shop.sales`"
) -> CompiledView:
    data = {
        "version": 1,
        "title": "Polish",
        "queries": {"q": {"sql": sql}},
        "views": [{"id": "v", "query": "q", "layout": {"x": 0, "y": 0, "w": 12, "h": 4}, **view}],
    }
    return compile_dashboard(data).views[0]


def series(kind: str = "line", **extra: Any) -> dict[str, Any]:
    return {
        "type": kind,
        "x": {"field": "day", "type": "temporal", "time_grain": "month"},
        "y": {"field": "revenue", "format": "currency"},
        "color": {"field": "country"},
        **extra,
    }


def columnar(rows: list[dict[str, Any]]) -> dict[str, Any]:
    names = list(rows[0])
    return {
        "view_id": "v",
        "columns": [{"name": n} for n in names],
        "values": [[r[n] for r in rows] for n in names],
        "row_count": len(rows),
    }


def test_visible_rows_leave_out_every_helper_column_the_sql_adds(con: Any) -> None:
    views = [
        compiled(series(max_series=3)),  # rank, partial flags
        compiled(series("bar", top_n=2, max_series=3)),  # category rank and total too
        compiled(
            {"type": "pie", "theta": {"field": "revenue"}, "color": {"field": "country"}, "max_slices": 3}
        ),
        compiled(series(partial_period="hide")),
    ]
    seen: set[str] = set()
    for view in views:
        payload = columnar(run(con, view))
        names = [c["name"] for c in payload["columns"]]
        seen |= set(names) & HELPER_COLUMNS
        visible = visible_view(payload)
        kept = [c["name"] for c in visible["columns"]]
        assert kept == [n for n in names if not n.startswith("_")], names  # the query's columns, in order
        assert visible["values"] == [payload["values"][names.index(n)] for n in kept]
        assert visible["row_count"] == payload["row_count"]
        assert payload["columns"] != visible["columns"]  # the payload itself is not changed
    assert {
        "_series_rank",
        "_share",
        "_partial",
        "_partial_edge",
        "_partial_hidden",
        "_category_rank",
    } <= seen
    wrapped = visible_data(
        {"views": [columnar(run(con, views[0])), {"view_id": "t", "columns": [], "values": []}]}
    )
    assert [c["name"] for c in wrapped["views"][0]["columns"]] == ["day", "revenue", "country"]


def test_a_series_really_called_other_keeps_its_name_apart_from_the_folded_rest(con: Any) -> None:
    view = compiled(series(max_series=2), RENAMED)  # A (the largest) is now called "Other"
    rows = run(con, view)
    names = list(dict.fromkeys(r["country"] for r in sorted(rows, key=lambda r: r["_series_rank"])))
    assert names == ["Other", "B", "Other (rest)"]
    other = sum(r["revenue"] for r in rows if r["country"] == "Other")
    rest = sum(r["revenue"] for r in rows if r["country"] == "Other (rest)")
    assert other == pytest.approx(100.0 * WEIGHTS["A"])  # its own rows only
    assert rest == pytest.approx(100.0 * sum(WEIGHTS[c] for c in "CDEF"))
    assert {r["_series_rank"] for r in rows if r["country"] == "Other (rest)"} == {3}
    # without a clash the remainder is plain "Other"; a folded series called "Other" is part of it
    folded = run(con, compiled(series(max_series=2)))
    assert list(dict.fromkeys(r["country"] for r in folded))[-1] == "Other"
    small = "SELECT day, IF(country = 'F', 'Other', country) AS country, revenue FROM `demo.shop.sales`"
    assert {r["country"] for r in run(con, compiled(series(max_series=2), small))} == {"A", "B", "Other"}


def test_hide_reports_how_many_rows_it_left_out(con: Any) -> None:
    hidden = run(con, compiled(series(partial_period="hide")))
    assert {r["day"] for r in hidden} == {TWO_AGO, LAST_MONTH}
    assert {r["_partial_hidden"] for r in hidden} == {len(WEIGHTS)}  # this month's six series rows
    spec = compiled(series(partial_period="hide")).spec
    assert spec["usermeta"]["partial_period"]["flag"] == "_partial_hidden"
    nothing = run(con, compiled(series(partial_period="hide"), PAST))  # no current-month rows at all
    assert nothing and {r["_partial_hidden"] for r in nothing} == {0}


@needs_vega_lite
@pytest.mark.parametrize("stack", ["grouped", None])
def test_bars_on_a_time_axis_fill_their_period_and_group_side_by_side(con: Any, stack: str | None) -> None:
    import vl_convert

    color = {"field": "country", **({"stack": stack} if stack else {})}
    view = compiled(series("bar", color=color, max_series=3))
    x = view.spec["encoding"]["x"]
    assert x["type"] == "ordinal" and x["timeUnit"] == "utcyearmonth"
    assert ("xOffset" in view.spec["encoding"]) == (stack == "grouped")
    errors = sorted(vega_lite_validator().iter_errors(view.spec), key=str)
    assert errors == [], [e.message for e in errors[:3]]
    values = [
        {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in r.items()} for r in run(con, view)
    ]
    width = 480
    svg = vl_convert.vegalite_to_svg(
        {**view.spec, "data": {"values": values}, "width": width, "height": 300}, vl_version="6.4"
    )
    widths = [float(w) for w in re.findall(r'aria-roledescription="bar" d="M[\d.-]+,[\d.-]+h([\d.]+)', svg)]
    assert len(widths) == 3 * 4  # three months, four series (A, B, C, Other)
    per_period = width / 3
    if stack == "grouped":  # side by side: a quarter of the month's band each, not a sliver
        assert all(per_period / 4 * 0.5 < w <= per_period / 4 for w in widths), widths
    else:  # stacked: one bar as wide as most of its month
        assert all(w > per_period * 0.5 for w in widths), widths
    labels = re.findall(r"<text[^>]*>([^<]+)</text>", svg)
    assert LAST_MONTH.strftime("%b %Y") in labels  # months label as "Jan 2024"
