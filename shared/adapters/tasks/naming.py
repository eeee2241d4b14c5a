"""Cloud-Tasks-valid task names derived from a logical key (shared by every queue adapter)."""

from __future__ import annotations

import hashlib
import json
import re

from shared.errors import BadRequest

MAX_NAME_LENGTH = 500  # Cloud Tasks' limit on a task id
HASH_CHARS = 32
_NAME = re.compile(r"[A-Za-z0-9_-]{1,500}")
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def task_name(*parts: str) -> str:
    """``<sha256 prefix>-<readable parts>``: unique per key, spread across Cloud Tasks' keyspace.

    The hash covers the exact parts, so keys that sanitise alike (``a/b`` and ``a.b``) still
    get different names; the hashed prefix avoids the hot-spotting of sequential names.
    """
    if not parts or not all(isinstance(p, str) and p for p in parts):
        raise BadRequest("task_name needs one or more non-empty string parts", details={"parts": list(parts)})
    digest = hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:HASH_CHARS]
    readable = "-".join(_UNSAFE.sub("_", p) for p in parts)
    return f"{digest}-{readable}"[:MAX_NAME_LENGTH]


def validate_task_name(name: str) -> str:
    """``name`` if Cloud Tasks accepts it as a task id; :class:`BadRequest` otherwise."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise BadRequest(
            f"invalid task name {name!r}: use 1-{MAX_NAME_LENGTH} of [A-Za-z0-9_-]", details={"name": name}
        )
    return name
