"""The committed dashboard JSON Schema: current, valid 2020-12, documented and closed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from jsonschema import Draft202012Validator

from shared.dashboards.model.vocabulary import FORMATS, PARAMETER_TYPES, THEMES, VIEW_TYPES
from shared.dashboards.schema import dashboard_schema_json
from shared.dashboards.theme import THEME_NAMES

from .helpers import SCHEMA_FILE

SCHEMA: dict[str, Any] = json.loads(SCHEMA_FILE.read_text())


def _subschemas(node: Any, path: str = "#") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            if key in ("examples", "default", "const", "enum"):
                continue
            yield from _subschemas(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _subschemas(value, f"{path}/{index}")


def test_committed_schema_is_current() -> None:
    assert SCHEMA_FILE.read_text() == dashboard_schema_json(), (
        "run: python -m shared.dashboards.schema > schemas/dashboard.schema.json"
    )


def test_schema_is_valid_2020_12_with_id_and_pinned_version() -> None:
    Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert SCHEMA["$id"].startswith("https://")
    assert SCHEMA["properties"]["version"]["const"] == 1


def test_every_property_has_description_and_examples() -> None:
    missing = [
        f"{path}/properties/{name}"
        for path, node in _subschemas(SCHEMA)
        if isinstance(node.get("properties"), dict)
        for name, prop in node["properties"].items()
        if not prop.get("description") or not prop.get("examples")
    ]
    checked = sum(
        len(n["properties"]) for _, n in _subschemas(SCHEMA) if isinstance(n.get("properties"), dict)
    )
    assert checked > 100
    assert missing == []


def test_every_object_is_closed() -> None:
    objects = [(path, node) for path, node in _subschemas(SCHEMA) if node.get("type") == "object"]
    assert len(objects) > 15
    open_objects = [path for path, node in objects if "additionalProperties" not in node]
    assert open_objects == []
    loose = [
        path
        for path, node in objects
        if node["additionalProperties"] is not False and path != "#/properties/queries"
    ]
    assert loose == []  # queries is a map whose values are closed query objects
    assert SCHEMA["properties"]["queries"]["additionalProperties"]["additionalProperties"] is False


def test_enumerations_cover_the_product_vocabulary() -> None:
    definitions = SCHEMA["$defs"]
    assert sorted(k.removeprefix("view_") for k in definitions if k.startswith("view_")) == sorted(VIEW_TYPES)
    assert sorted(k.removeprefix("parameter_") for k in definitions if k.startswith("parameter_")) == sorted(
        PARAMETER_TYPES
    )
    assert set(VIEW_TYPES) >= {"kpi", "line", "bar", "area", "table", "pie", "scatter", "heatmap", "text"}
    assert definitions["field_encoding"]["properties"]["format"]["enum"] == list(FORMATS)
    assert SCHEMA["properties"]["theme"]["default"] == "monotone"
    assert tuple(THEMES) == THEME_NAMES


def test_each_view_type_allows_only_its_own_keys() -> None:
    definitions = SCHEMA["$defs"]
    assert "value" in definitions["view_kpi"]["properties"]
    assert "x" not in definitions["view_pie"]["properties"]
    assert "query" not in definitions["view_text"]["properties"]
    assert "columns" not in definitions["view_line"]["properties"]
    for kind in VIEW_TYPES:
        assert definitions[f"view_{kind}"]["additionalProperties"] is False
        assert definitions[f"view_{kind}"]["properties"]["type"]["const"] == kind
