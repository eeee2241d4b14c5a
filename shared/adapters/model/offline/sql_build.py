"""Write BigQuery SQL for one planned query: measures, groupings, joins, date range and value filters.

The SQL names every column it reads (never ``SELECT *``), joins along many-to-one keys only (no
fan-out), binds dates and filter values as ``@name`` parameters, and filters the base table's
date column so partitioned tables are pruned.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from shared.adapters.model.offline.catalog_match import Catalog, Dimension, Join, Measure
from shared.adapters.model.offline.knowledge_terms import measure_sql as defined_sql
from shared.adapters.model.offline.knowledge_terms import where_sql as defined_where

GRAIN_UNITS = {"day": "DAY", "week": "WEEK", "month": "MONTH", "quarter": "QUARTER", "year": "YEAR"}
# a grain within the year, for a period comparison drawn as one series per year ("2023 vs 2024 by month")
OF_YEAR = {"day": "DAYOFYEAR", "week": "ISOWEEK", "month": "MONTH", "quarter": "QUARTER"}
PERIOD_PARAM = "period"  # a date_range parameter: binds @period_start and @period_end


@dataclass(frozen=True)
class ValueFilter:
    """``table.column = @param`` (default ``values[0]``), or ``IN (...)`` when several values match."""

    table: str
    column: str
    param: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class ConditionFilter:
    """A comparison on ``table.column``: ``condition`` with ``{ref}`` for the column reference."""

    table: str
    column: str
    condition: str
    text: str  # in words, for titles and replies


def string_literal(value: str) -> str:
    """A BigQuery string literal (values come from the warehouse; quotes are escaped)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


@dataclass(frozen=True)
class QuerySpec:
    name: str
    base: str
    measures: tuple[Measure, ...]
    dims: tuple[Dimension, ...] = ()
    grain: str | None = None
    period: bool = False
    filters: tuple[ValueFilter, ...] = field(default_factory=tuple)
    conditions: tuple[ConditionFilter, ...] = ()
    years: tuple[int, ...] = ()  # a period comparison: only these years of the time column
    year_series: bool = False  # one group (series) per year; a grain is then the grain of the year


def _aliases(tables: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name in tables:
        short = name.rsplit(".", 1)[-1].lower()
        base = "".join(w[0] for w in short.split("_") if w) or "t"
        alias, n = base, 2
        while alias in out.values() or alias in ("as", "by", "on", "in", "is", "or", "if", "to", "at"):
            alias, n = f"{base}{n}", n + 1
        out[name] = alias
    return out


def joins_for(spec: QuerySpec, catalog: Catalog) -> list[Join]:
    """The joins the query needs to reach its dimension and filter tables, in order, once each."""
    joins: list[Join] = []
    defined = [t for m in spec.measures for t in m.tables]
    tables = defined + [d.table for d in spec.dims] + [f.table for f in spec.filters]
    for target in tables + [c.table for c in spec.conditions]:
        for j in catalog.path(spec.base, target) or []:
            if j not in joins:
                joins.append(j)
    return joins


def measure_sql(m: Measure, alias: str) -> str:
    if m.kind == "derived" and m.expr:
        return f"{m.expr.replace('{t}', alias)} AS {m.alias}"
    col = f"{alias}.{m.column}" if m.column else ""
    expr = {
        "count_rows": "COUNT(*)",
        "count_distinct": f"COUNT(DISTINCT {col})",
        "sum": f"SUM({col})",
        "avg": f"AVG({col})",
        "min": f"MIN({col})",
        "max": f"MAX({col})",
        "median": f"APPROX_QUANTILES({col}, 2)[OFFSET(1)]",
    }[m.kind]
    if m.scale != 1:
        expr = f"{expr} / {m.scale}"
    return f"{expr} AS {m.alias}"


def build_sql(spec: QuerySpec, catalog: Catalog) -> str:
    """The SQL text of ``spec``; stable for the same inputs (the dry-run rule compares exact text)."""
    joins = joins_for(spec, catalog)
    alias = _aliases([spec.base] + [j.to_table for j in joins])
    a = alias[spec.base]
    base = catalog.table(spec.base)
    select: list[str] = []
    group: list[str] = []
    time_col = next((m.time_column for m in spec.measures if m.time_column), None) or base.time_column
    if spec.grain and time_col:
        if spec.year_series and spec.grain in OF_YEAR:
            select.append(f"EXTRACT({OF_YEAR[spec.grain]} FROM DATE({a}.{time_col})) AS {spec.grain}")
        else:
            select.append(f"DATE_TRUNC(DATE({a}.{time_col}), {GRAIN_UNITS[spec.grain]}) AS {spec.grain}")
        group.append(spec.grain)
    for d in spec.dims:
        select.append(f"{alias[d.table]}.{d.column} AS {d.alias}")
        group.append(d.alias)
    if spec.year_series and time_col:
        select.append(f"EXTRACT(YEAR FROM DATE({a}.{time_col})) AS year")
        group.append("year")
    select.extend(
        measure_sql(m, alias[m.table]) if m.sql is None else defined_sql(m, alias) for m in spec.measures
    )
    lines = ["SELECT " + ", ".join(select), f"FROM `{spec.base}` AS {a}"]
    for j in joins:
        lines.append(
            f"JOIN `{j.to_table}` AS {alias[j.to_table]} ON {alias[j.to_table]}.{j.to_column} = "
            f"{alias[j.from_table]}.{j.from_column}"
        )
    where: list[str] = []
    if spec.period and time_col:
        where.append(f"DATE({a}.{time_col}) BETWEEN @{PERIOD_PARAM}_start AND @{PERIOD_PARAM}_end")
    for c in spec.conditions:
        where.append(c.condition.replace("{ref}", f"{alias[c.table]}.{c.column}"))
    if spec.years and time_col:
        where.append(f"EXTRACT(YEAR FROM DATE({a}.{time_col})) IN ({', '.join(str(y) for y in spec.years)})")
    for f in spec.filters:
        if len(f.values) == 1:
            where.append(f"{alias[f.table]}.{f.column} = @{f.param}")
        else:
            where.append(f"{alias[f.table]}.{f.column} IN ({', '.join(string_literal(v) for v in f.values)})")
    where.extend(defined_where(spec.measures, alias))
    for d in spec.dims:
        where.append(f"{alias[d.table]}.{d.column} IS NOT NULL")
    if where:
        lines.append("WHERE " + "\n  AND ".join(where))
    if group:
        lines.append("GROUP BY " + ", ".join(group))
    if spec.grain and time_col:
        lines.append(f"ORDER BY {spec.grain}" + (", year" if spec.year_series else ""))
    elif spec.dims and spec.measures:
        lines.append(f"ORDER BY {spec.measures[0].alias} DESC" + (", year" if spec.year_series else ""))
    elif spec.year_series:
        lines.append("ORDER BY year")
    return "\n".join(lines) + "\n"
