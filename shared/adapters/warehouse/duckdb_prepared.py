"""What the DuckDB adapter derives from a SQL text before running it, worked out once.

* per SQL text: the DuckDB rendering (from the guard's parse tree when the text is a
  :class:`~shared.adapters.warehouse.port.ParsedSql`, else parsed here) and whether it builds
  values whose size must be bounded;
* per SQL text and data version (held by the catalog of that version): the tables and columns it
  reads, checked against ``require_partition_filter``, with the counting query of each partition
  filter rendered;
* per table, filter and bound parameter values and data version: the share of rows a partition
  filter keeps.

So a dashboard's second miss does no sqlglot work: every memo is keyed by the text (and the
values), and the catalog's memos go with the catalog when the file changes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp

from shared.adapters.warehouse.bytes_estimate import Schema, TableKey, TableRead, analyze_reads
from shared.adapters.warehouse.dialect import Transpiled, parameters_of, to_duckdb, transpile, transpiled_from
from shared.adapters.warehouse.partition_rule import check_partition_filters
from shared.adapters.warehouse.port import ParsedSql, TableInfo
from shared.adapters.warehouse.size_bounds import builds_sized_values
from shared.bounded_cache import BoundedCache


@dataclass(frozen=True)
class PreparedText:
    """One SQL text, rendered for DuckDB."""

    transpiled: Transpiled
    sized: bool  # it builds arrays or strings whose size its arguments choose (check_sizes applies)
    names_tables: bool


@dataclass(frozen=True)
class PartitionCount:
    """The query counting a table's rows and the rows its partition filters keep."""

    table: TableKey
    sql: str
    parameters: tuple[str, ...]


@dataclass(frozen=True)
class PreparedReads:
    """What one SQL text reads in one data version of the catalog."""

    reads: dict[TableKey, TableRead]
    counts: tuple[PartitionCount, ...]


READS_KEPT = 1024  # SQL texts whose reads one data version remembers
SHARES_KEPT = 4096  # (table, filter, parameter values) shares one data version remembers
TEXTS_KEPT = 1024  # SQL texts rendered for DuckDB, per process


@dataclass
class VersionMemo:
    """The memos of one data version (held by its catalog, dropped with it)."""

    reads: BoundedCache[str, PreparedReads] = field(default_factory=lambda: BoundedCache(READS_KEPT))
    shares: BoundedCache[tuple[TableKey, str, str], float] = field(
        default_factory=lambda: BoundedCache(SHARES_KEPT)
    )


# Shared between calls and threads: the trees are only read (to_duckdb and analyze_reads copy).
_TEXTS: BoundedCache[str, PreparedText] = BoundedCache(TEXTS_KEPT)


def prepared_text(sql: str) -> PreparedText:
    """``sql`` rendered for DuckDB, once per text; the guard's tree is used when it comes along."""
    hit = _TEXTS.get(sql)
    if hit is not None:
        return hit
    tree = sql.tree if isinstance(sql, ParsedSql) else None
    done = transpiled_from(tree) if isinstance(tree, exp.Query) else transpile(sql)
    prepared = PreparedText(
        transpiled=done,
        sized=builds_sized_values(done.expression),
        names_tables=done.expression.find(exp.Table) is not None,
    )
    _TEXTS.put(str(sql), prepared)
    return prepared


def prepared_reads(
    memo: VersionMemo,
    sql: str,
    text: PreparedText,
    *,
    project: str,
    schema: Schema,
    partitioning: Mapping[TableKey, str],
    tables: Mapping[TableKey, TableInfo],
    relation: Callable[[TableKey], str],
) -> PreparedReads:
    """The tables ``sql`` reads in this data version; raises when a required partition filter is
    missing (refusals are not remembered: they are worked out again each time)."""
    hit = memo.reads.get(sql)
    if hit is not None:
        return hit
    reads = analyze_reads(text.transpiled.expression, schema, project, partitioning)
    check_partition_filters(project, reads, tables)
    counts = []
    for key, read in reads.items():
        if not read.partition_filters:
            continue
        filters = ", ".join(f"count(*) FILTER (WHERE {to_duckdb(f)})" for f in read.partition_filters)
        used = tuple(dict.fromkeys(n for f in read.partition_filters for n in parameters_of(f)))
        counts.append(PartitionCount(key, f"SELECT count(*), {filters} FROM {relation(key)}", used))
    prepared = PreparedReads(reads, tuple(counts))
    memo.reads.put(str(sql), prepared)
    return prepared


def partition_shares(
    memo: VersionMemo,
    counts: tuple[PartitionCount, ...],
    bound: Mapping[str, Any],
    run: Callable[[str, dict[str, Any] | None], tuple[Any, ...] | None],
) -> dict[TableKey, float]:
    """Share of rows each partition-filtered table keeps: one counting query per table and
    distinct parameter values in this data version. A count that fails leaves its table whole."""
    shares: dict[TableKey, float] = {}
    for count in counts:
        used = {n: bound[n] for n in count.parameters if n in bound}
        key = (count.table, count.sql, repr(sorted(used.items())))
        share = memo.shares.get(key)
        if share is None:
            found = run(count.sql, used or None)
            if found is None:
                continue  # an unusual filter: count the whole table
            total, *kept = found or (0,)
            share = max(kept) / total if total else 1.0
            memo.shares.put(key, share)
        shares[count.table] = share
    return shares
