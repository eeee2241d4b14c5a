"""Sample values of a catalog's categorical columns: what the scan keeps so search finds "France".

Both warehouse adapters answer ``sample_values`` with the same shape: for each sampled table, the
most frequent short values of its STRING columns. The adapters only differ in the SQL (DuckDB
samples a reservoir of rows, BigQuery ``TABLESAMPLE SYSTEM``) and in how they price a table
against the byte budget; the choice of columns, the SQL's result shape and the fold into bounded
lists are here, once.

Bounds (``SampleLimits``): at most ``values_per_column`` values per column, each at most
``value_chars`` characters; ``bytes_per_table`` of values per table and ``total_bytes`` per scan;
tables are sampled in the order given while the estimated bytes stay under ``max_bytes_billed``
and the deadline ``timeout_s`` has not passed. A column is kept only when it looks categorical:
it has no more distinct values than fit, or at least ``CATEGORY_ROWS`` sampled rows per value. Values that
look like identifiers or e-mail addresses are never kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from shared.adapters.warehouse.port import SampleLimits, Samples, TableInfo

_NOT_A_CATEGORY = re.compile(
    r"[0-9A-Fa-f-]{16,}|\S+@\S+\.\S+|https?://|^\d{1,3}(\.\d{1,3}){3}$|^[0-9a-f:]{8,}$", re.ASCII
)  # identifiers, hashes, e-mail addresses, URLs and IP addresses
CATEGORY_ROWS = 5  # a categorical column has at least this many sampled rows per distinct value
BIGQUERY_BLOCK_BYTES = 1_000_000_000  # BigQuery splits tables into blocks of about 1 GB
BIGQUERY_MIN_BILLED = 10 * 1024 * 1024  # billed at least per table a query reads
_STRING_TYPES = frozenset({"STRING"})


def sample_columns(table: TableInfo) -> list[str]:
    """The STRING columns of a table worth sampling.

    Views (they may be costly to evaluate) and tables that refuse a query without a partition
    filter are left out; so are nested and non-text types.
    """
    if table.table_type.upper() not in ("BASE TABLE", "TABLE") or table.require_partition_filter:
        return []
    return [c.name for c in table.columns if c.type.upper() in _STRING_TYPES]


def ranked_select(limits: SampleLimits, *, length: str) -> str:
    """The shared tail of both dialects' sample query over ``g(c, v, n)``: top values per column.

    Returns ``c, v, n, d, total``: column, value, its count in the sample, the column's distinct
    values and sampled non-null rows. Short values rank first, then by count, then by value.
    """
    return (
        "SELECT c, v, n, d, total FROM ("
        " SELECT c, v, n, COUNT(*) OVER (PARTITION BY c) AS d, SUM(n) OVER (PARTITION BY c) AS total,"
        f" ROW_NUMBER() OVER (PARTITION BY c ORDER BY {length}(v) > {limits.value_chars}, n DESC, v) AS k"
        f" FROM g) WHERE k <= {limits.values_per_column}"
    )


def fold(
    rows: Iterable[tuple[Any, ...]],
    chosen: Sequence[tuple[TableInfo, list[str]]],
    limits: SampleLimits,
    used: int = 0,
) -> tuple[Samples, int]:
    """Rows ``(table #, column #, value, count, distinct, total)`` → bounded samples, bytes kept.

    Every table of ``chosen`` gets an entry (``{}`` when nothing was categorical); the caller's
    order decides which tables get the bytes when ``total_bytes`` runs out.
    """
    grouped: dict[int, dict[int, list[tuple[str, int, int, int]]]] = {}
    for t, c, value, n, distinct, total in rows:
        if value is not None and 0 <= int(t) < len(chosen) and 0 <= int(c) < len(chosen[int(t)][1]):
            grouped.setdefault(int(t), {}).setdefault(int(c), []).append(
                (str(value), int(n), int(distinct), int(total))
            )
    out: Samples = {}
    for t, (table, columns) in enumerate(chosen):
        kept: dict[str, list[str]] = {}
        size = 0
        for c, values in sorted(grouped.get(t, {}).items()):
            values.sort(key=lambda item: (-item[1], item[0]))
            distinct, total = values[0][2], values[0][3]
            if distinct > limits.values_per_column and distinct * CATEGORY_ROWS > total:
                continue  # values rarely repeat: an identifier, a name or free text
            chosen_values = [
                v
                for v, *_ in values[: limits.values_per_column]
                if v.strip() and len(v) <= limits.value_chars and not _NOT_A_CATEGORY.search(v)
            ]
            cost = sum(len(v.encode()) for v in chosen_values)
            if not chosen_values or size + cost > limits.bytes_per_table or used + cost > limits.total_bytes:
                continue
            kept[columns[c]] = chosen_values
            size += cost
            used += cost
        out[table.fully_qualified_name] = kept
    return out, used


def planned(
    tables: Sequence[TableInfo], limits: SampleLimits, cost: Any
) -> tuple[list[tuple[TableInfo, list[str]]], int]:
    """The tables to sample, in the order given, while their estimated bytes fit the budget."""
    chosen: list[tuple[TableInfo, list[str]]] = []
    spent = 0
    for table in tables:
        if len(chosen) >= limits.max_tables:
            break
        columns = sample_columns(table)
        if not columns:
            continue
        price = int(cost(table, columns))
        if spent + price > limits.max_bytes_billed:
            continue
        chosen.append((table, columns))
        spent += price
    return chosen, spent


def duckdb_sql(index: int, relation: str, columns: list[str], limits: SampleLimits) -> str:
    """Table ``index``'s part of a DuckDB sample query: a reservoir of rows, unpivoted, ranked.

    Columns are renamed to their positions (``"0"``, ``"1"``...), so no name is ever quoted as text.
    """
    quoted = ", ".join(f'CAST({_dq(c)} AS VARCHAR) AS "{i}"' for i, c in enumerate(columns))
    return (
        f"SELECT {int(index)} AS t, CAST(c AS INTEGER) AS c, v, n, d, total FROM ("
        f" WITH s AS (SELECT {quoted} FROM {relation}"
        f" USING SAMPLE reservoir({int(limits.rows_sampled)} ROWS) REPEATABLE (7)),"
        " u AS (UNPIVOT s ON COLUMNS(*) INTO NAME c VALUE v),"
        " g AS (SELECT c, v, count(*) AS n FROM u GROUP BY c, v) "
        f"{ranked_select(limits, length='strlen')})"
    )


def bigquery_sql(index: int, relation: str, columns: list[str], percent: float, limits: SampleLimits) -> str:
    """Table ``index``'s part of a BigQuery sample query: ``TABLESAMPLE SYSTEM``, unnested, ranked.

    Columns are numbered by position (``STRUCT(0 AS c, s.`status` AS v)``): no name is a literal.
    """
    pairs = ", ".join(f"STRUCT({i} AS c, s.{_bq(c)} AS v)" for i, c in enumerate(columns))
    return (
        f"SELECT {int(index)} AS t, c, v, n, d, total FROM ("
        " WITH g AS (SELECT p.c AS c, p.v AS v, COUNT(*) AS n"
        f" FROM {relation} AS s TABLESAMPLE SYSTEM ({percent:.4f} PERCENT), UNNEST([{pairs}]) AS p"
        " WHERE p.v IS NOT NULL GROUP BY c, v) "
        f"{ranked_select(limits, length='CHAR_LENGTH')})"
    )


def percent_for(table: TableInfo, limits: SampleLimits) -> float:
    """The share of a BigQuery table's blocks to read for about ``rows_sampled`` rows."""
    rows = table.row_count or 0
    if rows <= limits.rows_sampled:
        return 100.0
    return max(0.01, min(100.0, 100.0 * limits.rows_sampled / rows))


def bigquery_price(table: TableInfo, columns: list[str], limits: SampleLimits) -> int:
    """Estimated bytes BigQuery bills to sample ``columns``: their share of the table, times the
    sampled share of blocks for tables of more than one block, and never under the minimum."""
    read = (table.size_bytes or 0) * len(columns) / max(1, len(table.columns))
    if (table.size_bytes or 0) > BIGQUERY_BLOCK_BYTES:
        read *= percent_for(table, limits) / 100
    return max(BIGQUERY_MIN_BILLED, int(read))


def _dq(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _bq(name: str) -> str:
    return "`" + name.replace("`", "").replace("\\", "") + "`"
