"""The scoring rule on hand-made gold charts and views, one rule per test."""

from __future__ import annotations

from typing import Any

from shared.evaluation.scoring import judge


def gold(mark: str, x: str, y: tuple[str | None, str], *, xbin: str | None = None, xtype: str = "VARCHAR",
         color: str | None = None, grouped: bool = False, xagg: str = "none") -> dict[str, Any]:  # fmt: skip
    return {"mark": mark, "stacked_or_grouped": grouped,
            "x": {"field": x, "bin": xbin, "aggregate": xagg, "type": xtype},
            "y": {"field": y[0], "aggregate": y[1]}, "color": color}  # fmt: skip


def view(mark: str, x: str | None, y: tuple[str | None, str], *, xbin: str | None = None,
         color: str | None = None, xagg: str | None = None) -> dict[str, Any]:  # fmt: skip
    v: dict[str, Any] = {"mark": mark, "x": {"field": x, "bin": xbin}, "y": {"field": y[0], "aggregate": y[1]},
                         "color": color}  # fmt: skip
    if xagg is not None:
        v["x"]["aggregate"] = xagg
    return v


def verdict(golds: list[dict[str, Any]], views: list[dict[str, Any]]) -> tuple[int, ...]:
    v = judge(golds, views).as_dict()
    return tuple(
        int(v[k]) for k in ("chart", "axes", "both", "chart_lenient", "axes_lenient", "both_lenient")
    )


def test_count_star_meets_count_of_a_column_and_names_compare_case_insensitively() -> None:
    g = gold("bar", "Party", ("Party", "count"))
    assert verdict([g], [view("bar", "party", (None, "count"))]) == (1, 1, 1, 1, 1, 1)
    assert verdict([g], [view("bar", "PARTY", ("member_id", "count"))]) == (1, 1, 1, 1, 1, 1)


def test_a_count_is_not_a_count_distinct_nor_a_sum() -> None:
    g = gold("bar", "Party", ("Party", "count"))
    assert verdict([g], [view("bar", "Party", ("Party", "count_distinct"))])[1] == 0
    assert verdict([g], [view("bar", "Party", ("Party", "sum"))])[1] == 0


def test_other_aggregates_need_the_same_column_and_aliases_are_read() -> None:
    g = gold("bar", "job", ("salary", "avg"))
    assert verdict([g], [view("bar", "job", ("salary", "mean"))]) == (1, 1, 1, 1, 1, 1)
    assert verdict([g], [view("bar", "job", ("bonus", "avg"))]) == (1, 0, 0, 1, 0, 0)


def test_raw_values_are_not_a_sum() -> None:
    g = gold("scatter", "Clean_Jerk", ("Total", "none"))
    assert verdict([g], [view("scatter", "Clean_Jerk", ("Total", "sum"))]) == (1, 0, 0, 1, 0, 0)
    assert verdict([g], [view("scatter", "clean_jerk", ("total", "none"))]) == (1, 1, 1, 1, 1, 1)


def test_a_year_bin_on_an_integer_column_is_met_by_no_bin_but_not_on_a_date() -> None:
    on_int = gold("line", "Openning_year", ("Budget", "sum"), xbin="year", xtype="INTEGER")
    on_date = gold("line", "opened", ("Budget", "sum"), xbin="year", xtype="DATE")
    assert verdict([on_int], [view("line", "openning_year", ("budget", "sum"))])[2] == 1
    assert verdict([on_int], [view("line", "openning_year", ("budget", "sum"), xbin="year")])[2] == 1
    assert verdict([on_date], [view("line", "opened", ("budget", "sum"))])[2] == 0
    assert verdict([on_date], [view("line", "opened", ("budget", "sum"), xbin="year")])[2] == 1


