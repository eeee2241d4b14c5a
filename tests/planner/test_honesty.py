"""Honest replies: every element of a request shows in the dashboard, or the reply says what was used
instead or why it was left out; a draft that answers a different question is not saved.

The substitution kinds run on a made-up schema (``coverage`` over typed dashboards), and through the
real chat path on the demo warehouse.
"""

from __future__ import annotations

from typing import Any

import pytest

from shared.adapters.model.offline.catalog_match import Catalog, TableSchema
from shared.adapters.model.offline.honesty import coverage
from shared.adapters.model.offline.intent import parse
from shared.adapters.model.protocol import TableSchemaResult
from shared.dashboards.model import Dashboard

from .planner_env import PlannerEnv


def _schema(result: dict[str, Any]) -> TableSchema:
    """A table schema from a get_table_schema result (no partitioning or clustering unless given)."""
    return TableSchema.from_result(
        TableSchemaResult.model_validate({"partitioning": None, "clustering": [], **result})
    )


CATALOG = Catalog(
    [
        _schema(
            {
                "name": "p.shop.sales",
                "row_count": 1000,
                "columns": [
                    {"name": "id", "type": "INT64"},
                    {"name": "amount", "type": "NUMERIC"},
                    {"name": "region", "type": "STRING", "sample_values": ["North", "South"]},
                    {"name": "colour", "type": "STRING"},
                    {"name": "sold_at", "type": "TIMESTAMP"},
                ],
            }
        ),
        _schema(
            {
                "name": "p.shop.stores",
                "row_count": 10,
                "columns": [
                    {"name": "id", "type": "INT64"},
                    {"name": "city", "type": "STRING", "sample_values": ["Lyon", "Porto"]},
                ],
            }
        ),
    ]
)
LAYOUT = {"x": 0, "y": 0, "w": 12, "h": 4}


def _dashboard(view: dict[str, Any], sql: str, parameters: list[dict[str, Any]] | None = None) -> Dashboard:
    data: dict[str, Any] = {
        "version": 1,
        "title": view.get("title", "Sales"),
        "queries": {"q": {"sql": sql}},
        "views": [{"id": "v", "query": "q", "layout": LAYOUT, **view}],
    }
    if parameters:
        data["parameters"] = parameters
    return Dashboard.model_validate(data)


BY_REGION = _dashboard(
    {"type": "bar", "title": "Amount by region", "x": {"field": "region", "type": "nominal"},
     "y": {"field": "amount", "type": "quantitative"}},
    "SELECT region, SUM(amount) AS amount FROM `p.shop.sales` GROUP BY region",
)  # fmt: skip
BY_MONTH = _dashboard(
    {"type": "line", "title": "Amount by month", "x": {"field": "month", "type": "temporal"},
     "y": {"field": "amount", "type": "quantitative"}},
    "SELECT DATE_TRUNC(DATE(sold_at), MONTH) AS month, SUM(amount) AS amount FROM `p.shop.sales` GROUP BY month",
)  # fmt: skip


def _notes(message: str, dashboard: Dashboard) -> list[str]:
    return coverage(message, parse(message), dashboard, CATALOG).notes


def test_the_dashboard_asked_for_gets_no_excuse() -> None:
    assert _notes("amount by region", BY_REGION) == []
    assert _notes("amount by region as a bar chart", BY_REGION) == []
    assert _notes("monthly amount", BY_MONTH) == []


@pytest.mark.parametrize(
    ("message", "dashboard", "expected"),
    [
        ("amount by month as a pie", BY_MONTH, "You asked for a pie chart; I drew a line chart because a pie cannot show a time axis"),
        ("line chart of amount by region", BY_REGION, "You asked for a line chart; I drew a bar chart because there is no time axis"),
        ("amount by region and colour", BY_REGION, "I could not split it by “colour” as asked; it shows region instead"),
        ("amount by flavour", BY_REGION, "I found no column for “flavour” in these tables"),
        ("amount and profit by region", BY_REGION, "I found no measure “profit” in these tables"),
        ("top 3 regions by amount", BY_REGION, "I did not cut it to the top 3"),
        ("amount by month sorted descending", BY_MONTH, "I did not sort it descending: a time axis stays in time order"),
        ("amount by region in the last 30 days", BY_REGION, "I did not limit it to last 30 days: its queries cover every date"),
    ],
    ids=["chart type (pie of time)", "chart type (line of categories)", "grouping", "unknown grouping",
         "measure", "top N", "sort", "period"],
)  # fmt: skip
def test_each_substitution_is_named(message: str, dashboard: Dashboard, expected: str) -> None:
    notes = _notes(message, dashboard)
    assert any(expected in n for n in notes), notes


def test_a_grouping_none_of_which_is_drawn_is_a_different_question() -> None:
    found = coverage("amount by colour", parse("amount by colour"), BY_REGION, CATALOG)
    assert found.different_question and found.missing_grouping == "colour"
    assert not coverage(
        "amount by region and colour", parse("amount by region and colour"), BY_REGION, CATALOG
    ).different_question


def test_the_period_and_filters_that_apply_are_not_excused() -> None:
    ranged = _dashboard(
        {"type": "bar", "title": "Amount by region", "x": {"field": "region", "type": "nominal"},
         "y": {"field": "amount", "type": "quantitative"}},
        "SELECT region, SUM(amount) AS amount FROM `p.shop.sales` "
        "WHERE DATE(sold_at) BETWEEN @period_start AND @period_end GROUP BY region",
        [{"name": "period", "type": "date_range", "default": {"start": "today-30d", "end": "today"}}],
    )  # fmt: skip
    assert _notes("amount by region in the last 30 days", ranged) == []


