"""Titles that follow parameters: the {{ name }} syntax, its rendering, escaping and located errors."""

from __future__ import annotations

import datetime as dt

import pytest

from shared.dashboards.params import bind_parameters
from shared.dashboards.templates import DASH, bound_values, format_range, render_defaults, render_text
from shared.dashboards.validate import validate_dashboard

from .helpers import demo_tables

DASHBOARD = """\
version: 1
title: "Revenue — {{ country }} ({{ period }})"
description: "Since {{ period.start }}; statuses: {{ statuses | every status }}"
parameters:
  - {name: country, type: string, default: Germany}
  - {name: period, type: date_range, default: {start: "2024-01-01", end: "2024-12-31"}}
  - {name: statuses, type: enum, multiple: true, default: [Complete], options: [Complete, Shipped]}
queries:
  q:
    sql: |
      SELECT SUM(oi.sale_price) AS revenue
      FROM `demo.thelook_ecommerce.order_items` AS oi
      JOIN `demo.thelook_ecommerce.users` AS u ON u.id = oi.user_id
      WHERE u.country = @country AND oi.status IN UNNEST(@statuses)
        AND DATE(oi.created_at) BETWEEN @period_start AND @period_end
views:
  - id: k
    type: kpi
    title: "Revenue in {{ country }}"
    description: "{{ period.start }} to {{ period.end }}"
    query: q
    value: {field: revenue, format: currency}
    layout: {x: 0, y: 0, w: 3, h: 2}
"""


def _model():
    report = validate_dashboard(DASHBOARD, allowed_tables=demo_tables())
    assert report.errors == []
    assert report.model is not None
    return report.model


def _render(text: str, raw: dict[str, str]) -> str:
    model = _model()
    values = bound_values(model.parameters, bind_parameters(model, raw))
    return render_text(text, values, model.parameters)


def test_titles_render_the_bound_values_not_the_defaults() -> None:
    model = _model()
    assert _render(model.title, {}) == "Revenue — Germany (2024)"
    assert _render(model.title, {"country": "France", "period": "2023-01-01..2024-12-31"}) == (
        f"Revenue — France (2023{DASH}2024)"
    )
    assert (
        _render(model.title, {"period": "2024-01-01..2024-03-31"}) == f"Revenue — Germany (Jan{DASH}Mar 2024)"
    )
    assert _render(model.views[0].description or "", {"period": "2024-02-03..2024-05-01"}) == (
        "Feb 3, 2024 to May 1, 2024"
    )


def test_all_and_unset_read_as_the_fallback_text() -> None:
    model = _model()
    assert _render(model.description, {}) == "Since Jan 1, 2024; statuses: Complete"
    every = _render(model.description, {"statuses": "Complete\nShipped"})
    assert every == "Since Jan 1, 2024; statuses: every status"
    assert _render("Country: {{ country }}", {"country": " "}) == "Country: All"


def test_values_are_plain_text_never_templates_or_markup() -> None:
    hostile = "<img src=x onerror=alert(1)> {{ period }}\n# heading\x00" + "x" * 200
    rendered = _render("In {{ country }}", {"country": hostile})
    assert "{{ period }}" in rendered  # a value is never expanded again
    assert "\n" not in rendered and "\x00" not in rendered
    assert rendered.startswith("In <img src=x onerror=alert(1)>")  # text; the web app writes it as text
    assert len(rendered) == len("In ") + 80 and rendered.endswith("…")


@pytest.mark.parametrize(
    ("start", "end", "text"),
    [
        ("2024-01-01", "2024-12-31", "2024"),
        ("2023-01-01", "2024-12-31", f"2023{DASH}2024"),
        ("2024-03-01", "2024-03-31", "Mar 2024"),
        ("2023-11-01", "2024-02-29", f"Nov 2023 {DASH} Feb 2024"),
        ("2024-01-05", "2024-02-03", f"Jan 5 {DASH} Feb 3, 2024"),
        ("2023-12-05", "2024-01-03", f"Dec 5, 2023 {DASH} Jan 3, 2024"),
        ("2024-06-01", "2024-06-01", "Jun 1, 2024"),
        ("2025-12-02", "2026-12-02", "last 12 months"),
        ("2026-11-25", "2026-12-02", "past week"),
    ],
)
def test_date_ranges_read_as_people_write_them(start: str, end: str, text: str) -> None:
    today = dt.date(2026, 12, 2)
    assert format_range(dt.date.fromisoformat(start), dt.date.fromisoformat(end), today=today) == text


def test_the_list_title_uses_the_defaults() -> None:
    assert render_defaults(_model(), _model().title) == "Revenue — Germany (2024)"
    plain = {"parameters": [{"name": "country", "type": "string", "default": "Spain"}]}
    assert render_defaults(plain, "Orders — {{ country }}") == "Orders — Spain"
    assert (
        render_defaults({"parameters": [{"name": 3}]}, "Orders — {{ country }}") == "Orders — {{ country }}"
    )


def test_unknown_parameters_and_parts_are_errors_at_their_line_and_column() -> None:
    text = DASHBOARD.replace('title: "Revenue in {{ country }}"', 'title: "Revenue in {{ countri }}"')
    text = text.replace("Since {{ period.start }}", "Since {{ country.start }}")
    errors = validate_dashboard(text, allowed_tables=demo_tables()).errors
    by_path = {e["path"]: e for e in errors}
    assert set(by_path) == {"description", "views[0].title"}
    assert by_path["views[0].title"]["line"] == 19
    assert by_path["views[0].title"]["column"] == text.splitlines()[18].index("{{ countri }}") + 1
    assert "unknown parameter 'countri'" in by_path["views[0].title"]["message"]
    assert "declared: country, period, statuses" in by_path["views[0].title"]["message"]
    assert by_path["description"]["line"] == 3
    assert ".start applies to a date_range, 'country' is a string" in by_path["description"]["message"]


def test_a_malformed_template_fails_the_schema_with_a_readable_message() -> None:
    text = DASHBOARD.replace('title: "Revenue in {{ country }}"', 'title: "Revenue in {{ country"')
    errors = validate_dashboard(text, allowed_tables=demo_tables()).errors
    assert [(e["path"], e["line"]) for e in errors] == [("views[0].title", 19)]
    assert "templates are {{ name }}" in errors[0]["message"]
    # a lone brace is ordinary text
    assert validate_dashboard(
        DASHBOARD.replace("Revenue in", "Revenue {in}"), allowed_tables=demo_tables()
    ).ok
