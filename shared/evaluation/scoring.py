"""The scoring rule of the eval case format (see the case folder's README): chart type, axes, both.

For one view against one gold chart:

* chart type: same mark and, for bar/line/scatter, a colour series exactly when the gold is
  stacked or grouped;
* axes: x has the same column, bin (a gold ``year`` bin on an integer column is also met by no
  bin) and x aggregate; y has the same aggregate and the same column unless both are counts
  (``COUNT(*)`` = ``COUNT(col)``); colour is the same column or absent on both sides;
* both: chart type and axes right for the same view and the same gold chart.

Strict judges the first view only, lenient any view; a case with several accepted golds is right
when some view meets any of them. Column names compare case-insensitively.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

AGGREGATE_NAMES = {"": "none", "mean": "avg", "average": "avg", "distinct": "count_distinct"}
INTEGER_TYPES = frozenset({"INTEGER", "INT", "BIGINT", "SMALLINT", "TINYINT", "HUGEINT"})
SERIES_MARKS = frozenset({"bar", "line", "scatter"})
VERDICTS = ("chart", "axes", "both", "chart_lenient", "axes_lenient", "both_lenient")


def _name(value: Any) -> str | None:
    """A column name for comparison (lower-cased), or None when absent."""
    if isinstance(value, dict):
        value = value.get("field")
    if isinstance(value, str) and value.strip():
        return value.strip().lower()
    return None


def _aggregate(value: Any) -> str:
    if not isinstance(value, str):
        return "none"
    low = value.strip().lower()
    return AGGREGATE_NAMES.get(low, low)


def _encoding(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    return {"field": value} if isinstance(value, str) else {}


def measure_matches(gold: dict[str, Any], view: dict[str, Any]) -> bool:
    """Same aggregate; same column unless both count rows (COUNT(*) = COUNT(col))."""
    agg = _aggregate(gold.get("aggregate"))
    if agg != _aggregate(view.get("aggregate")):
        return False
    return agg == "count" or _name(gold.get("field")) == _name(view.get("field"))


def bin_matches(gold_x: dict[str, Any], view_x: dict[str, Any]) -> bool:
    gold_bin, view_bin = _name(gold_x.get("bin")), _name(view_x.get("bin"))
    if gold_bin == view_bin:
        return True
    integer = str(gold_x.get("type") or "").upper() in INTEGER_TYPES
    return gold_bin == "year" and view_bin is None and integer


def chart_matches(gold: dict[str, Any], view: dict[str, Any]) -> bool:
    mark = _name(gold.get("mark"))
    if mark != _name(view.get("mark")):
        return False
    if mark in SERIES_MARKS:
        return (_name(view.get("color")) is not None) == bool(gold.get("stacked_or_grouped"))
    return True


def axes_match(gold: dict[str, Any], view: dict[str, Any], *, ignore_bins: bool = False) -> bool:
    gold_x, view_x = _encoding(gold.get("x")), _encoding(view.get("x"))
    if not measure_matches(gold_x, view_x):
        return False
    if not ignore_bins and not bin_matches(gold_x, view_x):
        return False
    if not measure_matches(_encoding(gold.get("y")), _encoding(view.get("y"))):
        return False
    return _name(gold.get("color")) == _name(view.get("color"))


@dataclass(frozen=True)
class Verdict:
    """The six judgements of one case."""

    chart: bool
    axes: bool
    both: bool
    chart_lenient: bool
    axes_lenient: bool
    both_lenient: bool

    def as_dict(self) -> dict[str, bool]:
        return {k: getattr(self, k) for k in VERDICTS}


def judge(
    golds: Sequence[dict[str, Any]], views: Sequence[dict[str, Any]], *, ignore_bins: bool = False
) -> Verdict:
    """Judge a dashboard's chart views (reading order) against the accepted gold charts."""
    views = [v for v in views if isinstance(v, dict)]

    def axes(g: dict[str, Any], v: dict[str, Any]) -> bool:
        return axes_match(g, v, ignore_bins=ignore_bins)

    def both(g: dict[str, Any], v: dict[str, Any]) -> bool:
        return chart_matches(g, v) and axes(g, v)

    def met(rule: Callable[[dict[str, Any], dict[str, Any]], bool], pool: Sequence[dict[str, Any]]) -> bool:
        return any(rule(g, v) for v in pool for g in golds)

    first = views[:1]
    return Verdict(
        met(chart_matches, first),
        met(axes, first),
        met(both, first),
        met(chart_matches, views),
        met(axes, views),
        met(both, views),
    )
