"""The chart grammar on a schema of its own (a cycling club): chart words, grouping phrases, bins, sort."""

from __future__ import annotations

import pytest

from shared.adapters.model.offline.catalog_match import Col, TableSchema
from shared.adapters.model.offline.chart_build import build_dashboard
from shared.adapters.model.offline.chart_grammar import parse_chart
from shared.adapters.model.offline.linking import mentions, pick_table

RIDES = TableSchema(
    "club.rides.RideLog",
    (
        Col("RideID", "INT64"),
        Col("RiderName", "STRING"),
        Col("bike_type", "STRING"),
        Col("Distance_km", "FLOAT64"),
        Col("climb_m", "INT64"),
        Col("ride_date", "DATE"),
        Col("Weather", "STRING"),
    ),
)
MEMBERS = TableSchema("club.rides.members", (Col("member_id", "INT64"), Col("home_town", "STRING")))

CASES = [
    # request, mark, x, bin, y aggregate, y column, colour
    ("Bar chart of the average distance km for each bike type", "bar", "bike_type", None, "avg", "Distance_km", None),
    ("how many rides per weather? show a pie", "pie", "Weather", None, "count", None, None),
    ("Show the relationship between distance km and climb m", "scatter", "Distance_km", None, "none", "climb_m", None),
    ("scatter of distance and climb, colored by bike type", "scatter", "Distance_km", None, "none", "climb_m", "bike_type"),
    ("a line chart of the total climb over ride date, bin ride date by weekday", "line", "ride_date", "weekday", "sum", "climb_m", None),
    ("number of rides by ride date by year as a bar chart", "bar", "ride_date", "year", "count", None, None),
    ("stacked bar of the number of rides for each weather, grouped by bike type", "bar", "Weather", None, "count", None, "bike_type"),
    ("x-axis rider name and y-axis the maximum climb, as bars", "bar", "RiderName", None, "max", "climb_m", None),
    ("scatter of climb vs distance where distance is on the x-axis, colored by weather", "scatter", "Distance_km", None, "none", "climb_m", "Weather"),
    ("Give me the sum of distance over the weather with a bar chart", "bar", "Weather", None, "sum", "Distance_km", None),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_request_reads_into_the_chart_it_names(case: tuple) -> None:
    text, mark, x, bin_, agg, y, color = case
    spec = parse_chart(text, RIDES)
    assert spec is not None
    assert (spec.mark, spec.x.column and spec.x.column.name, spec.x.bin) == (mark, x, bin_)
    assert spec.y.aggregate == agg
    counted = spec.y.column is None or spec.y.column.name == x  # COUNT(*) or COUNT(x)
    assert counted if agg == "count" else (spec.y.column and spec.y.column.name) == y
    assert (spec.color and spec.color.name) == color


def test_ordinary_words_never_become_columns() -> None:
    spec = parse_chart("compute and show the count, colored by weather, in a bar chart", RIDES)
    assert spec is not None
    assert {m.column.name for m in mentions("compute showing axis colored", RIDES)} == set()


def test_condition_columns_are_not_axes_and_are_applied() -> None:
    spec = parse_chart(
        "For rides whose climb m is above 300, show the average distance by weather in a bar chart", RIDES
    )
    assert spec is not None
    assert (spec.x.column and spec.x.column.name, spec.y.column and spec.y.column.name) == (
        "Weather",
        "Distance_km",
    )
    assert spec.conditions == [] and [f.describe() for f in spec.filters] == ["climb_m > 300"]
    assert "t.`climb_m` > 300" in build_dashboard(spec)["queries"]["chart"]["sql"]


def test_sort_and_limit() -> None:
    spec = parse_chart(
        "bar chart of total distance by rider name, sort the y-axis from high to low, top 5", RIDES
    )
    assert spec is not None and (spec.sort, spec.limit) == (("y", "desc"), 5)
    spec = parse_chart("bar chart of total distance by rider name, alphabetically", RIDES)
    assert spec is not None and spec.sort == ("x", "asc")


def test_the_table_named_best_is_picked() -> None:
    picked = pick_table("members by home town", [RIDES, MEMBERS])
    assert picked is not None and picked[0].name == MEMBERS.name


def test_dashboard_keeps_each_axis_traceable_in_sql() -> None:
    spec = parse_chart("stacked bar of the average distance for each weather by bike type", RIDES)
    assert spec is not None
    dashboard = build_dashboard(spec)
    sql = dashboard["queries"]["chart"]["sql"]
    view = dashboard["views"][0]
    assert "AVG(t.`Distance_km`) AS avg_distance_km" in sql and "GROUP BY weather, bike_type" in sql
    assert (view["x"]["field"], view["y"]["field"], view["color"]["field"]) == (
        "weather",
        "avg_distance_km",
        "bike_type",
    )


def test_a_sorted_scatter_keeps_the_order_in_the_sql_only() -> None:
    spec = parse_chart("scatter of distance km and climb m in descending order of distance km", RIDES)
    assert spec is not None and spec.mark == "scatter" and spec.sort is not None
    dashboard = build_dashboard(spec)
    assert "sort" not in dashboard["views"][0]  # the scatter view's schema has no sort
    assert "ORDER BY" in dashboard["queries"]["chart"]["sql"]
