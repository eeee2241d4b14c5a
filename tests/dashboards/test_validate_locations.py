"""Validation errors point at the exact YAML line; every problem is reported at once."""

from __future__ import annotations

import textwrap
from typing import Any

import pytest

from shared.dashboards.validate import raise_for_report, validate_dashboard
from shared.errors import ValidationFailed

from .helpers import demo_tables

BASE = textwrap.dedent(
    """\
    version: 1
    title: Revenue
    parameters:
      - {name: start_date, type: date, default: "2024-01-01"}
    queries:
      monthly:
        sql: |
          SELECT DATE_TRUNC(DATE(created_at), MONTH) AS month,
                 SUM(sale_price) AS revenue
          FROM `demo.thelook_ecommerce.order_items`
          WHERE DATE(created_at) >= @start_date
          GROUP BY month
    views:
      - id: total
        type: kpi
        query: monthly
        value: {field: revenue, aggregate: sum, format: currency}
        layout: {x: 0, y: 0, w: 3, h: 2}
      - id: trend
        type: line
        query: monthly
        x: {field: month, type: temporal}
        y: {field: revenue, type: quantitative}
        layout: {x: 3, y: 0, w: 9, h: 4}
    """
)


def errors_of(text: str, **kwargs: Any) -> list[dict[str, Any]]:
    return validate_dashboard(text, allowed_tables=demo_tables(), **kwargs).errors


def only(errors: list[dict[str, Any]]) -> dict[str, Any]:
    assert len(errors) == 1, errors
    return errors[0]


def test_base_document_is_valid() -> None:
    report = validate_dashboard(BASE, allowed_tables=demo_tables())
    assert report.ok, report.errors
    assert report.dashboard is not None
    assert report.dashboard["theme"] == "monotone" and report.dashboard["refresh"] == "1h"
    assert report.dashboard["parameters"][0]["label"] == "Start date"
    assert report.tables == ("demo.thelook_ecommerce.order_items",)


def test_wrong_type_on_its_line() -> None:
    error = only(
        errors_of(BASE.replace("layout: {x: 3, y: 0, w: 9, h: 4}", "layout: {x: 3, y: 0, w: nine, h: 4}"))
    )
    assert (error["path"], error["line"], error["column"]) == ("views[1].layout.w", 24, 29)
    assert "not of type 'integer'" in error["message"]


def test_unknown_key_points_at_the_key() -> None:
    text = BASE.replace("    type: line\n", "    type: line\n    colour: {field: month}\n")
    error = only(errors_of(text))
    assert (error["path"], error["line"], error["column"]) == ("views[1].colour", 21, 5)
    assert "unknown key 'colour'" in error["message"] and "color" in error["message"]


def test_overlapping_layout_on_the_later_view() -> None:
    error = only(errors_of(BASE.replace("{x: 3, y: 0, w: 9, h: 4}", "{x: 2, y: 1, w: 9, h: 4}")))
    assert (error["path"], error["line"]) == ("views[1].layout", 24)
    assert "overlaps view 'total'" in error["message"]


def test_touching_views_do_not_overlap() -> None:
    assert errors_of(BASE.replace("{x: 3, y: 0, w: 9, h: 4}", "{x: 0, y: 2, w: 12, h: 4}")) == []


def test_unknown_field_suggests_the_close_column() -> None:
    error = only(errors_of(BASE.replace("y: {field: revenue", "y: {field: revenu")))
    assert (error["path"], error["line"]) == ("views[1].y.field", 23)
    assert "unknown field 'revenu'" in error["message"] and "did you mean 'revenue'" in error["message"]


def test_fields_checked_against_query_columns_from_a_dry_run() -> None:
    columns = {"monthly": ["month", "total_revenue"]}
    errors = errors_of(BASE, query_columns=columns)
    assert [(e["path"], e["line"]) for e in errors] == [
        ("views[0].value.field", 17),
        ("views[1].y.field", 23),
    ]


def test_fields_unknowable_with_select_star_are_skipped() -> None:
    text = BASE.replace("SELECT DATE_TRUNC(DATE(created_at), MONTH) AS month,\n", "SELECT *,\n")
    assert errors_of(text) == []


def test_undeclared_parameter_points_into_the_sql() -> None:
    error = only(
        errors_of(BASE.replace("name: start_date", "name: since").replace("@start_date", "@since AND @until"))
    )
    assert (error["path"], error["line"], error["column"]) == ("queries.monthly.sql", 11, 44)
    assert error["message"] == "parameter @until is not declared"


def test_declared_but_unused_parameter() -> None:
    text = BASE.replace("      WHERE DATE(created_at) >= @start_date\n", "")
    error = only(errors_of(text))
    assert (error["path"], error["line"]) == ("parameters[0].name", 4)
    assert "not used by any query" in error["message"]


def test_date_range_binds_start_and_end() -> None:
    text = BASE.replace(
        '{name: start_date, type: date, default: "2024-01-01"}',
        "{name: period, type: date_range, default: {start: today-30d, end: today}}",
    ).replace(">= @start_date", "BETWEEN @period_start AND @period_end")
    assert errors_of(text) == []
    error = only(errors_of(text.replace("@period_end", "@period")))
    assert "@period is not declared" in error["message"]


def test_unsafe_sql_located_on_the_offending_line() -> None:
    text = BASE.replace(
        "      GROUP BY month\n", "      GROUP BY month;\n      DROP TABLE `demo.thelook_ecommerce.users`\n"
    )
    error = only(errors_of(text))
    assert (error["path"], error["line"]) == ("queries.monthly.sql", 13)
    assert "exactly one statement" in error["message"]


