"""Request-level input checks: every malformed input is a 4xx in the shared error shape.

Installed on every app by :func:`install`, before any route runs:

* paths, their segments and query strings are bounded (400);
* path, query string and header values may not hold NUL or lone surrogates (the directory
  database cannot store them), and headers together are bounded (431, as JSON);
* ``<int:...>`` path segments are at most 18 digits (an INT64 always holds them);
* JSON bodies are bounded in nesting depth and may not hold NUL or lone surrogates in any string;
* integers taken from headers and query strings go through :func:`parse_int`.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, request
from werkzeug.routing import IntegerConverter

from shared.errors import BadRequest, HeadersTooLarge

MAX_HEADER_BYTES = 16_384
MAX_PATH_CHARS = 2048
MAX_SEGMENT_CHARS = 255  # no id is longer, and no file name can be
MAX_JSON_DEPTH = 64
MAX_INT_DIGITS = 18
_BAD_CHARS = re.compile("[\x00\ud800-\udfff]")
_DIGITS = re.compile(rf"[0-9]{{1,{MAX_INT_DIGITS}}}")


class BoundedInt(IntegerConverter):
    """``<int:...>`` limited to 18 digits: a longer segment is no id (404), never an overflow."""

    regex = rf"\d{{1,{MAX_INT_DIGITS}}}"


def install(app: Flask) -> None:
    """Bound ``<int:...>`` converters and check every request's path, query and headers.

    Call before registering blueprints so their rules use the bounded converter."""
    app.url_map.converters["int"] = BoundedInt
    app.before_request(check_request)


def check_request() -> None:
    if len(request.path) > MAX_PATH_CHARS or len(request.query_string) > MAX_PATH_CHARS:
        raise BadRequest(f"the path and the query string are each at most {MAX_PATH_CHARS} characters")
    if any(len(segment) > MAX_SEGMENT_CHARS for segment in request.path.split("/")):
        raise BadRequest(
            f"a path segment is longer than {MAX_SEGMENT_CHARS} characters", details=[{"path": "path"}]
        )
    size = sum(len(name) + len(value) + 4 for name, value in request.headers.items())
    if size > MAX_HEADER_BYTES:
        raise HeadersTooLarge(f"request headers are larger than {MAX_HEADER_BYTES} bytes")
    problems = [
        {"path": where, "message": "contains NUL or an unpaired surrogate"}
        for where, text in _request_texts()
        if _BAD_CHARS.search(text)
    ]
    if problems:
        raise BadRequest("request contains NUL or an unpaired surrogate", details=problems[:10])


def _request_texts() -> list[tuple[str, str]]:
    texts = [("path", request.path)]
    texts += [(f"query.{key}", value) for key, values in request.args.lists() for value in [key, *values]]
    texts += [(f"header.{name}", value) for name, value in request.headers.items()]
    return texts


def check_json(data: Any) -> None:
    """Raise BadRequest when ``data`` nests deeper than the limit or holds a bad string."""
    stack: list[tuple[Any, int, str]] = [(data, 1, "$")]
    while stack:
        value, depth, path = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise BadRequest(f"JSON nests deeper than {MAX_JSON_DEPTH} levels", details=[{"path": path}])
        if isinstance(value, str):
            if _BAD_CHARS.search(value):
                raise BadRequest(
                    "JSON string contains NUL or an unpaired surrogate", details=[{"path": path}]
                )
        elif isinstance(value, dict):
            for key, item in value.items():
                stack.append((key, depth + 1, path))
                stack.append((item, depth + 1, f"{path}.{key}"))
        elif isinstance(value, list):
            stack.extend((item, depth + 1, f"{path}[{i}]") for i, item in enumerate(value))


def parse_int(raw: str, what: str) -> int:
    """A non-negative integer of at most 18 ASCII digits from a header or query value; 400 otherwise."""
    text = raw.strip()
    if not _DIGITS.fullmatch(text):
        raise BadRequest(
            f"{what} must be a whole number of at most {MAX_INT_DIGITS} digits", details=[{"path": what}]
        )
    return int(text)
