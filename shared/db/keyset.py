"""Keyset paging: the rows after a given row in an ORDER BY over unique keys.

A page ends at its last row; the next page is every row whose sort key comes after that row's
key, never "rows from position N". Rows inserted or deleted while a client pages therefore
shift nothing: no row is repeated, and no row that was there throughout is skipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, false, or_
from sqlalchemy.sql.elements import ColumnElement


class Key:
    """One ORDER BY term: ``column`` ascending, or descending with ``descending``."""

    def __init__(self, column: ColumnElement[Any] | Any, *, descending: bool = False) -> None:
        self.column = column
        self.descending = descending

    def order(self) -> Any:
        return self.column.desc() if self.descending else self.column.asc()


def order_by(keys: Sequence[Key]) -> list[Any]:
    return [k.order() for k in keys]


def after(keys: Sequence[Key], values: Sequence[Any]) -> ColumnElement[bool]:
    """Rows strictly after the row whose sort key is ``values`` (expanded, so mixed directions
    work on every database): ``k1 > v1 OR (k1 = v1 AND k2 > v2) OR ...``."""
    if len(keys) != len(values):
        raise ValueError("a keyset position needs one value per sort key")
    terms = []
    for i, key in enumerate(keys):
        beyond = key.column < values[i] if key.descending else key.column > values[i]
        terms.append(and_(*(k.column == v for k, v in zip(keys[:i], values[:i], strict=True)), beyond))
    return or_(*terms) if terms else false()
