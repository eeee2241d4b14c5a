"""Bytes a query would process, estimated the way BigQuery's on-demand pricing counts them.

BigQuery bills the full size of every column a query references in every table it reads: 8 bytes per INT64/FLOAT64/DATE/TIMESTAMP value, 1 per BOOL, 2 + UTF-8 length per STRING ...
``SELECT *`` references every column; ``COUNT(*)`` none. A WHERE filter on a table's partition
column prunes: only the share of rows it keeps is counted.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlglot import exp
from sqlglot.errors import OptimizeError, SqlglotError
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import Scope, traverse_scope

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


@dataclass
class TableRead:
    """How a query reads one table: the columns it references and its partition filters.

    ``partition_filters`` holds one condition on the partition column per place the table is read
    (columns unqualified), or None when some read has no such filter (the whole table is scanned).
    """

    columns: set[str] = field(default_factory=set)
    partition_filters: list[exp.Expr] | None = None


def analyze_reads(
    query: exp.Query, schema: Schema, project: str, partitioning: Mapping[TableKey, str] | None = None
) -> dict[TableKey, TableRead]:
    """The catalog tables ``query`` reads, keyed by (dataset, table), names lower-cased.

    Tables of another project are ignored. If sqlglot cannot resolve the columns, every column of
    every table the query names is counted, unfiltered (an over-estimate, like BigQuery's worst case).
    """
    # qualified against the tables the query names only, so the cost does not grow with the catalog
    named = {(t.db.lower(), t.name.lower()) for t in query.find_all(exp.Table) if t.db}
    datasets: dict[str, dict[str, dict[str, str]]] = {}
    for key in named & schema.keys():
        datasets.setdefault(key[0], {})[key[1]] = dict(schema[key])
    nested: dict[str, object] = {project: datasets}
    partitioning = partitioning or {}
    try:
        qualified = qualify(
            query.copy(), schema=nested, dialect="bigquery", catalog=project, validate_qualify_columns=True
        )
        reads: dict[TableKey, TableRead] = {}
        unfiltered: set[TableKey] = set()
        for scope in traverse_scope(qualified):
            for alias, source in scope.sources.items():
                if not isinstance(source, exp.Table) or (key := _key(source, project)) not in schema:
                    continue
                read = reads.setdefault(key, TableRead(partition_filters=[]))
                condition = _partition_filter(scope.expression, alias, partitioning.get(key))
                if condition is None:
                    unfiltered.add(key)
                elif read.partition_filters is not None:
                    read.partition_filters.append(condition)
            for column in scope.columns:
                owner = scope.sources.get(column.table)
                if isinstance(owner, exp.Table) and (key := _key(owner, project)) in reads:
                    reads[key].columns.add(column.name.lower())
            for alias in _whole_rows(scope):
                owner = scope.sources.get(alias)
                if isinstance(owner, exp.Table) and (key := _key(owner, project)) in reads:
                    reads[key].columns.update(schema[key])
        for key in unfiltered:
            reads[key].partition_filters = None
        return reads
    except (OptimizeError, SqlglotError):
        return {
            key: TableRead(columns=set(schema[key]))
            for table in query.find_all(exp.Table)
            if (key := _key(table, project)) in schema
        }


def _whole_rows(scope: Scope) -> set[str]:
    """Aliases of sources whose every column ``scope`` may return without naming them: a row used
    as a value (``SELECT t``, ``TO_JSON_STRING(t)``), a star sqlglot left unexpanded (struct ``.*``),
    ``COLUMNS(...)``, or a column sqlglot could not place (all sources then)."""
    everything = set(scope.sources)
    whole: set[str] = set()
    for node in scope.find_all(exp.Columns, exp.Star, exp.Column, exp.TableColumn):
        if isinstance(node, exp.Columns):
            return everything
        if isinstance(node, exp.Star):
            if not isinstance(node.parent, exp.AggFunc | exp.Anonymous):  # COUNT(*) reads nothing
                return everything
        elif isinstance(node, exp.TableColumn):
            whole.update({node.name} & everything or everything)
        elif isinstance(node, exp.Column) and node.is_star:
            whole.update({node.table} & everything or everything)
        elif isinstance(node, exp.Column) and node.table and node.table not in scope.sources:
            whole.update(everything)
    return whole


def _partition_filter(select: exp.Expr, alias: str, column: str | None) -> exp.Expr | None:
    """The WHERE conjuncts of ``select`` that only test ``alias.column``, unqualified, ANDed."""
    where = select.args.get("where") if column and isinstance(select, exp.Select) else None
    if where is None:
        return None
    kept = []
    for conjunct in where.this.flatten() if isinstance(where.this, exp.And) else [where.this]:
        columns = list(conjunct.find_all(exp.Column))
        if (
            columns
            and all(c.table == alias and c.name.lower() == column for c in columns)
            and not conjunct.find(exp.Query)
        ):
            kept.append(conjunct.copy())
    if not kept:
        return None
    condition = exp.and_(*kept) if len(kept) > 1 else kept[0]
    for col in condition.find_all(exp.Column):
        col.set("table", None)
    return condition


def _key(table: exp.Table, project: str) -> TableKey:
    if table.catalog and table.catalog.lower() != project.lower():
        return ("", "")
    return (table.db.lower(), table.name.lower())


def estimate_bytes(
    reads: Mapping[TableKey, TableRead],
    column_bytes: Mapping[TableKey, Mapping[str, int]],
    kept_share: Mapping[TableKey, float] | None = None,
) -> int:
    """Stored size of the referenced columns, times the share of each table's rows its partition
    filters keep (1.0 when unfiltered)."""
    kept_share = kept_share or {}
    total = 0.0
    for table, read in reads.items():
        size = sum(column_bytes.get(table, {}).get(column, 0) for column in read.columns)
        total += size * kept_share.get(table, 1.0)
    return math.ceil(total)
