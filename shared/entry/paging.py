"""Paging for list routes: ``?limit=`` (default 50, at most 200) and an opaque ``?cursor=``.

A page answers ``next_cursor``: pass it back as ``cursor`` for the next page; ``null`` on the last.
The cursor is opaque to clients. It holds the list's name and the sort key of the page's last
row (the route's ORDER BY columns, ending in a unique one), and the next page is read with a
keyset condition (:mod:`shared.db.keyset`), never an offset: dashboards saved, teams joined or
members removed while a client pages shift nothing, so no row is repeated and none that was
there throughout is skipped. A cursor of another list, an old offset cursor, or one whose key
does not fit the list is a 400.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from flask import request

from shared.entry.input_guard import parse_int
from shared.errors import BadRequest

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_CURSOR_CHARS = 1024
MAX_KEY_CHARS = 500  # the longest string a sort key holds (a table's fully qualified name)
VERSION = 2
T = TypeVar("T")
KeyType = type[datetime] | type[str] | type[int]


@dataclass(frozen=True)
class Page:
    """What a list request asks for: ``limit`` rows after the key ``after`` (None: from the start)."""

    list_name: str
    limit: int
    after: tuple[Any, ...] | None = None

    def cursor_for(self, key: Sequence[Any]) -> str:
        return encode_cursor(self.list_name, key)

    def finish(self, rows: Sequence[T], key_of: Callable[[T], Sequence[Any]]) -> tuple[list[T], str | None]:
        """This page of ``rows`` (read with ``limit + 1`` to see whether more follow) and the
        next page's cursor: the last row's sort key, or None on the last page."""
        chunk = list(rows[: self.limit])
        more = len(rows) > self.limit
        return chunk, self.cursor_for(key_of(chunk[-1])) if more and chunk else None


def _utc(value: datetime) -> datetime:
    """SQLite hands back naive UTC wall times, PostgreSQL aware ones: both as aware UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"t": _utc(value).isoformat()}
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"a cursor key holds datetimes, strings and integers, not {type(value).__name__}")
    return value


def encode_cursor(list_name: str, key: Sequence[Any]) -> str:
    data = {"v": VERSION, "l": list_name, "k": [_encode_value(v) for v in key]}
    raw = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _bad_cursor() -> BadRequest:
    return BadRequest("cursor is not one this list gave out", details=[{"path": "cursor"}])


def _decode_value(value: Any, kind: KeyType) -> Any:
    if kind is datetime:
        text = value.get("t") if isinstance(value, dict) and len(value) == 1 else None
        if not isinstance(text, str) or len(text) > 40:
            raise _bad_cursor()
        try:
            stamp = datetime.fromisoformat(text)
        except ValueError:
            raise _bad_cursor() from None
        if stamp.tzinfo is None:
            raise _bad_cursor()
        return stamp.astimezone(UTC)
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 10**18:
            raise _bad_cursor()
        return value
    if not isinstance(value, str) or len(value) > MAX_KEY_CHARS or "\x00" in value:
        raise _bad_cursor()
    return value


def decode_cursor(cursor: str, list_name: str, key_types: Sequence[KeyType]) -> tuple[Any, ...]:
    """The sort key a cursor of ``list_name`` holds; 400 for anything this list did not give out."""
    if len(cursor) > MAX_CURSOR_CHARS:
        raise _bad_cursor()
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise _bad_cursor() from None
    if not isinstance(data, dict) or data.get("v") != VERSION or data.get("l") != list_name:
        raise _bad_cursor()
    key = data.get("k")
    if not isinstance(key, list) or len(key) != len(key_types):
        raise _bad_cursor()
    return tuple(_decode_value(v, kind) for v, kind in zip(key, key_types, strict=True))


def page(list_name: str, key_types: Sequence[KeyType]) -> Page:
    """The page the request asks for; 400 for a bad ``limit`` or ``cursor`` or an unknown parameter."""
    unknown = sorted(k for k in request.args if k not in ("limit", "cursor"))
    if unknown:
        raise BadRequest(
            f"unknown query parameter '{unknown[0]}'; a list takes limit and cursor",
            details=[{"path": k} for k in unknown[:20]],
        )
    raw = request.args.get("limit")
    limit = DEFAULT_LIMIT if raw is None else parse_int(raw, "limit")
    if not 1 <= limit <= MAX_LIMIT:
        raise BadRequest(f"limit must be between 1 and {MAX_LIMIT}", details=[{"path": "limit"}])
    cursor = request.args.get("cursor")
    after = decode_cursor(cursor, list_name, key_types) if cursor else None
    return Page(list_name=list_name, limit=limit, after=after)
