"""A saved dashboard → the prediction of the eval format: its chart views in reading order.

Each channel's field is traced through the view's query (sqlglot, BigQuery dialect, through CTEs
and subqueries) back to a source column with its aggregate and time bin, then the view's own
encoding (``aggregate``, ``time_grain``) is applied on top, as the compile step would.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlglot
import yaml
from pydantic import ValidationError
from sqlglot import exp

from shared.dashboards.model import (
    BarView,
    ChartView,
    Dashboard,
    FieldEncoding,
    HeatmapView,
    PieView,
    Query,
    ScatterView,
    TableView,
    View,
)

_AGGS: dict[type[exp.Expression], str] = {
    exp.Sum: "sum",
    exp.Avg: "avg",
    exp.Min: "min",
    exp.Max: "max",
    exp.Median: "median",
    exp.ApproxQuantile: "median",
}
_UNIT_BINS = {
    "year": "year",
    "isoyear": "year",
    "quarter": "quarter",
    "month": "month",
    "week": "week",
    "isoweek": "week",
    "day": "day",
    "date": "day",
    "dayofweek": "weekday",
    "dow": "weekday",
    "weekday": "weekday",
    "dayofmonth": "day",
    "hour": "hour",
}
_FORMAT_BINS = {"%A": "weekday", "%a": "weekday", "%u": "weekday", "%w": "weekday", "%B": "month",
                "%b": "month", "%m": "month", "%Y": "year", "%d": "day", "%e": "day", "%Q": "quarter",
                "%H": "hour", "%Y-%m": "month", "%Y-%m-%d": "day"}  # fmt: skip
_PASS_THROUGH = (
    exp.Cast,
    exp.TryCast,
    exp.Paren,
    exp.Alias,
    exp.Date,
    exp.TsOrDsToDate,
    exp.Lower,
    exp.Upper,
)


@dataclass(frozen=True)
class Traced:
    """What a result column is, in terms of the source table: column, aggregate, time bin."""

    field: str | None
    aggregate: str = "none"
    bin: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "aggregate": self.aggregate, "bin": self.bin}


def _unit(node: exp.Expression | None) -> str | None:
    if node is None:
        return None
    name = node.name if isinstance(node, exp.Var | exp.Column | exp.Literal) else node.sql()
    return _UNIT_BINS.get(name.strip("'\"").lower())


class QueryTracer:
    """Traces result columns of one SELECT (with its CTEs and derived tables) to source columns."""

    def __init__(self, sql: str) -> None:
        self.root: Any
        try:
            self.root = sqlglot.parse_one(sql, read="bigquery")
        except sqlglot.errors.ParseError:
            self.root = None
        self.ctes: dict[str, exp.Expression] = {}
        if self.root is not None:
            for cte in self.root.find_all(exp.CTE):
                self.ctes[cte.alias_or_name.lower()] = cte.this

    def column(self, name: str) -> Traced:
        select = self._outer_select(self.root)
        if select is None:
            return Traced(name)
        return self._trace_output(select, name, depth=0)

    def order_by(self) -> tuple[str, str] | None:
        """The outer query's first ORDER BY key (its output name or expression text) and direction."""
        select = self._outer_select(self.root)
        order = select.args.get("order") if select is not None else None
        if not order or not order.expressions:
            return None
        first = order.expressions[0]
        key = first.this
        name = key.name if isinstance(key, exp.Column) else key.sql(dialect="bigquery")
        return name, "desc" if first.args.get("desc") else "asc"

    # -- internals ---------------------------------------------------------------------------

    @staticmethod
    def _outer_select(node: Any) -> exp.Select | None:
        while node is not None and not isinstance(node, exp.Select):
            if isinstance(node, exp.SetOperation | exp.Subquery):
                node = node.this
            else:
                return None
        return node

    def _trace_output(self, select: exp.Select, name: str, depth: int) -> Traced:
        wanted = name.lower()
        for projection in select.expressions:
            if projection.alias_or_name.lower() == wanted:
                return self._describe(projection, select, depth)
        return Traced(name)

    def _source_select(self, select: exp.Select, column: exp.Column) -> exp.Select | None:
        """The derived table or CTE a column of ``select`` comes from, if any."""
        sources: dict[str, exp.Expression] = {}
        from_ = select.args.get("from") or select.args.get("from_")
        tables = [from_.this] if from_ is not None else []
        tables += [j.this for j in select.args.get("joins") or []]
        for t in tables:
            alias = t.alias_or_name.lower()
            if isinstance(t, exp.Subquery):
                sources[alias] = t.this
            elif isinstance(t, exp.Table) and t.name.lower() in self.ctes and not t.args.get("db"):
                sources[alias] = self.ctes[t.name.lower()]
        if column.table:
            found = sources.get(column.table.lower())
        else:
            found = next(iter(sources.values())) if len(sources) == 1 and len(tables) == 1 else None
        return self._outer_select(found)

    def _describe(self, node: exp.Expression, select: exp.Select, depth: int) -> Traced:
        if depth > 8:
            return Traced(None, "expression")
        while isinstance(node, _PASS_THROUGH):
            node = node.this
        if isinstance(node, exp.Column):
            source = self._source_select(select, node)
            if source is not None:
                return self._trace_output(source, node.name, depth + 1)
            return Traced(node.name)
        if isinstance(node, exp.Count):
            arg = node.this
            if arg is None or isinstance(arg, exp.Star):
                return Traced(None, "count")
            if isinstance(arg, exp.Distinct):
                first = arg.expressions[0] if arg.expressions else None
                field = self._describe(first, select, depth + 1).field if first is not None else None
                return Traced(field, "count_distinct")
            return Traced(self._describe(arg, select, depth + 1).field, "count")
        for kind, agg in _AGGS.items():
            if isinstance(node, kind):
                inner = self._describe(node.this, select, depth + 1)
                return Traced(inner.field, agg, inner.bin)
        if isinstance(node, exp.DateTrunc | exp.TimestampTrunc | exp.DatetimeTrunc | exp.TimeTrunc):
            inner = self._describe(node.this, select, depth + 1)
            return Traced(inner.field, inner.aggregate, _unit(node.args.get("unit")) or inner.bin)
        if isinstance(node, exp.Extract):
            inner = self._describe(node.expression, select, depth + 1)
            return Traced(inner.field, inner.aggregate, _unit(node.this))
        if isinstance(node, exp.Year | exp.Month | exp.Day | exp.DayOfWeek | exp.Quarter | exp.Week):
            units = {exp.Year: "year", exp.Month: "month", exp.Day: "day", exp.DayOfWeek: "weekday",
                     exp.Quarter: "quarter", exp.Week: "week"}  # fmt: skip
            inner = self._describe(node.this, select, depth + 1)
            return Traced(inner.field, inner.aggregate, units[type(node)])
        if isinstance(node, exp.TimeToStr | exp.ToChar):
            fmt = node.args.get("format")
            inner = self._describe(node.this, select, depth + 1)
            text = fmt.name if fmt is not None else ""
            return Traced(inner.field, inner.aggregate, _FORMAT_BINS.get(text, inner.bin))
        if isinstance(node, exp.Anonymous) and node.name.upper() in ("FORMAT_DATE", "FORMAT_TIMESTAMP"):
            args = node.expressions
            if len(args) >= 2:
                inner = self._describe(args[1], select, depth + 1)
                return Traced(inner.field, inner.aggregate, _FORMAT_BINS.get(args[0].name, inner.bin))
        if isinstance(node, exp.Floor | exp.IntDiv | exp.RangeBucket) or (
            isinstance(node, exp.Anonymous) and node.name.upper() == "WIDTH_BUCKET"
        ):
            first = node.this if not isinstance(node, exp.Anonymous) else node.expressions[0]
            inner = self._describe(first, select, depth + 1)
            return Traced(inner.field, inner.aggregate, "numeric" if inner.aggregate == "none" else inner.bin)
        if isinstance(node, exp.Literal | exp.Null | exp.Parameter | exp.Placeholder):
            return Traced(None)
        # arithmetic of one aggregate with constants (SUM(x) / 1000): that aggregate; else an expression
        parts = [self._describe(n, select, depth + 1) for n in _operands(node)]
        real = [p for p in parts if p.field is not None or p.aggregate != "none"]
        if len(real) == 1:
            return real[0]
        return Traced(None, "expression")


