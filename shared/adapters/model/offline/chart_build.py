"""Turn a :class:`ChartSpec` into a one-view dashboard: one query (aggregated in SQL) and one chart.

The SQL keeps each axis traceable to its column: ``DATE_TRUNC(DATE(t.col), MONTH) AS col`` for a
time bin, ``FORMAT_DATE('%A', ...)`` for weekdays, ``AGG(t.col) AS agg_col`` for a measure and
``COUNT(*) AS count`` for a row count.
"""

from __future__ import annotations

import re
from typing import Any

from shared.adapters.model.offline.chart_grammar import Axis, ChartSpec
from shared.adapters.model.offline.layout import arrange
from shared.adapters.model.offline.sql_build import PERIOD_PARAM

UNITS = {"year": "YEAR", "month": "MONTH", "day": "DAY"}
AGG_SQL = {"sum": "SUM({})", "avg": "AVG({})", "min": "MIN({})", "max": "MAX({})", "count": "COUNT({})"}
AGG_LABEL = {"sum": "Total", "avg": "Average", "min": "Lowest", "max": "Highest", "count": "Number of"}
SORTED_MARKS = ("bar", "line", "area")  # the view types whose schema has a sort
X_TYPES = {"bar": "nominal", "line": "ordinal", "scatter": "quantitative"}


def ident(name: str) -> str:
    out = re.sub(r"[^a-z0-9_]+", "_", name.lower()).strip("_") or "value"
    return out if out[0].isalpha() else "c_" + out


def _col(name: str) -> str:
    return f"t.`{name}`"


def _words(name: str) -> str:
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name).replace("_", " ").strip().lower()


def _x_sql(x: Axis) -> str:
    assert x.column is not None
    c = _col(x.column.name)
    if x.bin == "weekday":
        return f"FORMAT_DATE('%A', DATE({c}))"
    if x.bin in UNITS:
        return f"DATE_TRUNC(DATE({c}), {UNITS[x.bin]})"
    return c


def _y_sql(y: Axis) -> tuple[str, str, str]:
    """(expression, alias, title) of the measure."""
    if y.aggregate == "none":
        assert y.column is not None
        return _col(y.column.name), ident(y.column.name), _words(y.column.name).capitalize()
    if y.column is None:
        return "COUNT(*)", "count", "Count"
    alias = f"{y.aggregate}_{ident(y.column.name)}"
    title = f"{AGG_LABEL[y.aggregate]} {_words(y.column.name)}"
    return AGG_SQL[y.aggregate].format(_col(y.column.name)), alias, title


def chart_sql(spec: ChartSpec) -> tuple[str, dict[str, str]]:
    """The query text and the result field of each channel (x, y, color)."""
    assert spec.x.column is not None
    x_alias = ident(spec.x.column.name)
    y_expr, y_alias, _ = _y_sql(spec.y)
    if y_alias == x_alias:
        y_alias = f"{y_alias}_value"
    select = [f"{_x_sql(spec.x)} AS {x_alias}"]
    fields = {"x": x_alias, "y": y_alias}
    group = [x_alias]
    if spec.color is not None:
        c_alias = ident(spec.color.name)
        if c_alias in (x_alias, y_alias):
            c_alias = f"{c_alias}_series"
        select.append(f"{_col(spec.color.name)} AS {c_alias}")
        group.append(c_alias)
        fields["color"] = c_alias
    select.append(f"{y_expr} AS {y_alias}")
    lines = ["SELECT " + ", ".join(select), f"FROM `{spec.table.name}` AS t"]
    where = [f"{_col(spec.x.column.name)} IS NOT NULL"]
    where += [f.sql(_col(f.column.name)) for f in spec.filters]
    if spec.period is not None and spec.table.time_column:
        where.append(
            f"DATE({_col(spec.table.time_column)}) BETWEEN @{PERIOD_PARAM}_start AND @{PERIOD_PARAM}_end"
        )
    lines.append("WHERE " + " AND ".join(where))
    if spec.y.aggregate != "none":
        lines.append("GROUP BY " + ", ".join(group))
    order = _order(spec, fields)
    if order:
        lines.append("ORDER BY " + order)
    if spec.limit:
        lines.append(f"LIMIT {spec.limit}")
    return "\n".join(lines) + "\n", fields


def _order(spec: ChartSpec, fields: dict[str, str]) -> str | None:
    if spec.sort is not None:
        return f"{fields[spec.sort[0]]} {spec.sort[1].upper()}"
    if spec.mark == "line" or spec.x.bin:
        return f"{fields['x']} ASC"
    return None


def chart_title(spec: ChartSpec) -> str:
    _, _, y_title = _y_sql(spec.y)
    assert spec.x.column is not None
    x = _words(spec.x.column.name)
    if spec.x.bin:
        x += f" ({spec.x.bin})"
    title = f"{y_title} by {x}" + (f" and {_words(spec.color.name)}" if spec.color is not None else "")
    return title[:120]


def build_dashboard(spec: ChartSpec) -> dict[str, Any]:
    """The dashboard dict of a chart spec: one query, one view."""
    sql, fields = chart_sql(spec)
    assert spec.x.column is not None
    title = chart_title(spec)
    _, _, y_title = _y_sql(spec.y)
    x_title = _words(spec.x.column.name).capitalize()
    x_type = (
        "temporal"
        if spec.x.bin in UNITS
        else ("ordinal" if spec.x.bin else X_TYPES.get(spec.mark, "nominal"))
    )
    if spec.mark == "scatter" and not spec.x.column.numeric:
        x_type = "nominal"
    if spec.mark == "line" and spec.x.column.temporal and not spec.x.bin:
        x_type = "temporal"
    view: dict[str, Any] = {"id": ident(title)[:60].strip("_") or "chart", "type": spec.mark, "title": title,
                            "query": "chart"}  # fmt: skip
    y_enc = {"field": fields["y"], "type": "quantitative", "title": y_title}
    x_enc = {"field": fields["x"], "type": x_type, "title": x_title}
    if spec.mark == "pie":
        view["theta"] = y_enc
        view["color"] = {"field": fields["x"], "type": "nominal", "title": x_title}
    else:
        view["x"] = x_enc
        view["y"] = y_enc
        if "color" in fields:
            assert spec.color is not None
            view["color"] = {
                "field": fields["color"],
                "type": "nominal",
                "title": _words(spec.color.name).capitalize(),
            }
        if spec.sort is not None and spec.mark in SORTED_MARKS:  # a scatter has no order: the SQL keeps it
            view["sort"] = {"field": fields[spec.sort[0]], "order": spec.sort[1]}
    dashboard: dict[str, Any] = {
        "version": 1,
        "title": title,
        "description": f"{title} from {spec.table.short}",
        "theme": "monotone",
        "queries": {"chart": {"description": title, "sql": sql}},
        "views": arrange([view]),
    }
    if spec.period is not None:
        start, end = spec.period
        dashboard["parameters"] = [
            {
                "name": PERIOD_PARAM,
                "type": "date_range",
                "label": "Period",
                "default": {"start": start, "end": end},
            }
        ]
    return dashboard
