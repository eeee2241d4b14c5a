"""Partial periods: the current, incomplete period at the end of a time series.

The current period is the one holding **today's date in UTC** (``CURRENT_DATE("UTC")``, evaluated by
the warehouse when the view runs; teams have no time zone setting, and BigQuery's default is
UTC), at the time axis's grain: the view's ``time_grain``, else the unit of the query's own
``DATE_TRUNC``/``TIMESTAMP_TRUNC`` of that column, else a day. Rows dated in it (or later) are
partial. Not the data's latest date: a table loaded up to yesterday still has a complete last
month, and "latest date" would call every sparse series' last period partial.

``partial_period`` per view: ``mark`` (the default) keeps the rows and flags them in the SQL
(``_partial``; lines and areas also flag ``_partial_edge``, the last complete period of each
series, so the dashed segment joins the solid line): lines and areas draw that segment dashed
and lighter, bars and points lighter. ``hide`` drops the rows in the SQL; every row kept carries
``_partial_hidden``, the number of rows dropped, and the chart's note saying so shows only when
that is above 0 (a view whose rows are all in the current period has no rows to carry it: the
chart shows "No rows" and no note). ``show`` draws them like any other period.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

import sqlglot
from sqlglot import exp

from shared.dashboards.model import AreaView, BarView, FieldEncoding, LineView, ScatterView, View
from shared.dashboards.visible import EDGE, HIDDEN, PARTIAL

__all__ = ["EDGE", "PARTIAL", "PartialPlan", "mark_partial", "partial_plan", "query_time_grain"]

_GRAINS = {"DAY": "day", "WEEK": "week", "MONTH": "month", "QUARTER": "quarter", "YEAR": "year"}
_DEFAULT_X = {"line": "temporal", "area": "temporal", "bar": "nominal", "scatter": "quantitative"}
_DASH = [5, 4]


@dataclass(frozen=True)
class PartialPlan:
    """A view's partial-period handling: ``field`` is its time axis, ``unit`` the grain's SQL unit."""

    mode: Literal["mark", "hide"]
    field: str
    grain: str
    unit: exp.Expr
    series: str | None
    edge: bool

    def apply(self, select: exp.Select) -> exp.Select:
        """``select`` wrapped so its rows carry the flags (mark) or lose the partial ones (hide)."""
        source = exp.Subquery(this=select, alias=exp.TableAlias(this=exp.to_identifier("v")))
        flag = self._expression("DATE(__x__) >= __start__")
        if self.mode == "hide":
            # every row kept says how many the filter drops (_partial_hidden), so the note shows only then
            dropped = self._expression("SUM(IF(DATE(__x__) >= __start__, 1, 0)) OVER ()")
            counted = exp.select(exp.Star(), exp.alias_(dropped, HIDDEN, quoted=True)).from_(source)
            kept = exp.func("COALESCE", exp.Not(this=exp.Paren(this=flag)), exp.true())  # undated rows stay
            outer = exp.Subquery(this=counted, alias=exp.TableAlias(this=exp.to_identifier("v")))
            return exp.select(exp.Star()).from_(outer).where(kept)
        columns: list[exp.Expr] = [exp.Star(), exp.alias_(flag, PARTIAL, quoted=True)]
        if self.edge:
            window = "OVER (PARTITION BY __s__)" if self.series else "OVER ()"
            last_complete = self._expression(
                "DATE(__x__) = MAX(IF(DATE(__x__) < __start__, DATE(__x__), NULL)) " + window
            )
            columns.append(exp.alias_(last_complete, EDGE, quoted=True))
        return exp.select(*columns).from_(source)

    def _expression(self, text: str) -> exp.Expr:
        def fill(node: exp.Expr) -> exp.Expr:
            if isinstance(node, exp.Column) and not node.this.quoted:
                if node.name == "__x__":
                    return exp.column(self.field, quoted=True)
                if node.name == "__s__" and self.series:
                    return exp.column(self.series, quoted=True)
                if node.name == "__start__":  # the first day of the current period
                    return exp.DateTrunc(
                        this=exp.CurrentDate(this=exp.Literal.string("UTC")), unit=self.unit.copy()
                    )
            return node

        return _parsed(text).copy().transform(fill)

    def note(self) -> str:
        if self.mode == "hide":
            return f"The current {self.grain} is still in progress and is left out."
        return (
            f"The current {self.grain} is still in progress (drawn lighter{', dashed' if self.edge else ''})."
        )


def partial_plan(view: View, query_sql: str) -> PartialPlan | None:
    """How ``view`` treats the current period; None for ``show`` or a view without a time axis."""
    if not isinstance(view, LineView | AreaView | BarView | ScatterView) or view.partial_period == "show":
        return None
    x = view.x
    kind = x.type or ("temporal" if x.time_grain else _DEFAULT_X[view.type])
    if kind != "temporal":
        return None
    unit: exp.Expr
    grain: str
    if x.time_grain:
        grain, unit = x.time_grain, exp.var(x.time_grain.upper())
    else:
        grain, unit = _query_grain(query_sql.strip().rstrip(";"), x.field)
    series = view.color.field if view.color is not None and view.color.type != "quantitative" else None
    edge = isinstance(view, LineView | AreaView)
    return PartialPlan(view.partial_period, x.field, grain, unit, series, edge)


def query_time_grain(view: View, query_sql: str) -> str | None:
    """The grain the query truncates a time x axis to, when the view names none (for its ticks)."""
    x = getattr(view, "x", None)
    if not isinstance(x, FieldEncoding) or x.time_grain or view.type not in _DEFAULT_X:
        return None
    if (x.type or _DEFAULT_X[view.type]) != "temporal":
        return None
    grain, _ = _query_grain(query_sql.strip().rstrip(";"), x.field)
    return grain if grain != "day" else None


def mark_partial(spec: dict[str, Any], plan: PartialPlan) -> dict[str, Any]:
    """The Vega-Lite spec drawing partial rows distinctly (``mark``), with the note as ``usermeta``."""
    flag = HIDDEN if plan.mode == "hide" else PARTIAL  # the column the web app reads before showing the note
    meta = {"mode": plan.mode, "grain": plan.grain, "field": plan.field, "flag": flag, "note": plan.note()}
    if plan.mode == "hide":
        return {**spec, "usermeta": {**spec.get("usermeta", {}), "partial_period": meta}}
    encoding = spec["encoding"]
    transform = [{"calculate": f"datum.{PARTIAL} ? 'in progress' : 'complete'", "as": "_period"}]
    encoding["tooltip"].append({"field": "_period", "type": "nominal", "title": "Period"})
    out = {**spec, "transform": [*spec.get("transform", []), *transform]}
    if plan.edge:
        mark = out.pop("mark")
        if mark["type"] == "area":
            dashed = {**mark, "opacity": 0.35, "line": {"strokeDash": _DASH}}
        else:
            dashed = {**mark, "strokeDash": _DASH, "opacity": 0.65}
        out["layer"] = [
            {"mark": mark, "transform": [{"filter": f"!datum.{PARTIAL}"}]},
            {"mark": dashed, "transform": [{"filter": f"datum.{PARTIAL} || datum.{EDGE}"}]},
        ]
    else:
        encoding["opacity"] = {"condition": {"test": f"datum.{PARTIAL}", "value": 0.4}, "value": 1}
    out["usermeta"] = {**spec.get("usermeta", {}), "partial_period": meta}
    return out


def _query_grain(sql: str, field: str) -> tuple[str, exp.Expr]:
    """The grain the query truncates ``field`` to (its DATE_TRUNC unit), else a day."""
    try:
        tree = sqlglot.parse_one(sql, read="bigquery")
    except sqlglot.errors.ParseError:
        return "day", exp.var("DAY")
    if isinstance(tree, exp.Select):
        for projection in tree.selects:
            if projection.alias_or_name != field:
                continue
            node = projection.this if isinstance(projection, exp.Alias) else projection
            if isinstance(node, exp.DateTrunc | exp.TimestampTrunc | exp.DatetimeTrunc):
                unit = node.args.get("unit")
                text = "WEEK" if isinstance(unit, exp.WeekStart) else str(getattr(unit, "this", unit))
                grain = _GRAINS.get(text.upper())
                if grain and unit is not None:
                    return grain, unit.copy()
    return "day", exp.var("DAY")


@cache
def _parsed(text: str) -> exp.Expr:
    return sqlglot.parse_one(text, read="bigquery")
