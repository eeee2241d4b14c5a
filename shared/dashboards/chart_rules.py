"""Chart-type rules: which view type fits the data, and a check of the views a dashboard uses.

The same rules serve the offline planner (:func:`recommend_view`) and the validate/save tools
(:func:`check_dashboard_views`). Two mistakes are errors, so a save refuses them: a pie whose
slices are points in time, and a pie with more than :data:`MANY_CATEGORIES` slices. The rest is
advice (warnings): a time axis drawn as bars, many categories without ``top_n``, a pie of 7-12
slices, one number drawn as a chart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from shared.dashboards.model import Dashboard, View

ERROR = "error"
WARNING = "warning"
MANY_CATEGORIES = 12  # more categories than this: a bar or table with top_n, never a pie
PIE_MAX_SLICES = 6  # a part-of-whole pie reads well up to this many slices
DEFAULT_TOP_N = 10
TIME_TYPES = ("line", "area")
CATEGORY_TYPES = ("bar", "table")


@dataclass(frozen=True)
class Finding:
    view: str
    level: str  # ERROR or WARNING
    message: str


@dataclass(frozen=True)
class Recommendation:
    type: str
    top_n: int | None = None


def recommend_view(
    *,
    time_axis: bool = False,
    categories: int | None = None,
    single_value: bool = False,
    part_of_whole: bool = False,
    requested: str | None = None,
) -> Recommendation:
    """The view type (and top N) for data of this shape; ``requested`` wins unless it is an error."""
    if requested is not None:
        if requested == "pie" and time_axis:
            return Recommendation("line")  # a pie of points in time is an error
        return Recommendation(requested, None if time_axis else _top_n_for(requested, categories))
    if single_value:
        return Recommendation("kpi")
    if time_axis:
        return Recommendation("line")
    if part_of_whole and categories is not None and categories <= PIE_MAX_SLICES:
        return Recommendation("pie")
    if categories is not None and categories > MANY_CATEGORIES:
        return Recommendation("bar", DEFAULT_TOP_N)
    return Recommendation("bar", DEFAULT_TOP_N if categories is None else None)


def _top_n_for(view_type: str, categories: int | None) -> int | None:
    if view_type == "pie":
        return PIE_MAX_SLICES if categories is None or categories > PIE_MAX_SLICES else None
    if view_type in CATEGORY_TYPES and (categories is None or categories > MANY_CATEGORIES):
        return DEFAULT_TOP_N
    return None


def _is_time(encoding: Any) -> bool:
    if isinstance(encoding, Mapping):  # a view given as plain data
        return encoding.get("type") == "temporal" or encoding.get("time_grain") is not None
    return encoding is not None and (encoding.type == "temporal" or encoding.time_grain is not None)


def _read(view: View | Mapping[str, Any], key: str) -> Any:
    return view.get(key) if isinstance(view, Mapping) else getattr(view, key, None)


def check_view(
    view: View | Mapping[str, Any], *, categories: int | None = None, rows: int | None = None
) -> list[Finding]:
    """Findings for one view (typed, or plain data of the same shape).

    ``categories``/``rows``: distinct categories and result rows, if known.
    """
    kind, name = _read(view, "type"), str(_read(view, "id") or "?")
    top_n = _read(view, "top_n")
    shown = min(categories, top_n) if categories is not None and top_n else (top_n or categories)
    found: list[Finding] = []
    if kind == "pie":
        if _is_time(_read(view, "color")):
            found.append(Finding(name, ERROR, "a pie cannot show a time axis; use a line or area chart"))
        if shown is not None and shown > MANY_CATEGORIES:
            found.append(
                Finding(
                    name, ERROR, f"a pie of {shown} slices is unreadable; use a bar with top_n or a table"
                )
            )
        elif shown is not None and shown > PIE_MAX_SLICES:
            found.append(
                Finding(name, WARNING, f"{shown} slices: a pie reads well up to {PIE_MAX_SLICES}; set top_n")
            )
        elif shown is None:
            found.append(Finding(name, WARNING, f"set top_n ≤ {PIE_MAX_SLICES} so the pie has few slices"))
    if kind in ("bar", "scatter") and _is_time(_read(view, "x")):
        found.append(Finding(name, WARNING, "a time axis reads best as a line or area chart"))
    many = categories is not None and categories > MANY_CATEGORIES and not top_n
    if kind in ("bar", "line", "area") and not _is_time(_read(view, "x")) and many:
        found.append(
            Finding(
                name, WARNING, f"{categories} categories: set top_n (e.g. {DEFAULT_TOP_N}) or use a table"
            )
        )
    if kind in ("line", "area", "bar", "pie") and rows == 1:
        found.append(Finding(name, WARNING, "the result is one number; a kpi view shows it best"))
    return found


def check_dashboard_views(
    dashboard: Dashboard | Mapping[str, Any], categories: Mapping[str, int] | None = None
) -> list[Finding]:
    """Findings for every view of a loaded dashboard; ``categories`` by view id, if known."""
    views: list[Any]
    if isinstance(dashboard, Mapping):
        views = [view for view in dashboard.get("views") or () if isinstance(view, dict)]
    else:
        views = list(dashboard.views)
    by_id = categories or {}
    return [
        finding
        for view in views
        for finding in check_view(view, categories=by_id.get(str(_read(view, "id"))))
    ]
