"""DuckDB result rows as the port returns them, each cell converted once and only when needed.

The columns whose DuckDB type yields JSON values already (text, integers, booleans) are passed
through untouched; every other column's cells go through the one converter the call asks for
(the port's :func:`~shared.adapters.warehouse.values.cell`, or ``json_cell`` for the data API).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["converted_rows"]

# DuckDB result types whose Python values are JSON already (str, int, bool, None): never converted.
_PLAIN_TYPES = frozenset(
    {"VARCHAR", "BOOLEAN", "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT"}
    | {"UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT"}
)


def converted_rows(
    rows: list[tuple[Any, ...]], types: list[str], convert: Callable[[Any], Any]
) -> list[tuple[Any, ...]]:
    """``rows`` with ``convert`` applied to the cells of the columns that need it (one pass)."""
    todo = [i for i, typ in enumerate(types) if typ not in _PLAIN_TYPES]
    if not todo:
        return rows
    if len(todo) == len(types):
        return [tuple(convert(v) for v in row) for row in rows]
    out = []
    for row in rows:
        cells = list(row)
        for i in todo:
            cells[i] = convert(cells[i])
        out.append(tuple(cells))
    return out
