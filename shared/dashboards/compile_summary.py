"""SQL and specs for a KPI's comparison and a table's totals row (both computed by the view's one query).

A comparison runs the KPI's query twice inside one SELECT: once as written, once with its
``date_range`` parameter shifted to the earlier period (``@p_start``/``@p_end`` replaced by
expressions of themselves, so nothing new is bound), and returns the value, the previous value,
the change and the change ratio as one row.

A totals row is a UNION ALL branch marked ``_bridge_total = 1`` and ordered first (so a row limit
never cuts it off): a column's aggregate is applied again to the query's own rows (a count of
distinct users, an average or a median are right, not summed), other numbers are summed over the
view's rows before ``top_n``, a ratio is its numerator's total over its denominator's, and text,
percentages, averages and rates are left blank unless the YAML names a total.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import sqlglot
from sqlglot import exp

from shared.dashboards.model import FieldEncoding, KpiView, RatioTotal, TableView

__all__ = [
    "CHANGE",
    "CHANGE_RATIO",
    "CURRENT_END",
    "CURRENT_START",
    "PREVIOUS",
    "PREVIOUS_END",
    "PREVIOUS_START",
    "TOTAL_MARKER",
    "comparison_parameter",
    "comparison_spec",
    "comparison_sql",
    "latest_period_sql",
    "total_kind",
    "totals_spec",
    "totals_sql",
]

PREVIOUS, CHANGE, CHANGE_RATIO = "_previous", "_change", "_change_ratio"
PREVIOUS_START, PREVIOUS_END = "_previous_start", "_previous_end"
CURRENT_START, CURRENT_END = "_current_start", "_current_end"
_GRAINS = {"day": "DAY", "week": "WEEK", "month": "MONTH", "quarter": "QUARTER", "year": "YEAR"}
TOTAL_MARKER = "_bridge_total"
_SHIFTS = {
    # comparison: (start, end) of the earlier period from @s / @e, the current period's ends
    "previous_period": (
        "CAST(DATE_SUB(@s, INTERVAL DATE_DIFF(@e, @s, DAY) + 1 DAY) AS DATE)",
        "CAST(DATE_SUB(@s, INTERVAL 1 DAY) AS DATE)",
    ),
    "previous_year": (
        "CAST(DATE_SUB(@s, INTERVAL 1 YEAR) AS DATE)",
        "CAST(DATE_SUB(@e, INTERVAL 1 YEAR) AS DATE)",
    ),
}
_LABELS = {"previous_period": "vs previous period", "previous_year": "vs previous year"}
_NOT_ADDITIVE = re.compile(r"(^|_)(avg|average|mean|median|rate|ratio|pct|percent|percentage|share)(_|$)")
_NUMBER_FORMATS = ("number", "integer", "currency")


def comparison_parameter(
    view: KpiView, range_names: list[str], query_parameters: tuple[str, ...]
) -> str | None:
    """The date_range parameter a comparison shifts: the one named, else the only one the query uses."""
    if view.compare is None or view.compare.field:
        return None
    if view.compare.parameter:
        return view.compare.parameter
    used = [n for n in range_names if {f"{n}_start", f"{n}_end"} & set(query_parameters)]
    return used[0] if len(used) == 1 else None


def _parse(sql: str) -> exp.Expr:
    return sqlglot.parse_one(sql.rstrip().rstrip(";"), read="bigquery")


def _shifted(query: exp.Expr, name: str, to: str) -> exp.Expr:
    start, end = f"{name}_start", f"{name}_end"
    start_sql, end_sql = _SHIFTS[to]
    replacements = {}
    for key, template in ((start, start_sql), (end, end_sql)):
        text = template.replace("@s", f"@{start}").replace("@e", f"@{end}")
        replacements[key] = sqlglot.parse_one(text, read="bigquery")

    def swap(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Parameter) and node.name in replacements:
            return exp.paren(replacements[node.name].copy())
        return node

    return query.copy().transform(swap)


def comparison_sql(query_sql: str, view: KpiView, parameter: str, value_sql: str) -> str:
    """One SELECT: the value over the current period and over the earlier one, the change and its ratio."""
    assert view.compare is not None
    to = view.compare.to
    field = view.value.field
    current = _parse(query_sql)
    previous = _shifted(current, parameter, to)
    start_sql, end_sql = (
        t.replace("@s", f"@{parameter}_start").replace("@e", f"@{parameter}_end") for t in _SHIFTS[to]
    )
    quoted = exp.to_identifier(field, quoted=True).sql(dialect="bigquery")
    sql = f"""
