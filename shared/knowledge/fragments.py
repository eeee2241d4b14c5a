"""SQL fragments of a knowledge file: parse, expand metric references, find their columns.

A fragment is one SQL expression (a metric's ``sql`` or ``filter``) whose columns are written
``table.column`` with the table's short name; a bare name is another metric of the file. Parsing is
sqlglot's BigQuery dialect, so what is checked is what the guard and the warehouse later read.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from shared.knowledge.model import Knowledge

__all__ = ["Expanded", "FragmentError", "expand_metric", "parse_fragment", "qualified_columns"]

MAX_DEPTH = 8
_STATEMENTS: dict[type[exp.Expr], str] = {
    exp.Query: "a SELECT", exp.Drop: "DROP", exp.Create: "CREATE", exp.Alter: "ALTER",
    exp.Insert: "INSERT", exp.Update: "UPDATE", exp.Delete: "DELETE", exp.Merge: "MERGE",
    exp.TruncateTable: "TRUNCATE", exp.Command: "a statement", exp.Set: "SET", exp.Use: "USE",
    exp.Transaction: "a transaction", exp.Commit: "COMMIT", exp.Rollback: "ROLLBACK",
    exp.Declare: "DECLARE", exp.Export: "EXPORT DATA", exp.LoadData: "LOAD DATA",
    exp.DDL: "a DDL statement", exp.DML: "a DML statement",
}  # fmt: skip


class FragmentError(ValueError):
    """A fragment that is not one safe SQL expression (the message says why)."""


@dataclass(frozen=True)
class Expanded:
    """A metric with the metrics it names written in: one expression and every filter it applies."""

    sql: str
    filters: tuple[str, ...]
    uses: tuple[str, ...]  # the metrics it named (transitively), in order


def parse_fragment(text: str) -> exp.Expr:
    """The expression ``text`` is; FragmentError for a statement, several statements or bad SQL."""
    try:
        parsed = [p for p in sqlglot.parse(text, read="bigquery") if p is not None]
    except SqlglotError as error:
        raise FragmentError(f"not valid SQL: {_first_line(str(error))}") from None
    if not parsed:
        raise FragmentError("the SQL is empty")
    for node in parsed:
        kind = next((label for cls, label in _STATEMENTS.items() if isinstance(node, cls)), None)
        if kind:
            raise FragmentError(f"{kind} is not allowed here: write one SQL expression")
    if len(parsed) > 1:
        raise FragmentError("write one SQL expression, not several statements")
    root = parsed[0]
    sub = root.find(exp.Query)
    if sub is not None:
        raise FragmentError("a subquery is not allowed here: write one SQL expression over table.column")
    return root


def qualified_columns(node: exp.Expr) -> tuple[list[tuple[str, str]], list[str]]:
    """(``(table, column)`` pairs, bare names) in order of appearance."""
    pairs: list[tuple[str, str]] = []
    bare: list[str] = []
    for col in node.find_all(exp.Column):
        if col.table:
            pair = (col.table, col.name)
            if pair not in pairs:
                pairs.append(pair)
        elif col.name not in bare:
            bare.append(col.name)
    return pairs, bare


def expand_metric(knowledge: Knowledge, name: str) -> Expanded:
    """``name``'s SQL with every metric it names written in as ``(its sql)``; filters inherited."""
    return _expand(knowledge, name, ())


def _expand(knowledge: Knowledge, name: str, seen: tuple[str, ...]) -> Expanded:
    metric = knowledge.metric(name)
    if metric is None:
        raise FragmentError(f"no metric named '{name}'")
    if name in seen:
        raise FragmentError("metrics name each other in a cycle: " + " → ".join([*seen, name]))
    if len(seen) >= MAX_DEPTH:
        raise FragmentError(f"metrics nest deeper than {MAX_DEPTH} levels")
    tree = parse_fragment(metric.sql)
    filters: list[str] = [metric.filter] if metric.filter else []
    uses: list[str] = []
    _, bare = qualified_columns(tree)
    unknown = [b for b in bare if knowledge.metric(b) is None]
    if unknown:
        raise FragmentError(
            f"'{unknown[0]}' is neither table.column nor a metric of this file; write columns as table.column"
        )
    replacements: dict[str, exp.Expr] = {}
    for ref in bare:
        inner = _expand(knowledge, ref, (*seen, name))
        replacements[ref] = exp.Paren(this=sqlglot.parse_one(inner.sql, read="bigquery"))
        uses.extend(u for u in (ref, *inner.uses) if u not in uses)
        filters.extend(f for f in inner.filters if f not in filters)

    def swap(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Column) and not node.table and node.name in replacements:
            return replacements[node.name].copy()
        return node

    sql = tree.transform(swap).sql(dialect="bigquery") if replacements else metric.sql.strip()
    return Expanded(sql, tuple(filters), tuple(uses))


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0][:200] if text.strip() else "parse error"