def _operands(node: exp.Expression) -> list[Any]:
    if isinstance(node, exp.Binary):
        return [node.left, node.right]
    if isinstance(node, exp.Neg | exp.Round):
        return [node.this]
    if isinstance(node, exp.Literal | exp.Null):
        return []
    return [node] if isinstance(node, exp.Column) else []


def _encode(enc: FieldEncoding | None, tracer: QueryTracer | None) -> Traced | None:
    """A channel as source column, aggregate and bin: the query's lineage, then the view's own encoding."""
    if enc is None:
        return None
    traced = tracer.column(enc.field) if tracer is not None else Traced(enc.field)
    aggregate = traced.aggregate
    if enc.aggregate is not None and traced.aggregate != "expression":
        if traced.aggregate == "none":
            aggregate = enc.aggregate
        elif not (enc.aggregate in ("sum", "min", "max") and traced.aggregate in ("count", enc.aggregate)):
            aggregate = enc.aggregate  # re-aggregating: SUM of counts is still a count, MAX of MAX a MAX
    return Traced(traced.field, aggregate, enc.time_grain or traced.bin)


def _channels(view: ChartView) -> tuple[FieldEncoding | None, FieldEncoding | None, FieldEncoding | None]:
    """The view's (category/time axis, measure, series) channels in the prediction's sense."""
    if isinstance(view, PieView):
        return view.color, view.theta, None
    if isinstance(view, HeatmapView):
        return view.x, view.color, view.y  # cell colour is the measure; y the second dimension
    return view.x, view.y, view.color


