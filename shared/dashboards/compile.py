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
from functools import cache
from typing import Any

import sqlglot
from sqlglot import exp

from shared.dashboards import compile_summary as summary
from shared.dashboards.chart_axes import axis_format, band_time, order_categories, time_axis
from shared.dashboards.compiled import CompiledDashboard, CompiledView
from shared.dashboards.model import (
    BarView,
    Dashboard,
    FieldEncoding,
    KpiView,
    PieView,
    Query,
    TableView,
    TextView,
    View,
)
from shared.dashboards.partial import mark_partial, partial_plan, query_time_grain
from shared.dashboards.series import RANK, decorate_series, series_fold
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


def d3_format(encoding: FieldEncoding, kind: str | None = None) -> str | None:
    """The d3 format string for a field encoding's ``format`` (time format for dates).

    ``kind`` overrides the encoding's measurement type (the channel's default when it has none).
    """
    fmt, kind = encoding.format, kind or encoding.type
    if fmt == "date" or (kind == "temporal" and fmt is None):
        return _TIME_FORMATS.get(str(encoding.time_grain), "%Y-%m-%d")
    return _NUMBER_FORMATS.get(str(fmt)) if fmt else None


def compile_dashboard(dashboard: Dashboard | Mapping[str, Any]) -> CompiledDashboard:
    """Compile a loaded dashboard (plain data with the same shape is typed first)."""
    if not isinstance(dashboard, Dashboard):
        dashboard = Dashboard.model_validate(dashboard)
    ranges = [p.name for p in dashboard.parameters if p.type == "date_range"]
    views = tuple(_compile_view(view, dashboard.queries, dashboard.theme, ranges) for view in dashboard.views)
    return CompiledDashboard(
        title=dashboard.title,
        theme=dashboard.theme,
        refresh_seconds=refresh_seconds(dashboard.refresh),
        views=views,
    )


def _compile_view(view: View, queries: Mapping[str, Query], theme: str, ranges: list[str]) -> CompiledView:
    if isinstance(view, TextView):
        text_spec: dict[str, Any] = {"kind": "text", "title": view.title, "markdown": view.text}
        return CompiledView(view.id, view.type, None, None, (), text_spec)
    if view.query not in queries:
        raise NotFound(f"view '{view.id}' uses unknown query '{view.query}'")
    query_sql = queries[view.query].sql.strip()
    wrapped = _wrap(query_sql, view)
    names = _parameter_names(query_sql)
    spec = _spec(view, theme, query_sql, wrapped is not None)
    sql = wrapped or query_sql
    if isinstance(view, KpiView) and (parameter := summary.comparison_parameter(view, ranges, names)):
        value = view.value.model_copy(update={"aggregate": view.value.aggregate or "sum", "time_grain": None})
        sql = summary.comparison_sql(
            query_sql, view, parameter, _field_expression(value).sql(dialect="bigquery")
        )
        spec["compare"] = summary.comparison_spec(view)
    elif isinstance(view, KpiView) and view.compare is not None and view.compare.field:
        template = _AGGREGATE_TEMPLATES[view.value.aggregate or "sum"]
        sql = summary.latest_period_sql(query_sql, view, lambda inside: _template(template, inside))
        spec["compare"] = summary.comparison_spec(view)
    if isinstance(view, TableView) and view.totals:
        encodings = _encodings(view)
        columns = {e.field for e in encodings}
        order = [(f, desc) for f, desc in _order(view, encodings) if f in columns]
        full = _wrap(query_sql, view, limit=False) or query_sql
        sql = summary.totals_sql(view, query_sql, full, sql, order, _field_expression)
        spec["totals"] = summary.totals_spec(view)
    return CompiledView(view.id, view.type, view.query, sql, names, spec)


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


def _channel_encodings(view: View) -> list[tuple[str, str, FieldEncoding]]:
    """(channel, default Vega-Lite type, encoding) for each channel the view sets."""
    return [
        (channel, default_type, encoding)
        for channel, default_type in _CHANNELS.get(view.type, ())
        if isinstance(encoding := getattr(view, channel, None), FieldEncoding)
    ]


def _encodings(view: View) -> list[FieldEncoding]:
    if isinstance(view, TableView):
        return list(view.columns)
    return [encoding for _, _, encoding in _channel_encodings(view)]


