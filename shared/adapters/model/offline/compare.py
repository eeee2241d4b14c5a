"""A period comparison ("compare 2023 and 2024 revenue by category", "2023 vs 2024 orders").

The queries keep the compared years only (``EXTRACT(YEAR FROM ...) IN (...)``); a grouping gets one
series per year (grouped bars coloured by ``year``), and the KPI row shows each year's total and the
difference between the last and the first year (one query, a ``CASE`` per year). A grain within the
year ("2023 vs 2024 by month") puts the months on x and draws one line per year. Two values of one
column ("Jeans vs Accessories by month") get one series (or bar) per value.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from shared.adapters.model.offline.catalog_match import Dimension, Measure
from shared.adapters.model.offline.sql_build import ValueFilter

YEAR_FIELD = "year"


def year_expr(time_column: str, alias: str = "{t}") -> str:
    return f"EXTRACT(YEAR FROM DATE({alias}.{time_column}))"


def _in_year(m: Measure, year: int, time_column: str) -> str | None:
    when = f"CASE WHEN {year_expr(time_column)} = {year} THEN"
    col = f"{{t}}.{m.column}" if m.column else ""
    expr = {
        "sum": f"SUM({when} {col} END)",
        "avg": f"AVG({when} {col} END)",
        "min": f"MIN({when} {col} END)",
        "max": f"MAX({when} {col} END)",
        "count_rows": f"SUM({when} 1 ELSE 0 END)",
        "count_distinct": f"COUNT(DISTINCT {when} {col} END)",
    }.get(m.kind)
    if expr is None:
        return None
    return f"{expr} / {m.scale}" if m.scale != 1 else expr


def year_measures(m: Measure, years: list[int], time_column: str) -> list[Measure]:
    """``m`` once per year, then the change from the first to the last year; [] when ``m`` cannot be
    split by year in one query (a ratio, a median)."""
    per_year = {y: _in_year(m, y, time_column) for y in years}
    if any(e is None for e in per_year.values()):
        return []
    out = [
        replace(m, kind="derived", expr=e, alias=f"{m.alias}_{y}", label=f"{m.label} {y}", why=f"in {y}")
        for y, e in per_year.items()
    ]
    first, last = years[0], years[-1]
    change = f"({per_year[last]}) - ({per_year[first]})"
    out.append(
        replace(
            m,
            kind="derived",
            expr=change,
            alias=f"{m.alias}_change",
            label=f"{m.label} change {first}→{last}",
            why=f"{m.label.lower()} in {last} minus {first}",
        )
    )
    return out


def series_by_year(view: dict[str, Any], by: Dimension | None = None) -> dict[str, Any]:
    """A category view with one series per compared year (grouped bars), or per value of ``by``."""
    field, title = (by.alias, by.label) if by is not None else (YEAR_FIELD, "Year")
    out = {k: v for k, v in view.items() if k != "top_n" or by is not None}
    if out["type"] == "pie":  # slices of two years do not compare: bars side by side
        out["type"] = "bar"
        out["x"], out["y"] = {**out.pop("color"), "type": "nominal"}, out.pop("theta")
    if out["type"] == "table":
        out["columns"] = [out["columns"][0], {"field": field, "title": title}, *out["columns"][1:]]
        return out
    out["color"] = {"field": field, "type": "nominal", "title": title}
    if out["type"] == "bar":
        out["color"]["stack"] = "grouped"
    out["title"] = f"{out['title']}, by {title.lower()}"
    return out


def by_year_view(query: str, m: Measure, y_encoding: dict[str, Any]) -> dict[str, Any]:
    """One bar per compared year."""
    return {
        "id": f"{m.alias}_by_year",
        "type": "bar",
        "title": f"{m.label} by year",
        "query": query,
        "x": {"field": YEAR_FIELD, "type": "ordinal", "title": "Year"},
        "y": y_encoding,
    }


OF_YEAR_TITLES = {"day": "Day of year", "week": "Week of year", "month": "Month", "quarter": "Quarter"}


def series_over_year(view: dict[str, Any], grain: str) -> dict[str, Any]:
    """A trend view of a period comparison: the grain within the year on x (1-12 for months), one
    line (or bar group) per compared year, so the years are drawn over each other, not in a row."""
    out = dict(view)
    title = OF_YEAR_TITLES.get(grain, grain.capitalize())
    if out["type"] == "table":
        out["columns"] = [{"field": grain, "title": title}, {"field": YEAR_FIELD, "title": "Year"},
                          *out["columns"][1:]]  # fmt: skip
        out["sort"] = {"field": grain, "order": "asc"}
        return out
    out["x"] = {"field": grain, "type": "ordinal", "title": title}
    out["color"] = {"field": YEAR_FIELD, "type": "nominal", "title": "Year"}
    if out["type"] == "bar":
        out["color"]["stack"] = "grouped"
    out["title"] = f"{out['title']}, one {'line' if out['type'] == 'line' else 'series'} per year"
    return out


def value_series(filters: list[ValueFilter], dims: list[Dimension]) -> Dimension | None:
    """The column of a filter of several values ("Jeans vs Accessories") that no grouping draws: one
    series (or bar) per value, so the values are compared instead of added together."""
    grouped = {(d.table, d.column) for d in dims}
    for f in filters:
        if len(f.values) > 1 and (f.table, f.column) not in grouped:
            alias = re.sub(r"[^a-z0-9_]", "_", f.column.lower())
            return Dimension(f.table, f.column, alias, f.column.replace("_", " ").capitalize(), 10.0)
    return None
