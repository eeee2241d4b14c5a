"""BigQuery Standard SQL → DuckDB: parsing, transpiling and type names.

sqlglot does the transpiling. Fixes for what it misses live here, each with a note:

* ``DATE_SUB/DATE_ADD(<date>, INTERVAL n unit)`` and ``DATE_TRUNC(<date>, MONTH)`` come out of DuckDB
  as TIMESTAMPs; BigQuery returns DATEs, so the result is cast back to DATE when the operand is
  visibly a date (``DATE(ts)``, ``CAST(x AS DATE)``, ``CURRENT_DATE()``, another date function).
  A bare DATE column operand is not recognised (the adapter does not type columns here).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from shared.errors import UnsafeSql, WarehouseError


@dataclass(frozen=True)
class Transpiled:
    """A parsed BigQuery query and its DuckDB text; ``parameters`` are the ``@names`` it uses."""

    expression: exp.Query
    duckdb_sql: str
    parameters: tuple[str, ...]


def parse_bigquery(sql: str) -> exp.Query:
    """Parse one BigQuery SELECT; WarehouseError on bad syntax, UnsafeSql for anything else."""
    try:
        statements = [s for s in sqlglot.parse(sql, read="bigquery") if s is not None]
    except ParseError as error:
        first = error.errors[0] if error.errors else {}
        where = f" at line {first.get('line')}, column {first.get('col')}" if first else ""
        description = first.get("description") or str(error).splitlines()[0]
        raise WarehouseError(f"Syntax error{where}: {description}") from None
    if len(statements) != 1:
        raise UnsafeSql(f"Expected exactly one SQL statement, got {len(statements)}")
    statement = statements[0]
    if not isinstance(statement, exp.Query):
        raise UnsafeSql(f"Only SELECT queries can run, got {statement.key.upper()}")
    return statement


def _date_arithmetic_as_date(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.DateSub | exp.DateAdd | exp.DateTrunc) and _is_date(node.this):
        return exp.cast(node, exp.DataType.Type.DATE)
    return node


_DATE_FUNCTIONS = (exp.CurrentDate, exp.Date, exp.DateFromParts, exp.DateTrunc, exp.DateSub, exp.DateAdd)


def _is_date(node: exp.Expression) -> bool:
    if isinstance(node, _DATE_FUNCTIONS):
        return True
    return isinstance(node, exp.Cast) and node.to.is_type(exp.DataType.Type.DATE)


def transpile(sql: str) -> Transpiled:
    """Parse BigQuery ``sql`` and render it for DuckDB (``@name`` becomes ``$name``)."""
    return transpiled_from(parse_bigquery(sql))


def transpiled_from(expression: exp.Query) -> Transpiled:
    """A parsed BigQuery query (e.g. the guard's tree, only read here) rendered for DuckDB."""
    return Transpiled(
        expression=expression, duckdb_sql=to_duckdb(expression), parameters=parameters_of(expression)
    )


def parameters_of(expression: exp.Expr) -> tuple[str, ...]:
    """The ``@name`` query parameters ``expression`` uses, in order of first use."""
    return tuple(dict.fromkeys(p.name for p in expression.find_all(exp.Parameter)))


def to_duckdb(expression: exp.Expr) -> str:
    """DuckDB text for a parsed BigQuery expression, with this module's fixes applied."""
    fixed = expression.copy().transform(_date_arithmetic_as_date)
    # sqlglot only warns about time-zone nuances; the adapter runs DuckDB in UTC like BigQuery.
    return fixed.sql(dialect="duckdb", unsupported_level=sqlglot.ErrorLevel.IGNORE)


_SIMPLE_TYPES = {
    "VARCHAR": "STRING",
    "UUID": "STRING",
    "BIGINT": "INT64",
    "INTEGER": "INT64",
    "SMALLINT": "INT64",
    "TINYINT": "INT64",
    "UBIGINT": "INT64",
    "UINTEGER": "INT64",
    "USMALLINT": "INT64",
    "UTINYINT": "INT64",
    "HUGEINT": "INT64",
    "UHUGEINT": "INT64",
    "DOUBLE": "FLOAT64",
    "FLOAT": "FLOAT64",
    "BOOLEAN": "BOOL",
    "DATE": "DATE",
    "TIMESTAMP": "TIMESTAMP",
    "TIMESTAMP WITH TIME ZONE": "TIMESTAMP",
    "TIMESTAMP_S": "TIMESTAMP",
    "TIMESTAMP_MS": "TIMESTAMP",
    "TIMESTAMP_NS": "TIMESTAMP",
    "TIME": "TIME",
    "TIME WITH TIME ZONE": "TIME",
    "INTERVAL": "INTERVAL",
    "BLOB": "BYTES",
    "JSON": "JSON",
}
_DECIMAL = re.compile(r"(?:DECIMAL|NUMERIC)\((\d+),\s*(\d+)\)")


def bigquery_type(duckdb_type: str) -> str:
    """The BigQuery type name for a DuckDB type name (``VARCHAR`` → ``STRING`` ...)."""
    name = duckdb_type.strip().upper()
    if name.endswith("[]"):
        return f"ARRAY<{bigquery_type(name[:-2])}>"
    if name.startswith(("STRUCT", "UNION")):
        return "STRUCT"
    if name.startswith("MAP"):
        return "JSON"
    if name.startswith(("DECIMAL", "NUMERIC")):
        match = _DECIMAL.match(name)
        if match and (int(match[2]) > 9 or int(match[1]) - int(match[2]) > 29):
            return "BIGNUMERIC"
        return "NUMERIC"
    return _SIMPLE_TYPES.get(name, name)