def _wrap(query_sql: str, view: View, *, limit: bool = True) -> str | None:
    """The view's SQL over ``(query)`` when it aggregates, truncates, sorts or limits; else None.

    ``limit=False`` leaves out ``top_n`` (the rows a table's totals are computed over).
    """
    encodings = _encodings(view)
    fold, period = series_fold(view), partial_plan(view, query_sql)
    aggregated = any(e.aggregate for e in encodings)
    grained = any(e.time_grain for e in encodings)
    if (grained or (fold and fold.groups)) and not aggregated:
        encodings = _sum_measures(view, encodings)
        aggregated = any(e.aggregate for e in encodings)
    top_n, sort = getattr(view, "top_n", None), getattr(view, "sort", None)
    column_sorts = [e for e in encodings if e.sort] if isinstance(view, TableView) else []
    if not (aggregated or grained or top_n or sort or column_sorts or fold or period):
        return None

    projections: list[exp.Expr] = []
    group_positions: list[int] = []
    seen: set[str] = set()
    for encoding in encodings:
        if encoding.field in seen:
            continue
        seen.add(encoding.field)
        expression = _field_expression(encoding)
        if fold and encoding.field == fold.field:
            expression = fold.label(expression)
        projections.append(exp.alias_(expression, encoding.field, quoted=True))
        if not encoding.aggregate:
            group_positions.append(len(projections))
        elif fold and isinstance(view, PieView) and encoding.field == view.theta.field:
            projections.append(fold.share_projection(expression))
    if fold:
        projections.append(fold.rank_projection(aggregated))

    inner = sqlglot.parse_one(query_sql.rstrip().rstrip(";"), read="bigquery")
    if fold:
        inner = fold.source(inner)
    subquery = exp.Subquery(this=inner, alias=exp.TableAlias(this=exp.to_identifier("q")))
    select = exp.select(*projections).from_(subquery)
    if aggregated and group_positions:
        select = select.group_by(*(exp.Literal.number(position) for position in group_positions))
    order = _order(view, encodings)
    if fold and top_n and (category := fold.category(view)):  # top N categories, each with its series
        select, order, top_n = (
            fold.top_categories(select, category, int(top_n)),
            fold.category_order(view),
            None,
        )
    if period:
        select = period.apply(select)
    if fold:  # series in rank order (Other last) within each x; a pie's slices in rank order
        order = [] if fold.pie else [o for o in order if o[0] != fold.field]
        order.append((RANK, False))
        top_n = None if fold.pie else top_n  # a pie's top_n caps its slices (series.py)
    for field, descending in order:
        ordered = exp.Ordered(
            this=exp.column(field, quoted=True), desc=descending, nulls_first=not descending
        )
        select = select.order_by(ordered)
    if top_n and limit:
        select = select.limit(int(top_n))
    return select.sql(dialect="bigquery", pretty=True)


def _sum_measures(view: View, encodings: list[FieldEncoding]) -> list[FieldEncoding]:
    """A time grain groups rows, so measures without an aggregate are summed per period."""
    measures = {
        id(encoding)
        for _, default_type, encoding in _channel_encodings(view)
        if not encoding.time_grain and (encoding.type or default_type) == "quantitative"
    }
    measures |= {id(e) for e in encodings if e.type == "quantitative" and not e.time_grain}
    return [e.model_copy(update={"aggregate": "sum"}) if id(e) in measures else e for e in encodings]


def _field_expression(encoding: FieldEncoding) -> exp.Expr:
    expression: exp.Expr = exp.column(encoding.field, quoted=True)
    if encoding.time_grain:
        unit = _GRAIN_UNITS[encoding.time_grain]
        expression = _template(_GRAIN_TEMPLATE.format(unit=unit), expression)
    if encoding.aggregate:
        expression = _template(_AGGREGATE_TEMPLATES[encoding.aggregate], expression)
    return expression


def _template(template: str, argument: exp.Expr) -> exp.Expr:
    tree = _parsed_template(template).copy()
    return tree.transform(
        lambda node: argument.copy() if isinstance(node, exp.Column) and node.name == "__field__" else node
    )


@cache
def _parsed_template(template: str) -> exp.Expr:
    return sqlglot.parse_one(template, read="bigquery")


def _order(view: View, encodings: list[FieldEncoding]) -> list[tuple[str, bool]]:
    sort = getattr(view, "sort", None)
    if sort is not None:
        return [(sort.field, sort.order == "desc")]
    if isinstance(view, TableView):
        sorted_columns = [(e.field, e.sort == "desc") for e in encodings if e.sort]
        if sorted_columns:
            return sorted_columns
    if getattr(view, "top_n", None):
        measure = _measure(view, encodings)
        return [(measure, True)] if measure else []
    temporal = [e.field for e in encodings if e.time_grain or e.type == "temporal"]
    return [(temporal[0], False)] if temporal else []


def _measure(view: View, encodings: list[FieldEncoding]) -> str | None:
    for channel in ("theta", "y", "value", "color", "size"):
        encoding = getattr(view, channel, None)
        if isinstance(encoding, FieldEncoding) and (
            encoding.aggregate or (encoding.type or "quantitative") == "quantitative"
        ):
            return encoding.field
    for encoding in encodings:
        if encoding.aggregate or encoding.type == "quantitative":
            return encoding.field
    return None