def test_other_bins_must_match_exactly() -> None:
    g = gold("bar", "HIRE_DATE", ("SALARY", "avg"), xbin="weekday", xtype="DATE")
    assert verdict([g], [view("bar", "HIRE_DATE", ("SALARY", "avg"), xbin="month")]) == (1, 0, 0, 1, 0, 0)
    weekday_on_int = gold("bar", "Start_from", (None, "count"), xbin="weekday", xtype="INTEGER")
    assert verdict([weekday_on_int], [view("bar", "Start_from", (None, "count"))])[1] == 0


def test_stacked_or_grouped_needs_a_colour_series_and_the_same_colour_column() -> None:
    stacked = gold("bar", "Year", (None, "count"), color="Theme", grouped=True)
    assert verdict([stacked], [view("bar", "Year", (None, "count"))]) == (0, 0, 0, 0, 0, 0)
    assert verdict([stacked], [view("bar", "Year", (None, "count"), color="Venue")]) == (1, 0, 0, 1, 0, 0)
    assert verdict([stacked], [view("bar", "year", (None, "count"), color="theme")]) == (1, 1, 1, 1, 1, 1)
    plain = gold("line", "Year", (None, "count"))
    assert verdict([plain], [view("line", "Year", (None, "count"), color="Theme")]) == (0, 0, 0, 0, 0, 0)


def test_a_pie_has_no_series_rule_and_marks_must_match() -> None:
    g = gold("pie", "apt_type_code", ("room_count", "min"))
    assert verdict([g], [view("pie", "apt_type_code", ("room_count", "min"))]) == (1, 1, 1, 1, 1, 1)
    assert verdict([g], [view("bar", "apt_type_code", ("room_count", "min"))]) == (0, 1, 0, 0, 1, 0)
    assert verdict([g], [{"mark": "table"}]) == (0, 0, 0, 0, 0, 0)


def test_the_x_aggregate_of_a_scatter_of_aggregates_is_compared() -> None:
    g = gold("scatter", "price", ("rating", "avg"), xagg="avg")
    assert verdict([g], [view("scatter", "price", ("rating", "avg"))])[1] == 0
    assert verdict([g], [view("scatter", "price", ("rating", "avg"), xagg="mean")])[1] == 1


def test_strict_judges_the_first_view_lenient_any_view() -> None:
    g = gold("pie", "type", ("rooms", "min"))
    views = [view("bar", "type", ("rooms", "min")), view("pie", "type", ("rooms", "min"))]
    assert verdict([g], views) == (0, 1, 0, 1, 1, 1)
    assert verdict([g], []) == (0, 0, 0, 0, 0, 0)


def test_both_needs_chart_type_and_axes_on_the_same_view() -> None:
    g = gold("line", "year", ("sales", "sum"))
    right_mark_wrong_axes = view("line", "month", ("sales", "sum"))
    wrong_mark_right_axes = view("bar", "year", ("sales", "sum"))
    assert verdict([g], [right_mark_wrong_axes, wrong_mark_right_axes]) == (1, 0, 0, 1, 1, 0)


def test_any_accepted_gold_is_a_right_answer() -> None:
    golds = [gold("line", "paperid", ("authorder", "avg")), gold("line", "instid", ("authorder", "avg"))]
    views = [view("bar", "instid", ("authorder", "avg")), view("line", "INSTID", ("authorder", "mean"))]
    assert verdict(golds, views) == (0, 1, 0, 1, 1, 1)
    assert verdict(golds, [view("line", "paperid", ("authorder", "avg"))]) == (1, 1, 1, 1, 1, 1)
    assert verdict(golds, [view("line", "other", ("authorder", "avg"))]) == (1, 0, 0, 1, 0, 0)


def test_bare_field_names_and_missing_keys_do_not_crash() -> None:
    g = gold("bar", "name", (None, "count"))
    assert verdict([g], [{"mark": "bar", "x": "name", "y": {"aggregate": "count"}, "color": None}])[2] == 1
    assert verdict([g], [{"mark": "bar"}, "not a view"])[0] == 1  # type: ignore[list-item]
