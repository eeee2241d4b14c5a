"""Resolve a request the way the load balancer's URL map does: route rules by ascending priority."""

from __future__ import annotations

import re
from typing import Any


def template_regex(template: str) -> re.Pattern[str]:
    """A URL map path template: ``*`` is one segment, a trailing ``**`` is one or more."""
    parts = []
    for segment in template.strip("/").split("/"):
        if segment == "**":
            parts.append(".+")
        elif segment == "*":
            parts.append("[^/]+")
        else:
            parts.append(re.escape(segment))
    return re.compile("/" + "/".join(parts))


def matches(rule: dict[str, Any], method: str, path: str) -> bool:
    if rule.get("method") and rule["method"] != method:
        return False
    if rule.get("full_path") is not None:
        return bool(path == rule["full_path"])
    if rule.get("prefix") is not None:
        return path.startswith(rule["prefix"])
    return template_regex(rule["path_template"]).fullmatch(path) is not None


def route(routes: list[dict[str, Any]], default: str, method: str, path: str) -> str:
    """The backend a request reaches."""
    for r in sorted(routes, key=lambda r: int(r["priority"])):
        if any(matches(m, method, path) for m in r["matches"]):
            return str(r["backend"])
    return default
