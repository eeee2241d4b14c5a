"""Read-only guard for BigQuery SQL: one SELECT over allowed, fully qualified tables.

The text is parsed once with sqlglot (BigQuery dialect); every decision is made on the parse tree,
so comments, quoting and backtick names with dots cannot smuggle a second statement through.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import OptimizeError, ParseError, SqlglotError, TokenError
from sqlglot.optimizer.scope import build_scope
from sqlglot.tokens import TokenType

from shared.errors import UnsafeSql

__all__ = ["GuardedSql", "guard_select"]

MAX_SQL_CHARS = 100_000

_READ_ONLY_ROOTS = (exp.Select, exp.SetOperation, exp.Subquery)
_FORBIDDEN_NODES: dict[type[exp.Expr], str] = {
    exp.Insert: "INSERT",
    exp.Update: "UPDATE",
    exp.Delete: "DELETE",
    exp.Merge: "MERGE",
    exp.TruncateTable: "TRUNCATE",
    exp.Create: "CREATE",
    exp.Drop: "DROP",
    exp.Alter: "ALTER",
    exp.Command: "a scripting or unsupported statement",
    exp.Set: "SET",
    exp.Declare: "DECLARE",
    exp.Export: "EXPORT DATA",
    exp.LoadData: "LOAD DATA",
    exp.Into: "SELECT INTO",
    exp.Transaction: "a transaction",
    exp.Commit: "COMMIT",
    exp.Rollback: "ROLLBACK",
    exp.Use: "USE",
    exp.Lock: "a locking clause",
}
# Scalar functions that reach outside the connection's own tables.
_FORBIDDEN_FUNCTIONS = frozenset({"EXTERNAL_QUERY", "EXTERNAL_OBJECT_TRANSFORM", "VECTOR_SEARCH", "APPENDS"})
_METADATA_PARTS = frozenset({"INFORMATION_SCHEMA", "__TABLES__", "__TABLES_SUMMARY__"})


@dataclass(frozen=True)
class GuardedSql:
    """A SELECT that passed the guard, with what it reads and what it returns."""

    expression: exp.Expr
    tables: tuple[str, ...]
    parameters: tuple[str, ...]
    output_columns: tuple[str, ...] | None
    parameter_positions: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    """1-based (line, column) of the first use of each parameter."""


def guard_select(
    sql: str,
    *,
    allowed_tables: Callable[[str], bool] | None = None,
    default_project: str | None = None,
) -> GuardedSql:
    """Parse ``sql`` and return it as :class:`GuardedSql`, or raise :class:`UnsafeSql`.

    ``allowed_tables`` receives each fully qualified ``project.dataset.table`` name; when it is
    ``None`` every ordinary table is allowed but metadata views never are. ``dataset.table`` names
    are completed with ``default_project``; bare table names are always rejected.
    """
    problems = _Problems(sql if isinstance(sql, str) else "")
    if not isinstance(sql, str) or not sql.strip():
        problems.add("SQL is empty")
    elif len(sql) > MAX_SQL_CHARS:
        problems.add(f"SQL is longer than {MAX_SQL_CHARS} characters")
    problems.raise_if_any()
    statements = _parse(sql, problems)
    if len(statements) != 1:
        problems.add(
            f"expected exactly one statement, found {len(statements)}",
            statements[1] if len(statements) > 1 else None,
        )
        problems.raise_if_any()
    root = statements[0]
    if not isinstance(root, _READ_ONLY_ROOTS):
        problems.add(f"only a SELECT is allowed, not {_describe(root, sql)}", root)
        problems.raise_if_any()

    cte_references = _cte_references(root)
    tables: list[str] = []
    parameters: dict[str, tuple[int, int]] = {}
    for node in root.walk():
        kind = next((label for cls, label in _FORBIDDEN_NODES.items() if isinstance(node, cls)), None)
        if kind:
            problems.add(f"{kind} is not allowed; only a read-only SELECT", node)
        elif isinstance(node, exp.Table):
            name = _check_table(node, cte_references, allowed_tables, default_project, problems)
            if name and name not in tables:
                tables.append(name)
        elif isinstance(node, exp.Parameter):
            _check_parameter(node, parameters, problems)
        elif isinstance(node, exp.Func):
            _check_function(node, problems)
        elif isinstance(node, exp.Join):
            _check_join(node, problems)
    problems.raise_if_any()
    if parameters:
        _locate_parameters(sql, parameters)
        parameters = dict(sorted(parameters.items(), key=lambda item: item[1]))  # order of use
    return GuardedSql(root, tuple(sorted(tables)), tuple(parameters), _output_columns(root), parameters)


def _parse(sql: str, problems: _Problems) -> list[exp.Expr]:
    sqlglot_logger = logging.getLogger("sqlglot")
    previous = sqlglot_logger.level
    sqlglot_logger.setLevel(logging.ERROR)  # silence "falling back to Command" chatter
    try:
        parsed = sqlglot.parse(sql, read="bigquery")
    except ParseError as error:
        first = error.errors[0] if error.errors else {}
        problems.append(
            {
                "path": "sql",
                "line": first.get("line") or 1,
                "column": first.get("col") or 1,
                "message": f"SQL does not parse: {first.get('description') or 'invalid syntax'}",
            }
        )
        parsed = []
    except (TokenError, RecursionError, ValueError) as error:
        problems.add(f"SQL does not parse: {error}")
        parsed = []
    finally:
        sqlglot_logger.setLevel(previous)
    problems.raise_if_any()
    return [statement for statement in parsed if statement is not None]


def _cte_references(root: exp.Expr) -> set[int]:
    """Ids of the Table nodes that name a CTE visible where they stand, by sqlglot's scope analysis.

    A bare name is a CTE only inside the scope its WITH covers; the same name anywhere else is a
    table (and must pass the allow-list). If the scopes cannot be built, no name is a CTE.
    """
    try:
        top = build_scope(root)
    except (OptimizeError, SqlglotError, RecursionError):
        return set()
    found: set[int] = set()
    for scope in top.traverse() if top else ():
        for table in scope.tables:
            if not table.args.get("db") and table.name in scope.cte_sources:
                found.add(id(table))
    return found


_GENERATORS = (exp.GenerateSeries, exp.GenerateDateArray, exp.GenerateTimestampArray, exp.Repeat)
MAX_JOINED_ARRAY = 100


def _check_join(node: exp.Join, problems: _Problems) -> None:
    """Refuse joins that are cross joins: a cross join multiplies rows without bound, and BigQuery's
    byte-based cap does not see it (COUNT(*) over events x events x events scans zero bytes).

    A join needs USING, or an ON comparing columns of two different sources
    (``ON a.id = a.id``, ``ON TRUE`` and ``ON 1 = 1`` are cross joins in disguise). ``UNNEST`` may
    expand the joined rows' own arrays (it names their columns) or a short literal array, never a
    generated one. An aggregate without GROUP BY is one row and may be joined freely.
    """
    if node.args.get("using"):
        return
    joined = node.this
    if isinstance(joined, exp.Unnest):
        if _row_array(joined):
            return
        problems.add(
            "UNNEST in a join must expand an array column of the joined rows or a short literal array",
            node,
        )
        return
    condition = node.args.get("on")
    if condition is not None and _relates_two_sources(condition):
        return
    inner = joined.this if isinstance(joined, exp.Subquery) else None
    if isinstance(inner, exp.Select) and not inner.args.get("group") and inner.find(exp.AggFunc):
        return  # an aggregate without GROUP BY is exactly one row
    problems.add(
        "a join needs USING or an ON condition comparing columns of both sides:"
        " a cross join multiplies rows without bound",
        node,
    )


def _row_array(unnest: exp.Unnest) -> bool:
    if any(expression.find(*_GENERATORS) for expression in unnest.expressions):
        return False
    if all(isinstance(e, exp.Array) and len(e.expressions) <= MAX_JOINED_ARRAY for e in unnest.expressions):
        return not any(e.find(exp.Query) for e in unnest.expressions)
    return all(e.find(exp.Column) is not None and e.find(exp.Query) is None for e in unnest.expressions)


_JOIN_COMPARISONS = (exp.EQ, exp.NullSafeEQ, exp.GT, exp.GTE, exp.LT, exp.LTE)


def _relates_two_sources(condition: exp.Expr) -> bool:
    """True when a top-level conjunct of ``condition`` compares (``=``, ``<``, ``>=`` ...) different
    columns, not all of one source: a real join condition, not a tautology (``<>`` is not one)."""
    conjuncts = condition.flatten() if isinstance(condition, exp.And) else [condition]
    for conjunct in conjuncts:
        while isinstance(conjunct, exp.Paren):
            conjunct = conjunct.this
        if not isinstance(conjunct, _JOIN_COMPARISONS):
            continue
        left = list(conjunct.this.find_all(exp.Column))
        right = list(conjunct.expression.find_all(exp.Column))
        if not left or not right:
            continue
        if {c.sql() for c in left} & {c.sql() for c in right}:
            continue  # the same column on both sides
        sources = {c.table.lower() for c in left}, {c.table.lower() for c in right}
        if "" in sources[0] or "" in sources[1] or not sources[0] & sources[1]:
            return True
    return False


def _check_table(
    table: exp.Table,
    cte_references: set[int],
    allowed_tables: Callable[[str], bool] | None,
    default_project: str | None,
    problems: _Problems,
) -> str | None:
    if not isinstance(table.this, exp.Identifier):
        function = table.this.sql("bigquery")[:60] if table.this else "?"
        problems.add(f"table function {function} is not allowed", table)
        return None
    parts = [piece for part in table.parts for piece in part.name.split(".")]
    if id(table) in cte_references and len(parts) == 1:
        return None
    name = ".".join(parts)
    if any("*" in part for part in parts):
        problems.add(f"wildcard table {name} is not allowed; name the table", table)
        return None
    is_metadata = any(part.upper() in _METADATA_PARTS or part.lower().startswith("region-") for part in parts)
    if not is_metadata:
        if len(parts) == 2 and default_project:
            parts = [default_project, *parts]
            name = ".".join(parts)
        if len(parts) != 3:
            problems.add(f"table {name} must be qualified as project.dataset.table", table)
            return None
    if allowed_tables is None:
        if is_metadata:
            problems.add(f"metadata view {name} is not allowed", table)
            return None
    elif not allowed_tables(name):
        problems.add(f"table {name} is not one of this connection's tables", table)
        return None
    return name


def _check_parameter(
    node: exp.Parameter, parameters: dict[str, tuple[int, int]], problems: _Problems
) -> None:
    if isinstance(node.parent, exp.Parameter):
        return
    if isinstance(node.this, exp.Parameter):
        problems.add("system variables (@@name) are not allowed", node)
        return
    name = node.name
    if name and name not in parameters:
        parameters[name] = (1, 1)


def _locate_parameters(sql: str, parameters: dict[str, tuple[int, int]]) -> None:
    """Fill in where each parameter is first used (the parse tree keeps no positions for them)."""
    tokens = Dialect.get_or_raise("bigquery").tokenize(sql)
    found: set[str] = set()
    for at, token in itertools.pairwise(tokens):
        if at.token_type == TokenType.PARAMETER and token.text in parameters and token.text not in found:
            found.add(token.text)
            line_start = sql.rfind("\n", 0, at.start) + 1
            parameters[token.text] = (sql.count("\n", 0, at.start) + 1, at.start - line_start + 1)


def _check_function(node: exp.Func, problems: _Problems) -> None:
    """Only BigQuery's own functions: sqlglot knows them by class; a function it leaves anonymous is
    user-defined or another engine's (``current_setting``) unless listed below. Qualified names are
    user-defined functions (``ds.fn``, ``proj.ds.fn``) in every quoting form (`` `p.ds.fn` ``,
    `` `p`.ds.fn ``) and with ``SAFE.``; only BigQuery's namespaced built-ins are let through."""
    name = node.name.upper() if isinstance(node, exp.Anonymous) else node.sql_name()
    if name in _FORBIDDEN_FUNCTIONS:
        problems.add(f"{name} is not allowed", node)
        return
    dot = node.parent if isinstance(node.parent, exp.Dot) and node.parent.expression is node else None
    if dot is None and not isinstance(node, exp.Anonymous):
        return
    parts = [*(_qualifier(dot.this) if dot else []), *node.name.split(".")]
    parts = [part.upper() for part in parts if part]
    if len(parts) > 1 and parts[0] == "SAFE":
        parts = parts[1:]
    full = ".".join(parts)
    if full in _NAMESPACED_BUILTINS or (len(parts) == 1 and _anonymous_builtin(parts[0])):
        return
    shown = (dot or node).sql("bigquery")
    problems.add(
        f"function {shown[:60]} is not allowed: only BigQuery's built-in functions"
        " (no user-defined or other projects' functions)",
        node,
    )


