"""Cross-filters: typed query-string filters applied to every query that outputs the field.

``filter.<field>=<value>`` (or ``filter[<field>]=<value>``) keeps rows whose ``<field>``, as text, equals the value (a clicked bar,
slice or legend entry); ``range.<field>=<start>..<end>`` keeps rows whose ``<field>`` falls in a
date range (a time brush). The browser only ever names a field and a value: the SQL is built here
with sqlglot and every value is a bound query parameter. A query shares a field when its outer
SELECT names it; other queries (and the views over them) are left unfiltered.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from shared.adapters.warehouse.port import QueryParam
from shared.errors import ValidationFailed

__all__ = ["CrossFilter", "filter_queries", "output_columns", "parse_filters"]

FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
MAX_FILTERS = 8
MAX_VALUE_CHARS = 1000
_PREFIXES = ("filter.", "range.")


@dataclass(frozen=True)
class CrossFilter:
    """One filter: equality on ``value`` (text), or an inclusive date range ``start``..``end``."""

    field: str
    value: str | None = None
    start: date | None = None
    end: date | None = None


def parse_filters(raw: Mapping[str, str]) -> tuple[CrossFilter, ...]:
    """The cross-filters in a query string; :class:`ValidationFailed` listing every bad one."""
    found: list[CrossFilter] = []
    problems: list[dict[str, Any]] = []
    for key, value in sorted(raw.items()):
        prefix = next((p for p in _PREFIXES if key.startswith(p) or key.startswith(f"{p[:-1]}[")), None)
        if prefix is None:
            continue
        name = key[len(prefix) :]
        if key.endswith("]") and "[" in key:
            prefix, name = f"{key.split('[', 1)[0]}.", key.split("[", 1)[1][:-1]
        try:
            found.append(_one(prefix, name, value))
        except ValueError as error:
            problems.append({"path": key, "line": None, "column": None, "message": str(error)})
    if len(found) > MAX_FILTERS:
        problems.append(
            {"path": "filter", "line": None, "column": None, "message": f"at most {MAX_FILTERS} filters"}
        )
    if problems:
        raise ValidationFailed("; ".join(f"{p['path']}: {p['message']}" for p in problems), details=problems)
    return tuple(found)


def _one(prefix: str, name: str, value: Any) -> CrossFilter:
    if not FIELD.match(name):
        raise ValueError("a field name is letters, digits and '_'")
    if not isinstance(value, str) or len(value) > MAX_VALUE_CHARS:
        raise ValueError(f"expected one text value of at most {MAX_VALUE_CHARS} characters")
    if prefix == "filter.":
        return CrossFilter(name, value=value)
    start_text, sep, end_text = value.partition("..")
    if not sep:
        raise ValueError(f"'{value}' is not a range like 2024-01-01..2024-03-31")
    try:
        start, end = date.fromisoformat(start_text.strip()), date.fromisoformat(end_text.strip())
    except ValueError:
        raise ValueError(f"'{value}' is not a range of dates like 2024-01-01..2024-03-31") from None
    if start > end:
        raise ValueError(f"start {start} is after end {end}")
    return CrossFilter(name, start=start, end=end)


@cache
def output_columns(sql: str) -> frozenset[str]:
    """The column names a query's outer SELECT names (``SELECT *`` names none)."""
    import sqlglot
    from sqlglot import exp

    try:
        tree = sqlglot.parse_one(sql, read="bigquery")
    except sqlglot.errors.ParseError:
        return frozenset()
    if not isinstance(tree, exp.Query):
        return frozenset()
    return frozenset(name for name in tree.named_selects if name and name != "*")


def filter_queries(
    queries: Mapping[str, Mapping[str, Any]], filters: tuple[CrossFilter, ...]
) -> tuple[dict[str, dict[str, Any]], tuple[QueryParam, ...], dict[str, list[str]]]:
    """Queries with the filters that apply to each, their bound parameters, and which fields applied."""
    import sqlglot  # here, not at import: a request without filters parses no SQL
    from sqlglot import exp

    params: list[QueryParam] = []
    conditions: list[tuple[CrossFilter, exp.Expr, tuple[str, ...]]] = []
    for i, f in enumerate(filters):
        column = exp.column(f.field, quoted=True)
        if f.value is not None:
            name = f"xfilter_{i}"
            params.append(QueryParam(name, "STRING", f.value))
            text = exp.Cast(this=column, to=exp.DataType.build("STRING"))
            conditions.append((f, exp.EQ(this=text, expression=exp.Parameter(this=exp.var(name))), (name,)))
        else:
            lo, hi = f"xfilter_{i}_start", f"xfilter_{i}_end"
            params += [QueryParam(lo, "DATE", f.start), QueryParam(hi, "DATE", f.end)]
            day = exp.Cast(this=column, to=exp.DataType.build("DATE"))
            between = exp.Between(
                this=day, low=exp.Parameter(this=exp.var(lo)), high=exp.Parameter(this=exp.var(hi))
            )
            conditions.append((f, between, (lo, hi)))
    out: dict[str, dict[str, Any]] = {}
    applied: dict[str, list[str]] = {}
    used: set[str] = set()
    for name, query in queries.items():
        sql = str(query["sql"]).strip().rstrip(";")
        columns = output_columns(sql)
        mine = [c for c in conditions if c[0].field in columns]
        if not mine:
            out[name] = dict(query)
            continue
        inner = sqlglot.parse_one(sql, read="bigquery")
        subquery = exp.Subquery(this=inner, alias=exp.TableAlias(this=exp.to_identifier("xf")))
        where = exp.and_(*(cond.copy() for _, cond, _ in mine))
        select = exp.select(exp.Star()).from_(subquery).where(where)
        out[name] = {**query, "sql": select.sql(dialect="bigquery", pretty=True)}
        applied[name] = [f.field for f, _, _ in mine]
        used.update(n for _, _, names in mine for n in names)
    return out, tuple(p for p in params if p.name in used), applied
