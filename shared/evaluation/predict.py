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
from sqlglot import exp

CHART_MARKS = {"bar": "bar", "line": "line", "area": "area", "pie": "pie", "scatter": "scatter"}
SERIES_MARKS = ("bar", "line", "area", "scatter")
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


def _channel(view: dict[str, Any], key: str) -> dict[str, Any]:
    enc = view.get(key)
    return enc if isinstance(enc, dict) else {}


def _encode(enc: dict[str, Any], tracer: QueryTracer | None) -> Traced | None:
    field = enc.get("field")
    if not isinstance(field, str):
        return None
    traced = tracer.column(field) if tracer is not None else Traced(field)
    agg, grain = enc.get("aggregate"), enc.get("time_grain")
    aggregate = traced.aggregate
    if isinstance(agg, str) and (traced.aggregate == "none" or agg not in ("sum", "min", "max")):
        aggregate = (
            agg if traced.aggregate == "none" else traced.aggregate if agg == traced.aggregate else agg
        )
    if traced.aggregate == "count" and agg == "sum":
        aggregate = "count"
    return Traced(traced.field, aggregate, grain if isinstance(grain, str) else traced.bin)


def view_prediction(view: dict[str, Any], queries: dict[str, Any]) -> dict[str, Any] | None:
    """One chart or table view in the prediction shape; None for KPI tiles and text."""
    kind = view.get("type")
    if kind == "table":
        return {"mark": "table", "id": view.get("id")}
    if kind not in CHART_MARKS and kind != "heatmap":
        return None
    query = queries.get(view.get("query") or "") or {}
    sql = query.get("sql") if isinstance(query, dict) else None
    tracer = QueryTracer(sql) if isinstance(sql, str) else None
    if kind == "pie":
        x, y, color = _encode(_channel(view, "color"), tracer), _encode(_channel(view, "theta"), tracer), None
    elif kind == "heatmap":
        x, y = _encode(_channel(view, "x"), tracer), _encode(_channel(view, "color"), tracer)
        color = _encode(_channel(view, "y"), tracer)
    else:
        x, y = _encode(_channel(view, "x"), tracer), _encode(_channel(view, "y"), tracer)
        color = _encode(_channel(view, "color"), tracer)
    sort = _sort(view, tracer)
    if (
        kind not in ("scatter", "pie", "heatmap")
        and x
        and y
        and x.aggregate != "none"
        and y.aggregate == "none"
    ):
        x, y = y, x  # a horizontal bar: the category is on y, the measure on x
        if sort and sort["by"] in ("x", "y"):
            sort = {**sort, "by": "y" if sort["by"] == "x" else "x"}
    out = {
        "mark": CHART_MARKS.get(str(kind), str(kind)),
        "id": view.get("id"),
        "x": x.to_dict() if x else {"field": None, "aggregate": "none", "bin": None},
        "y": {"field": y.field, "aggregate": y.aggregate} if y else {"field": None, "aggregate": "none"},
        "color": color.field if color else None,
        "sort": sort,
        "limit": view.get("top_n"),
    }
    return out


def _sort(view: dict[str, Any], tracer: QueryTracer | None) -> dict[str, Any] | None:
    s = view.get("sort")
    field, order = None, None
    if isinstance(s, dict) and isinstance(s.get("field"), str):
        field, order = s["field"], s.get("order", "asc")
    else:
        for axis in ("x", "y"):
            enc = _channel(view, axis)
            if enc.get("sort") in ("asc", "desc"):
                return {"by": axis, "order": enc["sort"]}
        found = tracer.order_by() if tracer is not None else None
        if found is None:
            return None
        field, order = found
    channels = {"x": "color", "y": "theta"} if view.get("type") == "pie" else {"x": "x", "y": "y"}
    names = {axis: _channel(view, key).get("field") for axis, key in channels.items()}
    for axis, name in names.items():
        if isinstance(name, str) and name.lower() == str(field).lower():
            return {"by": axis, "order": order}
    return {"by": "other", "field": field, "order": order}


def _reading_key(view: dict[str, Any], index: int) -> tuple[int, int, int]:
    layout = view.get("layout") if isinstance(view.get("layout"), dict) else {}
    assert isinstance(layout, dict)
    return int(layout.get("y", 0) or 0), int(layout.get("x", 0) or 0), index


def dashboard_views(text: str) -> list[dict[str, Any]]:
    """The chart (and table) views of a dashboard YAML in reading order: top to bottom, left to right."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError:
        return []
    if not isinstance(doc, dict):
        return []
    views = [v for v in doc.get("views") or [] if isinstance(v, dict)]
    queries = doc.get("queries") if isinstance(doc.get("queries"), dict) else {}
    ordered = sorted(enumerate(views), key=lambda p: _reading_key(p[1], p[0]))
    out = []
    for _, view in ordered:
        pred = view_prediction(view, queries or {})
        if pred is not None:
            out.append(pred)
    return out
