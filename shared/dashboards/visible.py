"""What a reader sees of a view's rows: the query's columns, without the compile step's helpers.

The compiled SQL adds columns the web app draws with (the series rank, a pie slice's share, the
partial-period flags) and a few it ranks with on the way. They stay in the data API's payload,
where the chart needs them, and leave everything handed to a person or another program: the CSV
download and the MCP ``get_dashboard_data`` tool both go through :func:`visible_view`, so "the
rows a user sees" is defined here once. (A KPI's comparison columns, ``_previous`` and
``_change``, are answers, not helpers, and stay.) This module imports nothing heavy.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "CATEGORY_RANK",
    "CATEGORY_TOTAL",
    "EDGE",
    "HELPER_COLUMNS",
    "HIDDEN",
    "PARTIAL",
    "RANK",
    "SHARE",
    "TOTAL",
    "is_helper",
    "visible_data",
    "visible_view",
]

RANK = "_series_rank"
TOTAL = "_series_total"
SHARE = "_share"
CATEGORY_TOTAL = "_category_total"
CATEGORY_RANK = "_category_rank"
OTHER_LABEL = "_other_label"
PARTIAL = "_partial"
EDGE = "_partial_edge"
HIDDEN = "_partial_hidden"

HELPER_COLUMNS = frozenset(
    {RANK, TOTAL, SHARE, CATEGORY_TOTAL, CATEGORY_RANK, OTHER_LABEL, PARTIAL, EDGE, HIDDEN}
)


def is_helper(name: str) -> bool:
    """Whether ``name`` is a column the compile step added for drawing (not the query's own)."""
    return name in HELPER_COLUMNS


def visible_view(view: dict[str, Any]) -> dict[str, Any]:
    """One view payload (``columns`` + columnar ``values``) without its helper columns (a copy)."""
    columns = view.get("columns") or []
    values = view.get("values") or []
    keep = [i for i, column in enumerate(columns) if not is_helper(str(column.get("name")))]
    if len(keep) == len(columns):
        return view
    return {
        **view,
        "columns": [columns[i] for i in keep],
        "values": [values[i] for i in keep if i < len(values)],
    }


def visible_data(payload: dict[str, Any]) -> dict[str, Any]:
    """A data API response with every view's helper columns left out."""
    views = payload.get("views")
    if not isinstance(views, list):
        return payload
    return {**payload, "views": [visible_view(v) if isinstance(v, dict) else v for v in views]}
