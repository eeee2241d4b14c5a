"""Stored bytes per column of a DuckDB file's tables: nominal at scan, measured on first use.

BigQuery prices a query by the stored bytes of the columns it reads. Fixed-width columns are
width x rows, known from the catalog alone. Variable-width ones (2 + length per non-NULL value)
need their strings read, which at thousands of tables took most of a scan: the scan takes them
as ``NOMINAL_WIDTH`` a row, and a table's exact sizes are measured once per data version, when a
dry run (or a single-table lookup) first needs that table.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from shared.adapters.warehouse.bytes_estimate import TableKey, fixed_width

NOMINAL_WIDTH = 18  # bytes a row of a variable-width column is taken to store until measured
BATCH = 50  # tables per statement: one UNION ALL over thousands of tables exhausts DuckDB's memory
Run = Callable[[str], Any]  # runs one statement, returns a cursor


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _lengths(columns: Iterable[str]) -> str:
    return ", ".join(
        f"coalesce(sum(strlen(CAST({_ident(c)} AS VARCHAR))), 0) + 2 * count({_ident(c)})" for c in columns
    )


def _batched(run: Run, parts: list[str]) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    for start in range(0, len(parts), BATCH):
        rows += run(" UNION ALL ".join(parts[start : start + BATCH])).fetchall()
    return rows


@dataclass
class ColumnSizes:
    """Per table: ``fixed`` widths x rows, ``estimated`` variable-width bytes, ``exact`` once measured."""

    project: str
    names: dict[TableKey, tuple[str, str]] = field(default_factory=dict)  # schema, table as stored
    variable: dict[TableKey, tuple[str, ...]] = field(default_factory=dict)  # still to measure
    fixed: dict[TableKey, dict[str, int]] = field(default_factory=dict)
    estimated: dict[TableKey, dict[str, int]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def estimate(self, key: TableKey) -> dict[str, int]:
        """Bytes per column (lower-case names): exact for fixed-width columns, sampled for the rest."""
        return {**self.fixed.get(key, {}), **self.estimated.get(key, {})}

    def exact(self, run: Run, keys: Iterable[TableKey]) -> dict[TableKey, dict[str, int]]:
        """Exact bytes per column of ``keys``, measuring the tables not measured yet in one query."""
        wanted = [k for k in dict.fromkeys(keys) if k in self.fixed]
        with self._lock:
            todo = [k for k in wanted if k in self.variable]
        if todo:
            parts = [
                f"SELECT {_literal(self.names[k][0])}, {_literal(self.names[k][1])}, [{_lengths(self.variable[k])}]::BIGINT[]"
                f" FROM {self._relation(k)}"
                for k in todo
            ]
            measured = {(s.lower(), t.lower()): lengths for s, t, lengths in _batched(run, parts)}
            with self._lock:
                for k in todo:
                    if k in self.variable and k in measured:
                        columns = self.variable.pop(k)
                        self.estimated[k] = {
                            c.lower(): int(b) for c, b in zip(columns, measured[k], strict=True)
                        }
        return {k: self.estimate(k) for k in wanted}

    def _relation(self, key: TableKey) -> str:
        schema, table = self.names[key]
        return f"{_ident(self.project)}.{_ident(schema)}.{_ident(table)}"


def scan_sizes(
    project: str,
    by_table: Mapping[TableKey, list[tuple[str, str, str | None]]],
    row_counts: Mapping[TableKey, int],
) -> ColumnSizes:
    """Sizes of every base table from its column types and row count alone: no data is read.

    Variable-width columns start at ``NOMINAL_WIDTH`` bytes a row until ``exact`` measures them.
    ``by_table`` and ``row_counts`` are keyed by the stored (schema, table) names.
    """
    sizes = ColumnSizes(project)
    for (schema, table), cols in by_table.items():
        rows_n = row_counts.get((schema, table))
        if rows_n is None:
            continue
        key = (schema.lower(), table.lower())
        sizes.names[key] = (schema, table)
        sizes.fixed[key] = {}
        measured: list[str] = []
        for name, typ, _ in cols:
            width = fixed_width(typ)
            if width is None:
                measured.append(name)
            else:
                sizes.fixed[key][name.lower()] = width * rows_n
        sizes.estimated[key] = {c.lower(): NOMINAL_WIDTH * rows_n for c in measured}
        if measured and rows_n:
            sizes.variable[key] = tuple(measured)
    return sizes
