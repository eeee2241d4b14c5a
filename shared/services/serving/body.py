"""A data response serialized once: its JSON bytes, gzipped on first ask, and its hit twin.

A miss answers with ``"cache": "miss"`` on the views it computed, while the response kept for
later GETs says ``"hit"`` there. Both are built from the same serialized pieces (each view's rows
are encoded once; only the ``cache`` field differs), and neither is gzipped until a client that
accepts gzip asks for it.
"""

from __future__ import annotations

import gzip
import json
import threading
from typing import Any

__all__ = ["Body", "serialized"]

_GZIP_SLACK = 64  # gzip output stays under raw + this for JSON of any size the cache accepts


class Body:
    """Response bytes, given as JSON or gzip (or both); the other form is made on first use and kept."""

    def __init__(self, raw: bytes | None = None, packed: bytes | None = None) -> None:
        if raw is None and packed is None:
            raise ValueError("a body needs its JSON or its gzip")
        self._raw = raw
        self._packed = packed
        self._lock = threading.Lock()

    @property
    def raw(self) -> bytes:
        with self._lock:
            if self._raw is None:
                assert self._packed is not None
                self._raw = gzip.decompress(self._packed)
            return self._raw

    @property
    def packed(self) -> bytes:
        with self._lock:
            if self._packed is None:
                assert self._raw is not None
                self._packed = gzip.compress(self._raw, compresslevel=5)
            return self._packed

    @property
    def held_bytes(self) -> int:
        """An upper bound of the bytes this body holds once gzipped too (what a cache counts)."""
        if self._raw is not None:
            return 2 * len(self._raw) + _GZIP_SLACK
        assert self._packed is not None
        # A gzip member ends with the input's length mod 2**32 (RFC 1952 ISIZE); bodies stay far below it.
        return 2 * int.from_bytes(self._packed[-4:], "little") + _GZIP_SLACK


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), default=str)


def _open(obj_text: str) -> str:
    """``{...}`` without its closing brace, ready for one more member."""
    return obj_text[:-1] + ("," if len(obj_text) > 2 else "")


def serialized(body: dict[str, Any]) -> tuple[Body, Body]:
    """The response as sent, and as kept for later GETs (its ``miss`` views marked ``hit``).

    ``body["views"]`` is a list of view payloads with a ``cache`` field each; every other member
    is serialized once. The two are the same object when no view is a miss.
    """
    views = body["views"]
    head = _open(_dumps({k: v for k, v in body.items() if k != "views"}))
    parts = [_open(_dumps({k: v for k, v in view.items() if k != "cache"})) for view in views]
    statuses = [view.get("cache") for view in views]

    def joined(marks: list[Any]) -> Body:
        members = ",".join(f'{part}"cache":{_dumps(mark)}}}' for part, mark in zip(parts, marks, strict=True))
        return Body(f'{head}"views":[{members}]}}'.encode())

    sent = joined(statuses)
    if "miss" not in statuses:
        return sent, sent
    return sent, joined(["hit" if mark == "miss" else mark for mark in statuses])
