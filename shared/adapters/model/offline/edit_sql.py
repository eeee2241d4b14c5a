"""SQL surgery for follow-up edits (sqlglot): the base table, adding a condition, removing one."""

from __future__ import annotations

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from shared.adapters.model.offline.catalog_match import Catalog


def _outer_select(tree: exp.Expr) -> exp.Select | None:
    return tree if isinstance(tree, exp.Select) else tree.find(exp.Select)


def _tables_of(select: exp.Select) -> dict[str, str]:
    """Fully qualified table name (lower-case) → alias, for the outer SELECT's FROM and JOINs."""
    out: dict[str, str] = {}
    sources = [select.args.get("from_") or select.args.get("from"), *(select.args.get("joins") or [])]
    for src in sources:
        t = src.this if src is not None else None
        if isinstance(t, exp.Table):
            name = ".".join(p for p in (t.catalog, t.db, t.name) if p).lower()
            out[name] = t.alias_or_name
    return out


def _parse(sql: str) -> exp.Expr | None:
    try:
        return sqlglot.parse_one(sql, read="bigquery")
    except SqlglotError:
        return None


def base_table(sql: str) -> str | None:
    """The fully qualified table in the outer FROM of ``sql`` (lower-case)."""
    tree = _parse(sql)
    select = _outer_select(tree) if tree is not None else None
    tables = _tables_of(select) if select is not None else {}
    return next(iter(tables), None)


def is_aggregated(sql: str) -> bool:
    """Whether the outer SELECT groups or aggregates (one row per category, not per record)."""
    tree = _parse(sql)
    select = _outer_select(tree) if tree is not None else None
    if select is None:
        return True
    return bool(select.args.get("group")) or any(
        isinstance(e, exp.AggFunc) for col in select.expressions for e in col.walk()
    )


def add_condition(sql: str, catalog: Catalog, table: str, condition: str) -> str | None:
    """``sql`` with ``condition`` (``{a}`` = alias of ``table``) ANDed in, joining ``table`` if needed."""
    tree = _parse(sql)
    select = _outer_select(tree) if tree is not None else None
    if tree is None or select is None:
        return None
    tables = _tables_of(select)
    known = {n.lower(): n for n in catalog.tables}
    alias = tables.get(table.lower())
    if alias is None:
        base = next(iter(tables), None)
        path = catalog.path(known.get(base or "", base or ""), table, max_hops=1) if base else None
        if not path:
            return None
        j = path[0]
        alias = "j_" + table.rsplit(".", 1)[-1].lower()
        select.join(
            f"`{j.to_table}` AS {alias}",
            on=f"{alias}.{j.to_column} = {tables[base]}.{j.from_column}",  # type: ignore[index]
            dialect="bigquery",
            copy=False,
        )
    select.where(condition.format(a=alias), append=True, dialect="bigquery", copy=False)
    return tree.sql(dialect="bigquery", pretty=True) + "\n"


def _uses(node: exp.Expr, names: set[str]) -> bool:
    return any(p.name.lower() in names for p in node.find_all(exp.Parameter))


def remove_conditions(sql: str, parameters: set[str]) -> str | None:
    """``sql`` without the WHERE conditions that bind any of ``parameters`` (names without ``@``).

    None when nothing was removed (or the SQL does not parse). A filter join added with the
    condition stays: it joins a many-to-one key and keeps the rows as they were.
    """
    tree = _parse(sql)
    select = _outer_select(tree) if tree is not None else None
    where = select.args.get("where") if select is not None else None
    if tree is None or select is None or where is None:
        return None
    names = {p.lower() for p in parameters}

    def conjuncts(node: exp.Expr) -> list[exp.Expr]:
        if isinstance(node, exp.And):
            return [*conjuncts(node.left), *conjuncts(node.right)]
        if isinstance(node, exp.Paren) and isinstance(node.this, exp.And):
            return conjuncts(node.this)
        return [node]

    parts = conjuncts(where.this)
    kept = [c for c in parts if not _uses(c, names)]
    if len(kept) == len(parts):
        return None
    if kept:
        select.set("where", exp.Where(this=exp.and_(*kept)))
    else:
        select.set("where", None)
    return tree.sql(dialect="bigquery", pretty=True) + "\n"
