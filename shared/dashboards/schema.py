"""The dashboard JSON Schema (2020-12), generated from :mod:`shared.dashboards.model`.

Committed as schemas/dashboard.schema.json: run
``python -m shared.dashboards.schema > schemas/dashboard.schema.json`` after changing the model; a
test fails when the committed file differs from :func:`dashboard_schema_json`.

The vocabulary (view types, formats, patterns) has one source, :mod:`shared.dashboards.model.vocabulary`;
this module only turns the model into the schema. Pydantic writes the schema; :class:`_BridgeSchema` keeps the shape editors and error messages rely
on: no titles or ``null`` alternatives, ``propertyNames`` for query names, and views/parameters as
an object listing every key whose ``type`` selects the closed definition that applies.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

from pydantic.json_schema import GenerateJsonSchema, JsonSchemaMode, JsonSchemaValue
from pydantic_core import core_schema

from shared.dashboards.model import Dashboard

__all__ = ["SCHEMA_ID", "dashboard_schema", "dashboard_schema_json"]

SCHEMA_ID = "https://bridge.dev/schemas/dashboard.schema.json"
_DEF_NAMES = {
    "FieldEncoding": "field_encoding",
    "BarSeriesEncoding": "bar_series_encoding",
    "Layout": "layout",
    "Sort": "sort",
    "Query": "query",
    "DateRange": "date_range",
    "Comparison": "comparison",
    "RatioTotal": "ratio_total",
    "TableColumn": "table_column",
}
_INLINE = ("query", "date_range", "comparison")  # written in place where they are used (once each)
_KEY_ORDER = (
    "$schema",
    "$id",
    "$ref",
    "type",
    "const",
    "enum",
    "default",
    "anyOf",
    "pattern",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "minItems",
    "maxItems",
    "uniqueItems",
    "items",
    "minProperties",
    "maxProperties",
    "propertyNames",
    "description",
    "properties",
    "required",
    "additionalProperties",
    "examples",
    "allOf",
    "title",
    "$defs",
)


class _BridgeSchema(GenerateJsonSchema):
    """Pydantic's generator, adjusted to the schema the dashboards have always published."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False

    def handle_ref_overrides(self, json_schema: JsonSchemaValue) -> JsonSchemaValue:
        return json_schema  # keep a field's own description even when its definition says the same

    def nullable_schema(self, schema: core_schema.NullableSchema) -> JsonSchemaValue:
        return self.generate_inner(schema["schema"])  # optional means "may be left out", never null

    def default_schema(self, schema: core_schema.WithDefaultSchema) -> JsonSchemaValue:
        result = super().default_schema(schema)
        if result.get("default", ...) in (None, "", [], {}):
            result.pop("default")
        return result

    def literal_schema(self, schema: core_schema.LiteralSchema) -> JsonSchemaValue:
        result = super().literal_schema(schema)
        result.pop("type", None)  # a wrong value reads "is not one of", not also "is not of type"
        return result

    def dict_schema(self, schema: core_schema.DictSchema) -> JsonSchemaValue:
        result = super().dict_schema(schema)
        patterns = result.pop("patternProperties", None)
        if patterns:
            ((pattern, value),) = patterns.items()
            result["propertyNames"] = {"pattern": pattern}
            result["additionalProperties"] = value
        return result

    def generate(
        self, schema: core_schema.CoreSchema, mode: JsonSchemaMode = "validation"
    ) -> JsonSchemaValue:
        result = super().generate(schema, mode)
        defs = {self._def_name(name): body for name, body in result.pop("$defs", {}).items()}
        result = _rename_refs(result, self._def_name)
        defs = {name: _rename_refs(body, self._def_name) for name, body in defs.items()}
        for body in defs.values():
            body.pop("title", None)
        for name in _INLINE:
            result, defs = _inline(result, defs, name)
        result = _dispatch_unions(result, defs)
        schema_doc = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID, **result}
        schema_doc["$defs"] = dict(sorted(defs.items()))
        ordered: JsonSchemaValue = _ordered(schema_doc)
        return ordered

    @staticmethod
    def _def_name(name: str) -> str:
        if name in _DEF_NAMES:
            return _DEF_NAMES[name]
        match = re.fullmatch(r"(\w+?)(View|Parameter)", name)
        if match is None:
            return name
        kind = re.sub(r"(?<!^)([A-Z])", r"_\1", match.group(1)).lower()
        return f"{match.group(2).lower()}_{kind}"


