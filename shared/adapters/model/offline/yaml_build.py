"""Dashboard dicts to YAML text (SQL as literal blocks, keys in schema order) and back."""

from __future__ import annotations

from typing import Any

import yaml

from shared.errors import ValidationFailed

HEADER = "# yaml-language-server: $schema=../schemas/dashboard.schema.json\n"
KEY_ORDER = ("version", "title", "description", "theme", "refresh", "parameters", "queries", "views")
VIEW_ORDER = ("id", "type", "title", "description", "query", "value", "x", "y", "theta", "color", "size",
              "columns", "top_n", "sort", "text", "layout")  # fmt: skip


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _str)


def _ordered(d: dict[str, Any], order: tuple[str, ...]) -> dict[str, Any]:
    return {k: d[k] for k in order if k in d} | {k: v for k, v in d.items() if k not in order}


def to_yaml(dashboard: dict[str, Any]) -> str:
    """YAML text of a dashboard dict, deterministic for equal input."""
    doc = _ordered(dashboard, KEY_ORDER)
    if "views" in doc:
        doc["views"] = [_ordered(v, VIEW_ORDER) for v in doc["views"]]
    body = yaml.dump(
        doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=120, default_flow_style=None
    )
    return HEADER + body


def from_yaml(text: str) -> dict[str, Any]:
    """The dashboard mapping in ``text``; ValidationFailed when it is not one."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValidationFailed(f"the dashboard YAML does not parse: {exc}") from exc
    if not isinstance(data, dict):
        raise ValidationFailed("the dashboard YAML is not a mapping")
    return data
