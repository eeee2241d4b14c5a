"""Compile a validated dashboard into per-view SQL and render specs.

Each view's SQL is its query's SQL, wrapped (with sqlglot, BigQuery dialect) only when the view
aggregates, truncates time, sorts or keeps the top N; views that need no wrapping share their
query's SQL string exactly, so results can be cached once. Parameters stay ``@name``; values are
bound later as query parameters. Chart views get a Vega-Lite v6 spec reading ``data: {name: table}``;
KPI, table and text views get small specs the front end renders itself.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import sqlglot
from sqlglot import exp

from shared.dashboards.schema import DEFAULT_REFRESH, DEFAULT_THEME
from shared.dashboards.theme import theme_config
from shared.errors import NotFound, ValidationFailed

__all__ = [
    "VEGA_LITE_SCHEMA",
    "CompiledDashboard",
    "CompiledView",
    "compile_dashboard",
    "d3_format",
    "refresh_seconds",
]

VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"
CHART_TYPES = frozenset({"line", "bar", "area", "pie", "scatter", "heatmap"})

_NUMBER_FORMATS = {"number": ",.2~f", "integer": ",.0f", "percent": ".1%", "currency": "$,.2f"}
_TIME_FORMATS = {
    "day": "%b %d, %Y",
    "week": "%b %d, %Y",
    "month": "%b %Y",
    "quarter": "Q%q %Y",
    "year": "%Y",
}
_TIME_UNITS = {
    "day": "utcyearmonthdate",
    "week": "utcyearmonthdate",
    "month": "utcyearmonth",
    "quarter": "utcyearquarter",
    "year": "utcyear",
}
_CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹", "CNY": "¥", "KRW": "₩"}
_AGGREGATE_TEMPLATES = {
    "sum": "SUM(__field__)",
    "avg": "AVG(__field__)",
    "min": "MIN(__field__)",
    "max": "MAX(__field__)",
    "count": "COUNT(__field__)",
    "count_distinct": "COUNT(DISTINCT __field__)",
    "median": "APPROX_QUANTILES(__field__, 2)[OFFSET(1)]",
}
_GRAIN_TEMPLATE = "DATE_TRUNC(DATE(__field__), {unit})"
_GRAIN_UNITS = {"day": "DAY", "week": "WEEK", "month": "MONTH", "quarter": "QUARTER", "year": "YEAR"}
_CHANNELS = {
    # view type: ((channel, default Vega-Lite type), ...)
    "line": (("x", "temporal"), ("y", "quantitative"), ("color", "nominal")),
    "area": (("x", "temporal"), ("y", "quantitative"), ("color", "nominal")),
    "bar": (("x", "nominal"), ("y", "quantitative"), ("color", "nominal")),
    "scatter": (("x", "quantitative"), ("y", "quantitative"), ("color", "nominal"), ("size", "quantitative")),
    "heatmap": (("x", "ordinal"), ("y", "ordinal"), ("color", "quantitative")),
    "pie": (("theta", "quantitative"), ("color", "nominal")),
    "kpi": (("value", "quantitative"),),
}
_REFRESH = re.compile(r"^(\d+)([smhd])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class CompiledView:
    """One view ready to serve: the SQL to run (None for text), its @names and its render spec."""

    view_id: str
    type: str
    query_name: str | None
    sql: str | None
    parameter_names: tuple[str, ...]
    spec: dict[str, Any]


@dataclass(frozen=True)
class CompiledDashboard:
    title: str
    theme: str
    refresh_seconds: int
    views: tuple[CompiledView, ...]

    def view(self, view_id: str) -> CompiledView:
        """The compiled view ``view_id``; :class:`NotFound` when there is none."""
        for view in self.views:
            if view.view_id == view_id:
                return view
        raise NotFound(f"dashboard has no view '{view_id}'")

    @property
    def distinct_sql(self) -> tuple[str, ...]:
        """Every SQL text to run, once each (views sharing a query share one)."""
        return tuple(dict.fromkeys(view.sql for view in self.views if view.sql))


def refresh_seconds(refresh: Any) -> int:
    """Cache time-to-live in seconds from ``15m``/``1h``/``1d``/``30s`` or a number of seconds."""
    is_number = isinstance(refresh, int | float) and not isinstance(refresh, bool)
    if is_number and refresh >= 0 and float(refresh).is_integer():  # schema integers include 60.0
        return int(refresh)
    match = _REFRESH.match(str(refresh).strip())
    if not match:
        raise ValidationFailed(
            f"refresh {refresh!r} is not a duration like 15m, 1h or 1d",
            details=[{"path": "refresh", "line": None, "column": None, "message": "invalid duration"}],
        )
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def d3_format(encoding: Mapping[str, Any]) -> str | None:
    """The d3 format string for a field encoding's ``format`` (time format for dates)."""
    fmt = encoding.get("format")
    if fmt == "date" or (encoding.get("type") == "temporal" and fmt is None):
        return _TIME_FORMATS.get(str(encoding.get("time_grain")), "%Y-%m-%d")
    return _NUMBER_FORMATS.get(str(fmt)) if fmt else None


