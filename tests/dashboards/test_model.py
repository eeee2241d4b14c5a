"""The typed dashboard model: built once by the loader, closed, with a series channel."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from pydantic import ValidationError

from shared.dashboards.model import BarView, Dashboard, DateRangeParameter, LineView, TextView
from shared.dashboards.validate import validate_dashboard

from .helpers import demo_tables, valid_examples

SERIES = textwrap.dedent(
    """\
    version: 1
    title: Revenue by month by country
    queries:
      monthly:
        sql: |
          SELECT DATE_TRUNC(DATE(created_at), MONTH) AS month, country, SUM(sale_price) AS revenue
          FROM `demo.thelook_ecommerce.order_items`
          GROUP BY month, country
    views:
      - id: by_country
        type: bar
        query: monthly
        x: {field: month, type: temporal}
        y: {field: revenue}
        color: {field: country, stack: grouped}
        layout: {x: 0, y: 0, w: 12, h: 4}
    """
)


def errors_of(text: str) -> list[dict[str, object]]:
    return validate_dashboard(text, allowed_tables=demo_tables()).errors


@pytest.mark.parametrize("path", valid_examples(), ids=lambda p: p.stem)
def test_valid_examples_load_into_the_model(path: Path) -> None:
    report = validate_dashboard(path.read_text(), allowed_tables=demo_tables())
    model = report.model
    assert isinstance(model, Dashboard)
    assert report.dashboard == model.to_dict()
    assert Dashboard.model_validate(model.to_dict()) == model  # plain data round-trips
    assert [v.id for v in model.views] == [v["id"] for v in report.dashboard["views"]]
    for view in model.views:
        if not isinstance(view, TextView):
            assert view.query in model.queries


def test_views_and_parameters_are_typed_by_their_type() -> None:
    text = SERIES.replace(
        "queries:",
        "parameters:\n  - {name: period, type: date_range, default: {start: today-30d, end: today}}\nqueries:",
    ).replace(
        "GROUP BY month, country",
        "WHERE DATE(created_at) BETWEEN @period_start AND @period_end\n      GROUP BY month, country",
    )
    report = validate_dashboard(text, allowed_tables=demo_tables())
    assert report.ok, report.errors
    assert report.model is not None
    (view,) = report.model.views
    assert isinstance(view, BarView) and view.color is not None
    assert (view.color.field, view.color.stack) == ("country", "grouped")
    (parameter,) = report.model.parameters
    assert isinstance(parameter, DateRangeParameter)
    assert parameter.bound_names() == ("period_start", "period_end")
    assert parameter.label == "Period"
    assert report.model.refresh_written is False and report.model.refresh == "1h"


def test_a_line_series_has_no_stack_and_stack_has_two_modes() -> None:
    line = SERIES.replace("type: bar", "type: line")
    (error,) = errors_of(line)
    assert error["path"] == "views[0].color.stack" and "unknown key 'stack'" in error["message"]
    assert errors_of(line.replace(", stack: grouped", "")) == []
    report = validate_dashboard(line.replace(", stack: grouped", ""), allowed_tables=demo_tables())
    assert report.model is not None and isinstance(report.model.views[0], LineView)
    (error,) = errors_of(SERIES.replace("stack: grouped", "stack: side"))
    assert (
        error["path"] == "views[0].color.stack"
        and "'side' is not one of: stacked, grouped" in error["message"]
    )


def test_the_series_field_must_come_from_the_query() -> None:
    (error,) = errors_of(SERIES.replace("color: {field: country", "color: {field: countries"))
    assert (error["path"], error["line"]) == ("views[0].color.field", 15)
    assert "did you mean 'country'" in error["message"]
    report = validate_dashboard(SERIES, allowed_tables=demo_tables())
    (late,) = report.column_errors({"monthly": ["month", "revenue"]})
    assert (late["path"], late["line"]) == ("views[0].color.field", 15)


def test_the_model_is_closed_and_frozen() -> None:
    report = validate_dashboard(SERIES, allowed_tables=demo_tables())
    assert report.dashboard is not None
    data = report.dashboard
    with pytest.raises(ValidationError):
        Dashboard.model_validate({**data, "colour": "red"})
    with pytest.raises(ValidationError):
        Dashboard.model_validate({**data, "views": [{**data["views"][0], "type": "sparkline"}]})
    assert report.model is not None
    with pytest.raises(ValidationError):
        report.model.views[0].top_n = 3  # type: ignore[misc]


def test_refresh_written_in_the_yaml_is_known() -> None:
    report = validate_dashboard(SERIES.replace("title: Revenue", "refresh: 15m\ntitle: Revenue"))
    assert report.model is not None and report.model.refresh_written and report.model.refresh == "15m"