def _edit_notes(message: str, dashboard: Dashboard, said: list[str] | None = None) -> list[str]:
    return coverage(message, parse(message), dashboard, CATALOG, edit=True, said=said).notes


NORTH = _dashboard(
    {"type": "bar", "title": "Amount by colour", "x": {"field": "colour", "type": "nominal"},
     "y": {"field": "amount", "type": "quantitative"}},
    "SELECT colour, SUM(amount) AS amount FROM `p.shop.sales` WHERE region = @region AND amount > 30 GROUP BY colour",
    [{"name": "region", "type": "string", "default": "North"}],
)  # fmt: skip


def test_values_and_conditions_that_apply_get_no_excuse() -> None:
    assert _notes("amount by colour for North where amount is above 30", NORTH) == []


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("amount by region for South", "I did not filter it to “South” (sales.region)"),
        ("amount by region in Lyon", "I did not filter it to “Lyon” (stores.city)"),
        ("amount by region for sales whose amount is above 30", "I did not apply the condition “amount > 30”"),
        ("amount by region for sales whose amount is above 30 or whose colour is empty",
         "I did not apply the condition “whose amount is above 30 or whose colour is empty”"),
    ],
    ids=["value of a drawn table", "value of a table not read", "condition", "condition the grammar cannot read"],
)  # fmt: skip
def test_each_unapplied_filter_is_named(message: str, expected: str) -> None:
    notes = _notes(message, BY_REGION)
    assert any(expected in n for n in notes), notes
    assert not any("I found no measure" in n for n in notes), notes  # a value is not called a measure


def test_an_edit_is_checked_for_what_it_changes_only() -> None:
    notes = _edit_notes("top 3 for the last 30 days as a bar chart", BY_MONTH)
    assert any(n.startswith("I did not make it a bar chart: it is still a line chart") for n in notes), notes
    assert any("I did not limit it to last 30 days" in n for n in notes), notes
    assert any("I did not cut it to the top 3" in n for n in notes), notes
    assert not any("measure" in n or "split" in n for n in notes), notes  # "top", "days": no measures
    # a reason the edit's own notes already give is not given twice
    said = ["“Amount by month” shows a time axis, which has no top 3"]
    assert not any("top 3" in n for n in _edit_notes("top 3 as a bar chart", BY_MONTH, said))


def test_a_period_left_as_it_was_is_named() -> None:
    ranged = _dashboard(
        {"type": "bar", "title": "Amount by region", "x": {"field": "region", "type": "nominal"},
         "y": {"field": "amount", "type": "quantitative"}},
        "SELECT region, SUM(amount) AS amount FROM `p.shop.sales` "
        "WHERE DATE(sold_at) BETWEEN @period_start AND @period_end GROUP BY region",
        [{"name": "period", "type": "date_range", "default": {"start": "today-90d", "end": "today"}}],
    )  # fmt: skip
    notes = _edit_notes("last 30 days", ranged)
    assert notes == ["I did not change the period to last 30 days: it still covers the last 90 days."], notes


# -- through the chat path ------------------------------------------------------------------


def test_a_pie_of_months_is_drawn_as_a_line_and_the_reply_says_why(demo_env: PlannerEnv) -> None:
    turn = demo_env.fresh().ask("revenue by month as a pie")
    assert turn.saved is not None, turn.text
    assert "You asked for a pie chart; I drew a line chart because a pie cannot show a time axis" in turn.text


def test_a_line_of_categories_is_drawn_as_bars_and_the_reply_says_why(demo_env: PlannerEnv) -> None:
    env = demo_env.fresh()
    turn = env.ask("line chart of revenue by category")
    assert turn.saved is not None, turn.text
    views = [v["type"] for v in env.dashboard(turn.saved["dashboard_slug"])[0]["views"]]
    if "line" not in views:
        assert "You asked for a line chart" in turn.text, turn.text


def test_a_grouping_with_no_column_gets_one_question_with_options(demo_env: PlannerEnv) -> None:
    turn = demo_env.fresh().ask("revenue by flavour of the month")
    assert turn.saved is None and "save_dashboard_yaml" not in turn.calls, turn.text
    options = [line for line in turn.text.splitlines() if line.startswith("- ")]
    assert 2 <= len(options) <= 4 and turn.text.count("?") == 1, turn.text


def test_a_value_the_chart_does_not_filter_by_is_named(demo_env: PlannerEnv) -> None:
    env = demo_env.fresh()
    turn = env.ask("number of orders by status in France as a pie")
    assert turn.saved is not None, turn.text
    sql = " ".join(q["sql"] for q in env.dashboard(turn.saved["dashboard_slug"])[0]["queries"].values())
    if "France" not in sql and "@country" not in sql:
        assert "I did not filter it to “France” (users.country)" in turn.text, turn.text
    assert "I found no measure “france”" not in turn.text, turn.text


def test_a_condition_the_designer_cannot_read_is_named(demo_env: PlannerEnv) -> None:
    turn = demo_env.fresh().ask("revenue by country for users whose age is above 30 or whose state is empty")
    assert turn.saved is not None, turn.text
    assert "I did not apply the condition “whose age is above 30 or whose state is empty”" in turn.text, (
        turn.text
    )


def test_a_count_of_the_entity_is_not_offered_for_a_measure_nothing_holds(demo_env: PlannerEnv) -> None:
    env = demo_env.fresh()
    turn = env.ask("customer lifetime value by traffic source")  # no lifetime value: not a count of users
    assert turn.saved is None and "save_dashboard_yaml" not in turn.calls, turn.text
    assert "I could not find “lifetime”" in turn.text and turn.text.count("?") == 1, turn.text
    new = env.ask("new users per month")  # a modifier of the entity still counts it
    assert new.saved is not None, new.text
