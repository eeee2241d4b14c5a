"""Binding query-string values to typed BigQuery parameters."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from shared.adapters.warehouse.port import QueryParam
from shared.dashboards.params import bind_parameters, resolve_date, select_parameters
from shared.errors import ValidationFailed

TODAY = date(2024, 3, 31)
DASHBOARD: dict[str, Any] = {
    "parameters": [
        {"name": "since", "type": "date", "default": "2024-01-01"},
        {"name": "period", "type": "date_range", "default": {"start": "today-1m", "end": "today"}},
        {"name": "country", "type": "string", "default": "France"},
        {"name": "min_price", "type": "number", "default": 10, "min": 0, "max": 1000},
        {"name": "top", "type": "number", "default": 5, "integer": True},
        {"name": "department", "type": "enum", "options": ["Men", "Women"], "default": "Women"},
    ]
}


def bind(raw: dict[str, str]) -> dict[str, QueryParam]:
    return {p.name: p for p in bind_parameters(DASHBOARD, raw, today=TODAY)}


def test_defaults_are_typed() -> None:
    params = bind({})
    assert params == {
        "since": QueryParam("since", "DATE", date(2024, 1, 1)),
        "period_start": QueryParam("period_start", "DATE", date(2024, 2, 29)),
        "period_end": QueryParam("period_end", "DATE", date(2024, 3, 31)),
        "country": QueryParam("country", "STRING", "France"),
        "min_price": QueryParam("min_price", "FLOAT64", 10.0),
        "top": QueryParam("top", "INT64", 5),
        "department": QueryParam("department", "STRING", "Women"),
    }


def test_query_string_values_override_defaults() -> None:
    params = bind(
        {
            "since": "today-7d",
            "period": "2023-01-01..2023-06-30",
            "country": "Brasil'; DROP TABLE x; --",
            "min_price": " 12.5 ",
            "top": "20",
            "department": "Men",
            "unrelated": "ignored",
        }
    )
    assert params["since"].value == date(2024, 3, 24)
    assert (params["period_start"].value, params["period_end"].value) == (date(2023, 1, 1), date(2023, 6, 30))
    assert params["country"].value == "Brasil'; DROP TABLE x; --"  # a value, never SQL text
    assert params["min_price"] == QueryParam("min_price", "FLOAT64", 12.5)
    assert params["top"] == QueryParam("top", "INT64", 20)
    assert params["department"].value == "Men"


def test_range_ends_can_be_given_separately() -> None:
    params = bind({"period_start": "2024-03-01"})
    assert (params["period_start"].value, params["period_end"].value) == (date(2024, 3, 1), TODAY)


@pytest.mark.parametrize(
    ("raw", "name", "message"),
    [
        ({"since": "yesterday"}, "since", "not a date"),
        ({"since": "2024-02-30"}, "since", "day is out of range"),
        ({"period": "2024-03-01"}, "period", "not a range"),
        ({"period": "2024-03-01..2024-01-01"}, "period", "after end"),
        ({"min_price": "cheap"}, "min_price", "not a number"),
        ({"min_price": "nan"}, "min_price", "not a finite number"),
        ({"min_price": "5000"}, "min_price", "above the maximum"),
        ({"min_price": "-1"}, "min_price", "below the minimum"),
        ({"top": "2.5"}, "top", "not a whole number"),
        ({"department": "Kids"}, "department", "not one of Men, Women"),
        ({"country": "x" * 1001}, "country", "longer than"),
    ],
)
def test_bad_values_name_the_parameter(raw: dict[str, str], name: str, message: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        bind(raw)
    (detail,) = caught.value.details
    assert detail["path"] == f"parameters.{name}"
    assert message in detail["message"]


def test_all_bad_values_reported_together() -> None:
    with pytest.raises(ValidationFailed) as caught:
        bind({"since": "x", "top": "y", "department": "z"})
    assert [d["path"] for d in caught.value.details] == [
        "parameters.since",
        "parameters.top",
        "parameters.department",
    ]


def test_select_parameters_keeps_only_the_views_names() -> None:
    params = bind_parameters(DASHBOARD, {}, today=TODAY)
    chosen = select_parameters(params, ("period_start", "period_end", "absent"))
    assert [p.name for p in chosen] == ["period_start", "period_end"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("today", date(2024, 3, 31)),
        ("today-30d", date(2024, 3, 1)),
        ("today+2w", date(2024, 4, 14)),
        ("today-1m", date(2024, 2, 29)),
        ("today-13m", date(2023, 2, 28)),
        ("today-1y", date(2023, 3, 31)),
        ("2020-02-29", date(2020, 2, 29)),
    ],
)
def test_resolve_date(text: str, expected: date) -> None:
    assert resolve_date(text, today=TODAY) == expected


CHOICE: dict[str, Any] = {
    "parameters": [
        {
            "name": "status",
            "type": "enum",
            "options": ["Complete", "Shipped"],
            "default": "Shipped",
            "all": True,
        },
        {"name": "kind", "type": "enum", "options": ["a", "b"], "all": True},  # no default: opens on All
        {"name": "plain", "type": "enum", "options": ["a", "b"], "default": "a"},
    ]
}


def test_all_binds_null_and_an_empty_value_chooses_it() -> None:
    def values(raw: dict[str, str]) -> dict[str, Any]:
        return {p.name: (p.type, p.value) for p in bind_parameters(CHOICE, raw, today=TODAY)}

    assert values({}) == {"status": ("STRING", "Shipped"), "kind": ("STRING", None), "plain": ("STRING", "a")}
    assert values({"status": "", "kind": "b"}) == {
        "status": ("STRING", None), "kind": ("STRING", "b"), "plain": ("STRING", "a"),
    }  # fmt: skip
    with pytest.raises(ValidationFailed) as caught:
        bind_parameters(CHOICE, {"plain": "", "status": "Lost"}, today=TODAY)
    assert [d["path"] for d in caught.value.details] == ["parameters.status", "parameters.plain"]