# ---------------------------------------------------------------- specs


def _currency(encoding: FieldEncoding) -> str | None:
    return (encoding.currency or "USD") if encoding.format == "currency" else None


def _spec(view: View, theme: str, query_sql: str, wrapped: bool) -> dict[str, Any]:
    if isinstance(view, KpiView):
        value = view.value
        return {
            "kind": "kpi",
            "title": view.title,
            "field": value.field,
            "aggregate": value.aggregate,
            "format": value.format,
            "d3_format": d3_format(value),
            "currency": _currency(value),
        }
    if isinstance(view, TableView):
        columns = [
            {
                "field": column.field,
                "title": column.title or _humanize(column.field),
                "type": column.type,
                "format": column.format,
                "d3_format": d3_format(column),
                "currency": _currency(column),
            }
            for column in view.columns
        ]
        return {"kind": "table", "title": view.title, "columns": columns}
    return _vega_lite(view, theme, query_sql, wrapped)


def _vega_lite(view: View, theme: str, query_sql: str, wrapped: bool) -> dict[str, Any]:
    encoding: dict[str, Any] = {}
    tooltip: list[dict[str, Any]] = []
    currencies: list[str] = []
    grain: str | None = None
    for channel, default_type, source in _channel_encodings(view):
        if channel == "x" and (query_grain := query_time_grain(view, query_sql)):
            source = source.model_copy(update={"time_grain": query_grain})  # ticks and tooltip, not the SQL
        if channel in ("x", "y") and source.time_grain:
            grain = source.time_grain
        definition, tip = _channel(channel, source, default_type, view.type)
        encoding[channel] = definition
        tooltip.append(tip)
        if source.format == "currency" and source.currency:
            currencies.append(source.currency)
    if isinstance(view, BarView):
        band_time(encoding, _TIME_UNITS, grain)
        order_categories(view, encoding, query_sql, wrapped)
        _group_series(view, encoding)
    if view.type == "pie":
        encoding["order"] = {"field": encoding["theta"]["field"], "sort": "descending"}
    encoding["tooltip"] = tooltip
    fold = series_fold(view)
    meta = {"series": decorate_series(view, fold, encoding, theme)} if fold else {}
    spec: dict[str, Any] = {
        "$schema": VEGA_LITE_SCHEMA,
        "description": str(view.title or view.id),
        "data": {"name": "table"},
        "mark": _mark(view.type),
        "encoding": encoding,
        "width": "container",
        "height": "container",
        "autosize": {"type": "fit", "contains": "padding"},
        "config": theme_config(theme),
    }
    if meta:
        spec["usermeta"] = meta
    if currencies and currencies[0] != "USD":
        symbol = _CURRENCY_SYMBOLS.get(currencies[0], currencies[0] + " ")
        spec["locale"] = {
            "number": {"decimal": ".", "thousands": ",", "grouping": [3], "currency": [symbol, ""]}
        }
    period = partial_plan(view, query_sql)
    return mark_partial(spec, period) if period else spec


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
    channel: str, source: FieldEncoding, default_type: str, view_type: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    field = source.field
    kind = source.type or ("temporal" if source.time_grain else default_type)
    title = source.title or _humanize(field)
    definition: dict[str, Any] = {"field": field, "type": kind, "title": title}
    tip: dict[str, Any] = {"field": field, "type": kind, "title": title}
    fmt = d3_format(source, kind)
    guide = "legend" if channel in ("color", "size", "theta") else "axis"
    if kind == "temporal":
        definition["scale"] = {"type": "utc"}
        tip["timeUnit"] = _TIME_UNITS.get(str(source.time_grain), "utcyearmonthdate")
    if fmt:
        tip["format"] = fmt
    if kind == "quantitative" and guide == "axis":
        definition["axis"] = axis_format(source)
    elif fmt and channel != "theta":
        definition[guide] = {"format": fmt, **(time_axis(source) if kind == "temporal" else {})}
    if channel == "theta":
        definition["stack"] = True
    if channel == "color" and kind == "quantitative" and view_type != "heatmap":
        definition["scale"] = {"scheme": "greys"}
    if source.sort and channel != "theta":
        definition["sort"] = "descending" if source.sort == "desc" else "ascending"
    return definition, tip


def _group_series(view: BarView, encoding: dict[str, Any]) -> None:
    """``stack: grouped`` sets a series' bars side by side within each category (offset channel)."""
    if view.color is None or view.color.stack != "grouped":
        return
    category = "y" if encoding.get("x", {}).get("type") == "quantitative" else "x"
    encoding[f"{category}Offset"] = {"field": view.color.field}


def _humanize(field: str) -> str:
    return field.replace("_", " ").strip().capitalize() or field