def view_prediction(view: View, queries: dict[str, Query]) -> dict[str, Any] | None:
    """One chart or table view in the prediction shape; None for KPI tiles and text."""
    if isinstance(view, TableView):
        return {"mark": "table", "id": view.id}
    if not isinstance(view, ChartView):
        return None
    query = queries.get(view.query)
    tracer = QueryTracer(query.sql) if query is not None else None
    x_enc, y_enc, color_enc = _channels(view)
    x, y, color = _encode(x_enc, tracer), _encode(y_enc, tracer), _encode(color_enc, tracer)
    sort = _sort(view, x_enc, y_enc, tracer)
    horizontal = not isinstance(view, ScatterView | PieView | HeatmapView)
    if horizontal and x and y and x.aggregate != "none" and y.aggregate == "none":
        x, y = y, x  # a horizontal bar: the category is on y, the measure on x
        if sort and sort["by"] in ("x", "y"):
            sort = {**sort, "by": "y" if sort["by"] == "x" else "x"}
    out: dict[str, Any] = {
        "mark": view.type,
        "id": view.id,
        "x": (x or Traced(None)).to_dict(),
        "y": {"field": y.field, "aggregate": y.aggregate} if y else {"field": None, "aggregate": "none"},
        "color": color.field if color else None,
        "sort": sort,
        "limit": getattr(view, "top_n", None),
    }
    if isinstance(view, BarView) and view.color is not None:
        out["stack"] = view.color.stack or "stacked"
    return out


def _sort(
    view: ChartView, x: FieldEncoding | None, y: FieldEncoding | None, tracer: QueryTracer | None
) -> dict[str, Any] | None:
    """The view's row order: its ``sort``, an axis's ``sort``, or the query's ORDER BY."""
    field: str | None = None
    order: str | None = None
    sort = getattr(view, "sort", None)
    if sort is not None:
        field, order = sort.field, sort.order or "asc"
    else:
        for axis, enc in (("x", x), ("y", y)):
            if enc is not None and enc.sort is not None:
                return {"by": axis, "order": enc.sort}
        found = tracer.order_by() if tracer is not None else None
        if found is None:
            return None
        field, order = found
    for axis, enc in (("x", x), ("y", y)):
        if enc is not None and enc.field.lower() == field.lower():
            return {"by": axis, "order": order}
    return {"by": "other", "field": field, "order": order}


def load_dashboard(text: str) -> Dashboard | None:
    """The typed dashboard of a saved YAML text (None when it is not one)."""
    try:
        data = yaml.safe_load(text)
        return Dashboard.model_validate(data)
    except (yaml.YAMLError, ValidationError):
        return None


def dashboard_views(text: str) -> list[dict[str, Any]]:
    """The chart (and table) views of a dashboard YAML in reading order: top to bottom, left to right."""
    dashboard = load_dashboard(text)
    if dashboard is None:
        return []
    ordered = sorted(enumerate(dashboard.views), key=lambda p: (p[1].layout.y, p[1].layout.x, p[0]))
    predictions = (view_prediction(view, dashboard.queries) for _, view in ordered)
    return [p for p in predictions if p is not None]