def compile_dashboard(dashboard: Mapping[str, Any]) -> CompiledDashboard:
    """Compile a dashboard that passed :func:`validate_dashboard` (its ``.dashboard``)."""
    theme = str(dashboard.get("theme") or DEFAULT_THEME)
    queries: Mapping[str, Any] = dashboard.get("queries") or {}
    views = tuple(_compile_view(view, queries, theme) for view in dashboard["views"])
    return CompiledDashboard(
        title=str(dashboard.get("title", "")),
        theme=theme,
        refresh_seconds=refresh_seconds(dashboard.get("refresh", DEFAULT_REFRESH)),
        views=views,
    )


def _compile_view(view: Mapping[str, Any], queries: Mapping[str, Any], theme: str) -> CompiledView:
    view_id, view_type = str(view["id"]), str(view["type"])
    if view_type == "text":
        spec = {"kind": "text", "title": view.get("title", ""), "markdown": view["text"]}
        return CompiledView(view_id, view_type, None, None, (), spec)
    query_name = str(view["query"])
    if query_name not in queries:
        raise NotFound(f"view '{view_id}' uses unknown query '{query_name}'")
    query_sql = str(queries[query_name]["sql"]).strip()
    sql = _wrap(query_sql, view) or query_sql
    names = _parameter_names(query_sql)
    return CompiledView(view_id, view_type, query_name, sql, names, _spec(view, theme))


@cache
def _parameter_names(sql: str) -> tuple[str, ...]:
    tree = sqlglot.parse_one(sql, read="bigquery")
    names = (
        node.name
        for node in tree.find_all(exp.Parameter)
        if not isinstance(node.this, exp.Parameter) and not isinstance(node.parent, exp.Parameter)
    )
    return tuple(dict.fromkeys(name for name in names if name))


# ---------------------------------------------------------------- SQL