SELECT cur.v AS {quoted}, prev.v AS `{PREVIOUS}`, cur.v - prev.v AS `{CHANGE}`,
  SAFE_DIVIDE(cur.v - prev.v, ABS(prev.v)) AS `{CHANGE_RATIO}`,
  {start_sql} AS `{PREVIOUS_START}`, {end_sql} AS `{PREVIOUS_END}`
FROM (SELECT {value_sql} AS v FROM ({current.sql(dialect="bigquery")}) AS q) AS cur
CROSS JOIN (SELECT {value_sql} AS v FROM ({previous.sql(dialect="bigquery")}) AS q) AS prev
"""
    return sqlglot.parse_one(sql, read="bigquery").sql(dialect="bigquery", pretty=True)


def latest_period_sql(query_sql: str, view: KpiView, aggregate: Callable[[exp.Expr], exp.Expr]) -> str:
    """One SELECT over the query's own time range: its latest complete period against the one before.

    The period is ``compare.grain`` (default month) of ``compare.field``; the one holding today
    (the warehouse's CURRENT_DATE) is in progress, so the latest before it is taken. ``aggregate``
    wraps an expression in the KPI's aggregate (rows outside a period become NULL, which every
    aggregate skips).
    """
    assert view.compare is not None and view.compare.field
    unit = _GRAINS[view.compare.grain or "month"]
    day = f"DATE(q.{exp.to_identifier(view.compare.field, quoted=True).sql(dialect='bigquery')})"
    value = f"q.{exp.to_identifier(view.value.field, quoted=True).sql(dialect='bigquery')}"
    query = _parse(query_sql).sql(dialect="bigquery")

    def between(start: str, end: str) -> str:
        inside = sqlglot.parse_one(f"IF({day} BETWEEN b.{start} AND b.{end}, {value}, NULL)", read="bigquery")
        return aggregate(inside).sql(dialect="bigquery")

    latest = f"CAST(DATE_TRUNC(MAX({day}), {unit}) AS DATE)"
    anchor = (
        f"IF({latest} = CAST(DATE_TRUNC(CURRENT_DATE(), {unit}) AS DATE), "
        f"CAST(DATE_SUB({latest}, INTERVAL 1 {unit}) AS DATE), {latest})"
    )
    if view.compare.to == "previous_year":  # the same period a year earlier
        previous = (
            "CAST(DATE_SUB(a.cs, INTERVAL 1 YEAR) AS DATE) AS ps, CAST(DATE_SUB(CAST(DATE_SUB(CAST(DATE_ADD("
            f"a.cs, INTERVAL 1 {unit}) AS DATE), INTERVAL 1 DAY) AS DATE), INTERVAL 1 YEAR) AS DATE) AS pe"
        )
    else:  # the period just before
        previous = f"CAST(DATE_SUB(a.cs, INTERVAL 1 {unit}) AS DATE) AS ps, CAST(DATE_SUB(a.cs, INTERVAL 1 DAY) AS DATE) AS pe"
    quoted = exp.to_identifier(view.value.field, quoted=True).sql(dialect="bigquery")
    sql = f"""
SELECT x.v AS {quoted}, x.p AS `{PREVIOUS}`, x.v - x.p AS `{CHANGE}`,
  SAFE_DIVIDE(x.v - x.p, ABS(x.p)) AS `{CHANGE_RATIO}`,
  x.ps AS `{PREVIOUS_START}`, x.pe AS `{PREVIOUS_END}`, x.cs AS `{CURRENT_START}`, x.ce AS `{CURRENT_END}`
FROM (
  SELECT {between("cs", "ce")} AS v, {between("ps", "pe")} AS p,
    MIN(b.cs) AS cs, MIN(b.ce) AS ce, MIN(b.ps) AS ps, MIN(b.pe) AS pe
  FROM ({query}) AS q
  CROSS JOIN (
    SELECT a.cs AS cs,
      CAST(DATE_SUB(CAST(DATE_ADD(a.cs, INTERVAL 1 {unit}) AS DATE), INTERVAL 1 DAY) AS DATE) AS ce,
      {previous}
    FROM (SELECT {anchor} AS cs FROM ({query}) AS q) AS a
  ) AS b
) AS x
"""
    return sqlglot.parse_one(sql, read="bigquery").sql(dialect="bigquery", pretty=True)


def comparison_spec(view: KpiView) -> dict[str, Any] | None:
    """What the web app needs to draw the change: the columns, the label and which way is good."""
    if view.compare is None:
        return None
    compare = view.compare
    grain = compare.grain or "month"
    by_field = (
        {"current_start_field": CURRENT_START, "current_end_field": CURRENT_END} if compare.field else {}
    )
    return {
        **by_field,
        "to": compare.to,
        "label": compare.label
        or (
            f"vs previous {grain}"
            if compare.field and compare.to == "previous_period"
            else _LABELS[compare.to]
        ),
        "good": compare.good,
        "previous_field": PREVIOUS,
        "change_field": CHANGE,
        "ratio_field": CHANGE_RATIO,
        "previous_start_field": PREVIOUS_START,
        "previous_end_field": PREVIOUS_END,
    }


# ---------------------------------------------------------------- totals


def total_kind(column: FieldEncoding) -> str | RatioTotal:
    """What a column's totals cell holds (see the module docstring for the defaults)."""
    written = getattr(column, "total", None)
    if written is not None:
        return written
    if column.aggregate:
        return "aggregate"
    numeric = column.type == "quantitative" or column.format in _NUMBER_FORMATS
    if (
        not numeric
        or column.format == "percent"
        or column.time_grain
        or _NOT_ADDITIVE.search(column.field.lower())
    ):
        return "none"
    return "sum"


