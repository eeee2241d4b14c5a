"""Readable axes: compact number ticks, time ticks for their grain, and category order.

Ticks abbreviate large numbers (350K, 1.2M, 3B) and never show cents above 1,000; tooltips and
tables keep the field's full format. A bar chart's categories follow, in order of precedence: an
explicit sort in the YAML (the view's ``sort`` by field and direction, or the category axis's own
``sort`` by label); the query's own ``ORDER BY`` when the view does not re-sort it; otherwise the
measure, descending. Time is always ascending.
"""

from __future__ import annotations

from typing import Any

import sqlglot
from sqlglot import exp

from shared.dashboards.model import BarView, FieldEncoding

__all__ = ["axis_format", "band_time", "order_categories", "time_axis"]

_TICK_INTERVALS = {
    "year": {"interval": "year", "step": 1},
    "quarter": {"interval": "month", "step": 3},
    "month": {"interval": "month", "step": 1},
    "week": {"interval": "week", "step": 1},
    "day": {"interval": "day", "step": 1},
}


def axis_format(source: FieldEncoding) -> dict[str, Any]:
    """Axis properties for a quantitative field: abbreviated thousands, no cents past 1,000."""
    prefix = "$" if source.format == "currency" else ""
    if source.format == "percent":
        return {"format": ".0~%"}
    small = f"{prefix},.2~f"
    large = f"{prefix}.3~s"
    # d3's SI prefixes k and G read as K and B (billion) on business axes
    expr = (
        f"abs(datum.value) >= 1000 ? replace(replace(format(datum.value, '{large}'), 'k', 'K'), 'G', 'B')"
        f" : format(datum.value, '{small}')"
    )
    return {"labelExpr": expr}


def time_axis(source: FieldEncoding) -> dict[str, Any]:
    """Tick spacing for a time axis: never finer than the field's grain."""
    grain = source.time_grain
    if grain in _TICK_INTERVALS:
        return {"tickCount": dict(_TICK_INTERVALS[grain]), "labelOverlap": True}
    return {}


def band_time(encoding: dict[str, Any], time_units: dict[str, str], grain: str | None) -> None:
    """Bars on a time axis: one band per period, so a bar is as wide as its period and grouped
    series sit side by side in it (``xOffset`` needs a band scale; a continuous time scale draws
    every bar a few pixels wide and cannot offset them).

    The axis becomes ``ordinal`` with the grain's UTC ``timeUnit`` (months label "Jan 2024"; the
    axis ``format`` stays a time format), in time order; labels that would overlap thin out.
    """
    for channel in ("x", "y"):
        definition = encoding.get(channel)
        if not definition or definition.get("type") != "temporal":
            continue
        definition["type"] = "ordinal"
        definition["timeUnit"] = time_units.get(str(grain), "utcyearmonthdate")
        definition.pop("scale", None)
        definition["sort"] = "ascending"
        axis = {k: v for k, v in definition.get("axis", {}).items() if k != "tickCount"}
        definition["axis"] = {**axis, "labelOverlap": True, "labelSeparation": 6, "labelAngle": 0}


def order_categories(view: BarView, encoding: dict[str, Any], query_sql: str, wrapped: bool) -> None:
    """Set the category channel's ``sort`` so the drawing and the SQL agree (module docstring)."""
    x, y = encoding.get("x", {}), encoding.get("y", {})
    category, measure = ("x", "y") if y.get("type") == "quantitative" else ("y", "x")
    definition = encoding.get(category, {})
    if definition.get("type") not in ("nominal", "ordinal"):
        return  # time and numbers keep their natural, ascending order
    if "sort" in definition:
        return  # the YAML sorts the category axis by its labels
    measure_field = (x if measure == "x" else y).get("field")
    if view.sort is not None:
        descending = view.sort.order == "desc"
        if view.sort.field == measure_field:
            definition["sort"] = f"{'-' if descending else ''}{measure}"
        elif view.sort.field == definition.get("field"):
            definition["sort"] = "descending" if descending else "ascending"
        else:
            definition["sort"] = None  # another field: keep the SQL's order
        return
    if not wrapped and _has_order_by(query_sql):
        definition["sort"] = None
    else:
        definition["sort"] = f"-{measure}"


def _has_order_by(sql: str) -> bool:
    try:
        tree = sqlglot.parse_one(sql, read="bigquery")
    except sqlglot.errors.ParseError:
        return False
    return tree.args.get("order") is not None if isinstance(tree, exp.Query) else False
