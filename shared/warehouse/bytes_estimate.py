"""Bytes a query would process, estimated the way BigQuery's on-demand pricing counts them.

BigQuery bills the full size of every column a query references in every table it reads
(partition pruning aside): 8 bytes per INT64/FLOAT64/DATE/TIMESTAMP value, 1 per BOOL,
2 + UTF-8 length per STRING ... ``SELECT *`` references every column; ``COUNT(*)`` none.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlglot import exp
from sqlglot.errors import OptimizeError, SqlglotError
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import traverse_scope

TYPE_WIDTHS = {
    "INT64": 8,
    "FLOAT64": 8,
    "DATE": 8,
    "DATETIME": 8,
    "TIMESTAMP": 8,
    "TIME": 8,
    "BOOL": 1,
    "NUMERIC": 16,
    "BIGNUMERIC": 32,
    "INTERVAL": 16,
}
DEFAULT_WIDTH = 16
MEASURED_TYPES = frozenset({"STRING", "BYTES", "JSON"})  # variable width: 2 + length per value

# (dataset, table) -> column -> BigQuery type, names lower-cased
Schema = Mapping[tuple[str, str], Mapping[str, str]]
TableKey = tuple[str, str]


def fixed_width(bigquery_type: str) -> int | None:
    """Bytes per value for a fixed-width type; None when the width must be measured."""
    if bigquery_type in MEASURED_TYPES:
        return None
    return TYPE_WIDTHS.get(bigquery_type, DEFAULT_WIDTH)


def referenced_columns(query: exp.Query, schema: Schema, project: str) -> dict[TableKey, set[str]]:
    """Columns of each catalog table that ``query`` reads, keyed by (dataset, table), lower-cased.

    Tables of another project are ignored. If sqlglot cannot resolve the columns, every column of
    every table the query names is counted (an over-estimate, like BigQuery's worst case).
    """
    datasets: dict[str, dict[str, dict[str, str]]] = {}
    for (dataset, name), columns in schema.items():
        datasets.setdefault(dataset, {})[name] = dict(columns)
    nested: dict[str, object] = {project: datasets}
    try:
        qualified = qualify(
            query.copy(), schema=nested, dialect="bigquery", catalog=project, validate_qualify_columns=True
        )
        found: dict[TableKey, set[str]] = {}
        for scope in traverse_scope(qualified):
            for source_table in scope.tables:
                key = _key(source_table, project)
                if key in schema:
                    found.setdefault(key, set())
            for column in scope.columns:
                source = scope.sources.get(column.table)
                if isinstance(source, exp.Table) and (key := _key(source, project)) in schema:
                    found.setdefault(key, set()).add(column.name.lower())
        return found
    except (OptimizeError, SqlglotError):
        return {
            key: set(schema[key])
            for table in query.find_all(exp.Table)
            if (key := _key(table, project)) in schema
        }


def _key(table: exp.Table, project: str) -> TableKey:
    if table.catalog and table.catalog.lower() != project.lower():
        return ("", "")
    return (table.db.lower(), table.name.lower())


def estimate_bytes(
    referenced: Mapping[TableKey, set[str]], column_bytes: Mapping[TableKey, Mapping[str, int]]
) -> int:
    """Sum of the stored sizes of the referenced columns."""
    return sum(
        column_bytes.get(table, {}).get(column, 0)
        for table, columns in referenced.items()
        for column in columns
    )