def test_foreign_table_rejected_at_its_position() -> None:
    text = BASE.replace("`demo.thelook_ecommerce.order_items`", "`billing.invoices.lines`")
    error = only(errors_of(text))
    assert (error["path"], error["line"], error["column"]) == ("queries.monthly.sql", 10, 12)
    assert "billing.invoices.lines is not one of this connection's tables" in error["message"]


def test_default_project_completes_dataset_table_names() -> None:
    text = BASE.replace("`demo.thelook_ecommerce.order_items`", "thelook_ecommerce.order_items")
    assert "project.dataset.table" in only(errors_of(text))["message"]
    report = validate_dashboard(text, allowed_tables=demo_tables(), default_project="demo")
    assert report.ok and report.tables == ("demo.thelook_ecommerce.order_items",)


@pytest.mark.parametrize(
    ("old", "new", "path", "message"),
    [
        ('default: "2024-01-01"', 'default: "2024-02-30"', "parameters[0].default", "day is out of range"),
        ('default: "2024-01-01"', "default: yesterday", "parameters[0].default", "not a date like"),
        ("version: 1", "version: 2", "version", "version must be 1"),
        ("type: line", "type: sparkline", "views[1].type", "'sparkline' is not one of"),
        ("id: trend", "id: Trend!", "views[1].id", "is not a slug"),
        ("title: Revenue", "title: Revenue\nrefresh: soon", "refresh", "not a duration"),
        ("title: Revenue", "title: Revenue\ntheme: neon", "theme", "'neon' is not one of"),
        ("aggregate: sum", "aggregate: mean", "views[0].value.aggregate", "'mean' is not one of"),
        ("query: monthly\n    x:", "query: weekly\n    x:", "views[1].query", "unknown query 'weekly'"),
        ("  monthly:\n", "  Monthly:\n", "queries.Monthly", "must be lowercase"),
    ],
)
def test_single_mistakes(old: str, new: str, path: str, message: str) -> None:
    assert old in BASE
    errors = errors_of(BASE.replace(old, new, 1))
    assert any(e["path"] == path and message in e["message"] for e in errors), errors


def test_many_errors_reported_at_once_in_line_order() -> None:
    text = (
        BASE.replace("title: Revenue", "title: 42")
        .replace("type: kpi", "type: kpi\n    bogus: 1")
        .replace("{x: 3, y: 0, w: 9, h: 4}", "{x: 3, y: 0, w: 10, h: 4}")
        .replace("y: {field: revenue", "y: {field: profit")
    )
    errors = errors_of(text)
    summary = [(e["path"], e["line"]) for e in errors]
    assert summary == [
        ("title", 2),
        ("views[0].bogus", 16),
        ("views[1].y.field", 24),
        ("views[1].layout.w", 25),
    ], errors
    assert [e["line"] for e in errors] == sorted(e["line"] for e in errors)
    assert all(set(e) == {"path", "line", "column", "message"} for e in errors)


def test_duplicate_ids_and_missing_keys() -> None:
    text = BASE.replace("id: trend", "id: total").replace("    query: monthly\n    value:", "    value:")
    errors = errors_of(text)
    assert ("views[1].id", 18) in [(e["path"], e["line"]) for e in errors]
    assert any(e["path"] == "views[0]" and "missing required key 'query'" in e["message"] for e in errors)


def test_raise_for_report_carries_every_error() -> None:
    report = validate_dashboard(BASE.replace("version: 1", "version: 3").replace("title: Revenue\n", ""))
    with pytest.raises(ValidationFailed) as caught:
        raise_for_report(report)
    assert caught.value.details == report.errors and len(report.errors) == 2
    assert caught.value.to_dict()["error"]["code"] == "validation_failed"
    raise_for_report(validate_dashboard(BASE))  # ok reports do not raise


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("version: 1\ntitle: [unclosed\n", 3, "YAML syntax error"),
        ("version: 1\nversion: 1\n", 2, "duplicate key 'version'"),
        ("version: 1\ntitle: !!python/object/apply:os.system [ls]\n", 2, "custom tag"),
        ("a: &x 1\nb: *x\n", 1, "anchors and aliases"),
        ("- just\n- a list\n", 1, "must be a mapping"),
        ("null\n", 1, "must be a mapping"),
        ("!\n", 1, "must be a mapping"),
        ("", 1, "empty"),
        ("x: 1\n" + "y: 2\n" * 60_000, 1, "larger than"),
    ],
)
def test_yaml_level_problems_become_errors(text: str, line: int, message: str) -> None:
    report = validate_dashboard(text)
    assert not report.ok
    assert any(e["line"] == line and message in e["message"] for e in report.errors), report.errors


ENUM = BASE.replace(
    '  - {name: start_date, type: date, default: "2024-01-01"}',
    "  - {name: status, type: enum, options: [Complete, Shipped], all: true}",
).replace("WHERE DATE(created_at) >= @start_date", "WHERE (@status IS NULL OR status = @status)")


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("all: true", "all: false", "a default is required (or all: true, which opens on All)"),
        ("all: true", "all: true, multiple: true", "all is for a single choice"),
        ("[Complete, Shipped]", "[Complete, '']", "an empty option cannot be told from All"),
    ],
)
def test_all_on_a_single_choice(old: str, new: str, message: str) -> None:
    assert validate_dashboard(ENUM, allowed_tables=demo_tables()).ok
    assert validate_dashboard(
        ENUM.replace("all: true", "all: true, default: Shipped"), allowed_tables=demo_tables()
    ).ok
    error = only(errors_of(ENUM.replace(old, new)))
    assert message in error["message"] and error["line"] == 4