def totals_sql(
    view: TableView,
    query_sql: str,
    full_sql: str,
    detail_sql: str,
    order: list[tuple[str, bool]],
    expression: Callable[[FieldEncoding], exp.Expr],
) -> str:
    """The view's rows (``detail_sql``) and, first, one totals row marked ``_bridge_total = 1``.

    ``full_sql`` is the view's rows before ``top_n``; ``expression`` gives a column's SQL (with
    its aggregate) over the query's own rows.
    """
    columns = list(dict.fromkeys(c.field for c in view.columns))
    by_field = {c.field: c for c in reversed(view.columns)}
    over_full: dict[str, str] = {}  # alias -> expression over the view's rows
    over_base: dict[str, str] = {}  # alias -> expression over the query's rows

    def total_of(field: str) -> str:
        column = by_field.get(field)
        kind = total_kind(column) if column is not None else "sum"
        if kind == "aggregate" and column is not None:
            alias = f"t{len(over_base)}"
            over_base[alias] = expression(column).sql(dialect="bigquery")
            return f"b.{alias}"
        if isinstance(kind, RatioTotal):
            return f"SAFE_DIVIDE({total_of(kind.numerator)}, {total_of(kind.denominator)})"
        if kind == "none":
            return "NULL"
        function = {"sum": "SUM", "count": "COUNT", "avg": "AVG", "min": "MIN", "max": "MAX"}[str(kind)]
        alias = f"t{len(over_full)}"
        quoted = exp.to_identifier(field, quoted=True).sql(dialect="bigquery")
        over_full[alias] = f"{function}({quoted})"
        return f"a.{alias}"

    cells = [total_of(field) for field in columns]
    sources = []
    if over_full:
        sources.append(f"(SELECT {_list(over_full)} FROM ({full_sql}) AS f) AS a")
    if over_base:
        sources.append(f"(SELECT {_list(over_base)} FROM ({query_sql}) AS q) AS b")
    names = [exp.to_identifier(f, quoted=True).sql(dialect="bigquery") for f in columns]
    totals = f"SELECT 1 AS `{TOTAL_MARKER}`, " + ", ".join(
        f"{c} AS {n}" for c, n in zip(cells, names, strict=True)
    )
    if sources:
        totals += " FROM " + " CROSS JOIN ".join(sources)
    detail = (
        f"SELECT 0 AS `{TOTAL_MARKER}`, " + ", ".join(f"d.{n}" for n in names) + f" FROM ({detail_sql}) AS d"
    )
    ordering = ", ".join(
        [f"`{TOTAL_MARKER}` DESC"]
        + [
            f"{exp.to_identifier(f, quoted=True).sql(dialect='bigquery')} {'DESC' if desc else 'ASC'}"
            for f, desc in order
        ]
    )
    sql = f"SELECT `{TOTAL_MARKER}`, {', '.join(names)} FROM ({detail} UNION ALL {totals}) AS t ORDER BY {ordering}"
    return sqlglot.parse_one(sql, read="bigquery").sql(dialect="bigquery", pretty=True)


def _list(aliased: dict[str, str]) -> str:
    return ", ".join(f"{expression} AS {alias}" for alias, expression in aliased.items())


def totals_spec(view: TableView) -> dict[str, Any] | None:
    """The marker column and, per column, what its totals cell holds (for the web app's labels)."""
    if not view.totals:
        return None
    kinds = {}
    for column in view.columns:
        kind = total_kind(column)
        kinds[column.field] = "ratio" if isinstance(kind, RatioTotal) else kind
    return {
        "marker": TOTAL_MARKER,
        "label": "Total",
        "over": "all rows" if view.top_n else "rows",
        "columns": kinds,
    }
