"""Validation of KPI comparisons: the period a comparison shifts must be a date_range the query uses."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from shared.dashboards.yaml_source import SourceDocument
from shared.sqlguard import GuardedSql

__all__ = ["comparison_errors"]


def comparison_errors(
    source: SourceDocument,
    views: Iterable[tuple[int, dict[str, Any]]],
    parameters: Iterable[tuple[int, Any]],
    guarded: Mapping[str, GuardedSql],
) -> list[dict[str, Any]]:
    """Located errors for each KPI ``compare`` without a period to shift."""
    ranges = [
        str(p["name"])
        for _, p in parameters
        if isinstance(p, dict) and p.get("type") == "date_range" and isinstance(p.get("name"), str)
    ]
    errors: list[dict[str, Any]] = []
    for index, view in views:
        compare = view.get("compare")
        if view.get("type") != "kpi" or not isinstance(compare, dict):
            continue
        query = guarded.get(str(view.get("query")))
        if query is None:
            continue  # an unknown or unsafe query is reported already
        used = [n for n in ranges if {f"{n}_start", f"{n}_end"} & set(query.parameters)]
        named = compare.get("parameter")
        if isinstance(compare.get("field"), str):  # the query's own time range sets the period
            if isinstance(named, str):
                message = "name either parameter (a date_range) or field (the query's date column), not both"
                errors.append(source.error(("views", index, "compare", "field"), message))
            continue
        if isinstance(named, str):
            if named not in ranges:
                known = ", ".join(ranges) or "none"
                message = (
                    f"parameter '{named}' is not a date_range parameter (date_range parameters: {known})"
                )
                errors.append(source.error(("views", index, "compare", "parameter"), message))
            elif named not in used:
                message = f"query '{view['query']}' does not use @{named}_start or @{named}_end"
                errors.append(source.error(("views", index, "compare", "parameter"), message))
        elif len(used) != 1:
            message = f"compare needs the date_range parameter query '{view['query']}' filters on" + (
                "; it uses none (or name its date column with field)"
                if not used
                else f"; it uses {', '.join(used)}: name one with parameter"
            )
            errors.append(source.error(("views", index, "compare"), message, key=True))
    return errors
