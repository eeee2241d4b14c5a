"""Paging for list routes: ``?limit=`` (default 50, at most 200) and an opaque ``?cursor=``.

A page answers ``next_cursor``: pass it back as ``cursor`` for the next page; ``null`` on the last.
The cursor is opaque to clients (today a versioned position in the route's stable order).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from flask import request

from shared.entry.input_guard import parse_int
from shared.errors import BadRequest

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_CURSOR_CHARS = 200
T = TypeVar("T")


@dataclass(frozen=True)
class Page:
    offset: int
    limit: int

    def next_cursor(self, has_more: bool) -> str | None:
        return encode_cursor(self.offset + self.limit) if has_more else None

    def slice(self, items: Sequence[T]) -> tuple[list[T], str | None]:
        """This page of an already ordered list, and the next page's cursor."""
        chunk = list(items[self.offset : self.offset + self.limit])
        return chunk, self.next_cursor(len(items) > self.offset + self.limit)


def encode_cursor(offset: int) -> str:
    raw = json.dumps({"v": 1, "o": offset}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _bad_cursor() -> BadRequest:
    return BadRequest("cursor is not one this server gave out", details=[{"path": "cursor"}])


def decode_cursor(cursor: str) -> int:
    if len(cursor) > MAX_CURSOR_CHARS:
        raise _bad_cursor()
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error):
        raise _bad_cursor() from None
    offset = data.get("o") if isinstance(data, dict) and data.get("v") == 1 else None
    if not isinstance(offset, int) or isinstance(offset, bool) or not 0 <= offset < 10**12:
        raise _bad_cursor()
    return offset


def page() -> Page:
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
    return Page(offset=decode_cursor(cursor) if cursor else 0, limit=limit)