def _encodings(view: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    if view["type"] == "table":
        return list(view.get("columns") or ())
    channels = _CHANNELS.get(str(view["type"]), ())
    return [view[channel] for channel, _ in channels if isinstance(view.get(channel), Mapping)]


def _wrap(query_sql: str, view: Mapping[str, Any]) -> str | None:
    """The view's SQL over ``(query)`` when it aggregates, truncates, sorts or limits; else None."""
    encodings = _encodings(view)
    aggregated = any(e.get("aggregate") for e in encodings)
    grained = any(e.get("time_grain") for e in encodings)
    if grained and not aggregated:
        encodings = _sum_measures(view, encodings)
        aggregated = any(e.get("aggregate") for e in encodings)
    top_n, sort = view.get("top_n"), view.get("sort")
    column_sorts = [e for e in encodings if e.get("sort")] if view["type"] == "table" else []
    if not (aggregated or grained or top_n or sort or column_sorts):
        return None

    projections: list[exp.Expr] = []
    group_positions: list[int] = []
    seen: set[str] = set()
    for encoding in encodings:
        field = str(encoding["field"])
        if field in seen:
            continue
        seen.add(field)
        expression = _field_expression(encoding)
        projections.append(exp.alias_(expression, field, quoted=True))
        if not encoding.get("aggregate"):
            group_positions.append(len(projections))

    inner = sqlglot.parse_one(query_sql.rstrip().rstrip(";"), read="bigquery")
    subquery = exp.Subquery(this=inner, alias=exp.TableAlias(this=exp.to_identifier("q")))
    select = exp.select(*projections).from_(subquery)
    if aggregated and group_positions:
        select = select.group_by(*(exp.Literal.number(position) for position in group_positions))
    for field, descending in _order(view, encodings):
        ordered = exp.Ordered(
            this=exp.column(field, quoted=True), desc=descending, nulls_first=not descending
        )
        select = select.order_by(ordered)
    if top_n:
        select = select.limit(int(top_n))
    return select.sql(dialect="bigquery", pretty=True)


def _sum_measures(view: Mapping[str, Any], encodings: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """A time grain groups rows, so measures without an aggregate are summed per period."""
    measures = {
        id(view[channel])
        for channel, default_type in _CHANNELS.get(str(view["type"]), ())
        if isinstance(view.get(channel), Mapping)
        and not view[channel].get("time_grain")
        and view[channel].get("type", default_type) == "quantitative"
    }
    measures |= {id(e) for e in encodings if e.get("type") == "quantitative" and not e.get("time_grain")}
    return [{**e, "aggregate": "sum"} if id(e) in measures else e for e in encodings]


def _field_expression(encoding: Mapping[str, Any]) -> exp.Expr:
    column = exp.column(str(encoding["field"]), quoted=True)
    expression: exp.Expr = column
    if encoding.get("time_grain"):
        unit = _GRAIN_UNITS[str(encoding["time_grain"])]
        expression = _template(_GRAIN_TEMPLATE.format(unit=unit), expression)
    if encoding.get("aggregate"):
        expression = _template(_AGGREGATE_TEMPLATES[str(encoding["aggregate"])], expression)
    return expression


def _template(template: str, argument: exp.Expr) -> exp.Expr:
    tree = _parsed_template(template).copy()
    return tree.transform(
        lambda node: argument.copy() if isinstance(node, exp.Column) and node.name == "__field__" else node
    )


@cache
def _parsed_template(template: str) -> exp.Expr:
    return sqlglot.parse_one(template, read="bigquery")


def _order(view: Mapping[str, Any], encodings: list[Mapping[str, Any]]) -> list[tuple[str, bool]]:
    sort = view.get("sort")
    if isinstance(sort, Mapping):
        return [(str(sort["field"]), sort.get("order", "asc") == "desc")]
    if view["type"] == "table":
        sorted_columns = [(str(e["field"]), e["sort"] == "desc") for e in encodings if e.get("sort")]
        if sorted_columns:
            return sorted_columns
    if view.get("top_n"):
        measure = _measure(view, encodings)
        return [(measure, True)] if measure else []
    temporal = [str(e["field"]) for e in encodings if e.get("time_grain") or e.get("type") == "temporal"]
    return [(temporal[0], False)] if temporal else []


def _measure(view: Mapping[str, Any], encodings: list[Mapping[str, Any]]) -> str | None:
    for channel in ("theta", "y", "value", "color", "size"):
        encoding = view.get(channel)
        if isinstance(encoding, Mapping) and (
            encoding.get("aggregate") or encoding.get("type", "quantitative") == "quantitative"
        ):
            return str(encoding["field"])
    for encoding in encodings:
        if encoding.get("aggregate") or encoding.get("type") == "quantitative":
            return str(encoding["field"])
    return None


# ---------------------------------------------------------------- specs


def _spec(view: Mapping[str, Any], theme: str) -> dict[str, Any]:
    view_type = str(view["type"])
    if view_type == "kpi":
        value = view["value"]
        return {
            "kind": "kpi",
            "title": view.get("title", ""),
            "field": value["field"],
            "aggregate": value.get("aggregate"),
            "format": value.get("format"),
            "d3_format": d3_format(value),
            "currency": value.get("currency", "USD") if value.get("format") == "currency" else None,
        }
    if view_type == "table":
        columns = [
            {
                "field": column["field"],
                "title": column.get("title") or _humanize(str(column["field"])),
                "type": column.get("type"),
                "format": column.get("format"),
                "d3_format": d3_format(column),
                "currency": column.get("currency", "USD") if column.get("format") == "currency" else None,
            }
            for column in view["columns"]
        ]
        return {"kind": "table", "title": view.get("title", ""), "columns": columns}
    return _vega_lite(view, view_type, theme)


def _vega_lite(view: Mapping[str, Any], view_type: str, theme: str) -> dict[str, Any]:
    encoding: dict[str, Any] = {}
    tooltip: list[dict[str, Any]] = []
    currencies: list[str] = []
    for channel, default_type in _CHANNELS[view_type]:
        source = view.get(channel)
        if not isinstance(source, Mapping):
            continue
        definition, tip = _channel(channel, source, default_type, view_type)
        encoding[channel] = definition
        tooltip.append(tip)
        if source.get("format") == "currency" and source.get("currency"):
            currencies.append(str(source["currency"]))
    _sort_categories(view, view_type, encoding)
    if view_type == "pie":
        encoding["order"] = {"field": encoding["theta"]["field"], "sort": "descending"}
    encoding["tooltip"] = tooltip
    spec: dict[str, Any] = {
        "$schema": VEGA_LITE_SCHEMA,
        "description": str(view.get("title") or view["id"]),
        "data": {"name": "table"},
        "mark": _mark(view_type),
        "encoding": encoding,
        "width": "container",
        "height": "container",
        "autosize": {"type": "fit", "contains": "padding"},
        "config": theme_config(theme),
    }
    if currencies and currencies[0] != "USD":
        symbol = _CURRENCY_SYMBOLS.get(currencies[0], currencies[0] + " ")
        spec["locale"] = {
            "number": {"decimal": ".", "thousands": ",", "grouping": [3], "currency": [symbol, ""]}
        }
    return spec


def _mark(view_type: str) -> dict[str, Any]:
    marks: dict[str, dict[str, Any]] = {
        "line": {"type": "line", "point": {"opacity": 0, "size": 60}},
        "area": {"type": "area", "line": True},
        "bar": {"type": "bar"},
        "scatter": {"type": "point", "filled": True},
        "heatmap": {"type": "rect"},
        "pie": {"type": "arc", "innerRadius": 0},
    }
    return marks[view_type]


def _channel(
    channel: str, source: Mapping[str, Any], default_type: str, view_type: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    field = str(source["field"])
    kind = str(source.get("type") or ("temporal" if source.get("time_grain") else default_type))
    title = source.get("title") or _humanize(field)
    definition: dict[str, Any] = {"field": field, "type": kind, "title": title}
    tip: dict[str, Any] = {"field": field, "type": kind, "title": title}
    fmt = d3_format({**source, "type": kind})
    guide = "legend" if channel in ("color", "size", "theta") else "axis"
    if kind == "temporal":
        definition["scale"] = {"type": "utc"}
        tip["timeUnit"] = _TIME_UNITS.get(str(source.get("time_grain")), "utcyearmonthdate")
    if fmt:
        if channel != "theta":
            definition[guide] = {"format": fmt}
        tip["format"] = fmt
    elif kind == "quantitative" and guide == "axis":
        definition["axis"] = {"format": "~s"}
    if channel == "theta":
        definition["stack"] = True
    if channel == "color" and kind == "quantitative" and view_type != "heatmap":
        definition["scale"] = {"scheme": "greys"}
    if source.get("sort") and channel != "theta":
        definition["sort"] = "descending" if source["sort"] == "desc" else "ascending"
    return definition, tip


def _sort_categories(view: Mapping[str, Any], view_type: str, encoding: dict[str, Any]) -> None:
    """Order a bar chart's categories by the measure when the view sorts or keeps the top N."""
    if view_type != "bar" or "sort" in encoding.get("x", {}) or "sort" in encoding.get("y", {}):
        return
    x, y = encoding.get("x", {}), encoding.get("y", {})
    category, measure = ("x", "y") if y.get("type") == "quantitative" else ("y", "x")
    if encoding.get(category, {}).get("type") not in ("nominal", "ordinal"):
        return
    sort = view.get("sort")
    measure_field = (x if measure == "x" else y).get("field")
    if isinstance(sort, Mapping) and sort.get("field") == measure_field:
        encoding[category]["sort"] = f"{'-' if sort.get('order') == 'desc' else ''}{measure}"
    elif view.get("top_n") and not sort:
        encoding[category]["sort"] = f"-{measure}"


def _humanize(field: str) -> str:
    return field.replace("_", " ").strip().capitalize() or field