def _qualifier(node: exp.Expr) -> list[str]:
    return [part for part in node.sql("bigquery").replace("`", "").split(".") if part]


# BigQuery built-ins that sqlglot parses as anonymous functions.
_ANONYMOUS_BUILTINS = frozenset(
    {"DATE_BUCKET", "DATETIME_BUCKET", "TIMESTAMP_BUCKET", "IEEE_DIVIDE", "ERROR"}
)
_NAMESPACED_BUILTINS = frozenset(
    f"{namespace}.{name}"
    for namespace, names in {
        "NET": "HOST REG_DOMAIN PUBLIC_SUFFIX IP_FROM_STRING SAFE_IP_FROM_STRING IP_TO_STRING IP_NET_MASK"
        " IP_TRUNC IPV4_FROM_INT64 IPV4_TO_INT64",
        "HLL_COUNT": "INIT MERGE MERGE_PARTIAL EXTRACT",
    }.items()
    for name in names.split()
)


def _anonymous_builtin(name: str) -> bool:
    return name in _ANONYMOUS_BUILTINS or name.startswith("ST_")


def _output_columns(root: exp.Expr) -> tuple[str, ...] | None:
    while isinstance(root, (exp.SetOperation, exp.Subquery)):
        root = root.this
    if not isinstance(root, exp.Select) or root.args.get("kind"):
        return None
    names: list[str] = []
    for index, projection in enumerate(root.expressions):
        if isinstance(projection, exp.Star) or (isinstance(projection, exp.Column) and projection.is_star):
            return None
        named = isinstance(projection, (exp.Alias, exp.Column)) and projection.alias_or_name
        names.append(named or f"f{index}_")
    return tuple(names)