def _rename_refs(node: Any, rename: Any) -> Any:
    if isinstance(node, dict):
        return {
            key: (
                "#/$defs/" + rename(value.removeprefix("#/$defs/"))
                if key == "$ref" and isinstance(value, str)
                else _rename_refs(value, rename)
            )
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_rename_refs(item, rename) for item in node]
    return node


def _inline(schema: Any, defs: dict[str, Any], name: str) -> tuple[Any, dict[str, Any]]:
    """Replace ``{"$ref": "#/$defs/<name>", ...}`` by the definition itself (siblings win)."""
    body = defs.pop(name)
    ref = f"#/$defs/{name}"

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            return [walk(item) for item in node]
        if not isinstance(node, dict):
            return node
        if node.get("$ref") == ref:
            return {**body, **{k: v for k, v in node.items() if k != "$ref"}}
        return {key: walk(value) for key, value in node.items()}

    return walk(schema), {key: walk(value) for key, value in defs.items()}


def _dispatch_unions(node: Any, defs: dict[str, Any]) -> Any:
    """Replace each ``oneOf`` + ``discriminator`` with an object whose ``type`` selects a definition.

    The outer object lists every key of every definition (description and examples only) so
    editors can complete them; the selected definition, closed, holds the constraints.
    """
    if isinstance(node, list):
        return [_dispatch_unions(item, defs) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _dispatch_unions(value, defs) for key, value in node.items()}
    if "discriminator" not in node:
        return node
    node.pop("discriminator")
    refs = [choice["$ref"].removeprefix("#/$defs/") for choice in node.pop("oneOf")]
    kinds = [defs[ref]["properties"]["type"]["const"] for ref in refs]
    union: dict[str, Any] = {}
    for ref in refs:
        for key, value in defs[ref]["properties"].items():
            union.setdefault(key, {"description": value["description"], "examples": value["examples"]})
    union["type"] = {
        "enum": kinds,
        "description": "Selects the definition that applies.",
        "examples": kinds[:1],
    }
    return {
        **node,
        "type": "object",
        "properties": union,
        "required": ["type"],
        "additionalProperties": False,
        "allOf": [
            {
                "if": {
                    "properties": {
                        "type": {"const": kind, "description": f"Selects {kind}.", "examples": [kind]}
                    },
                    "required": ["type"],
                },
                "then": {"$ref": f"#/$defs/{ref}"},
            }
            for kind, ref in zip(kinds, refs, strict=True)
        ],
    }


def _ordered(node: Any) -> Any:
    """Keys in a stable, readable order (keywords first; properties keep the model's order)."""
    if isinstance(node, list):
        return [_ordered(item) for item in node]
    if not isinstance(node, dict):
        return node
    rank = {key: index for index, key in enumerate(_KEY_ORDER)}
    result = {}
    for key, value in sorted(node.items(), key=lambda item: rank.get(item[0], len(rank))):
        if key in ("properties", "$defs"):
            result[key] = {name: _ordered(body) for name, body in value.items()}
        elif key in ("examples", "default", "const", "enum"):
            result[key] = value
        else:
            result[key] = _ordered(value)
    return result


@cache
def _cached_json() -> str:
    schema = Dashboard.model_json_schema(schema_generator=_BridgeSchema)
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def dashboard_schema() -> dict[str, Any]:
    """A fresh copy of the dashboard JSON Schema."""
    result: dict[str, Any] = json.loads(_cached_json())
    return result


def dashboard_schema_json() -> str:
    """The schema as the exact text committed to schemas/dashboard.schema.json."""
    return _cached_json()


if __name__ == "__main__":
    print(dashboard_schema_json(), end="")