def _describe(node: exp.Expr, sql: str) -> str:
    label = _FORBIDDEN_NODES.get(type(node))
    if isinstance(node, exp.Command):
        return f"{node.name.upper()} (scripting or unsupported statement)"
    if label:
        return label
    tokens = Dialect.get_or_raise("bigquery").tokenize(sql)
    return tokens[0].text.upper() if tokens else type(node).__name__.upper()


def _position(node: exp.Expr | None, sql: str) -> tuple[int, int]:
    """1-based line and column where ``node`` starts (its first token carrying a position)."""
    if node is None:
        return 1, 1
    starts = [int(child.meta["start"]) for child in node.walk() if "start" in child.meta]
    if not starts or not sql:
        return 1, 1
    start = min(starts)
    if start > 0 and sql[start - 1] in "`'\"":
        start -= 1  # point at the opening quote of a quoted name
    line_start = sql.rfind("\n", 0, start) + 1
    return sql.count("\n", 0, start) + 1, start - line_start + 1


class _Problems(list[dict[str, Any]]):
    """Problems found in one SQL text, each located by line and column."""

    def __init__(self, sql: str) -> None:
        super().__init__()
        self.sql = sql

    def add(self, message: str, node: exp.Expr | None = None) -> None:
        line, column = _position(node, self.sql)
        self.append({"path": "sql", "line": line, "column": column, "message": message})

    def raise_if_any(self) -> None:
        if self:
            raise UnsafeSql("; ".join(problem["message"] for problem in self), details=list(self))
