"""The dashboard JSON Schema (2020-12), built here and committed as schemas/dashboard.schema.json.

Run ``python -m shared.dashboards.schema > schemas/dashboard.schema.json`` after a change; a test
fails when the committed file differs from :func:`dashboard_schema`.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

SCHEMA_ID = "https://bridge.dev/schemas/dashboard.schema.json"
GRID_COLUMNS = 12
THEMES = ("monotone", "accent", "dark")
DEFAULT_THEME = "monotone"
DEFAULT_REFRESH = "1h"
VIEW_TYPES = ("kpi", "line", "bar", "area", "table", "pie", "scatter", "heatmap", "text")
PARAMETER_TYPES = ("date", "date_range", "string", "number", "enum")
FIELD_TYPES = ("quantitative", "temporal", "nominal", "ordinal")
AGGREGATES = ("sum", "avg", "min", "max", "count", "count_distinct", "median")
TIME_GRAINS = ("day", "week", "month", "quarter", "year")
FORMATS = ("number", "percent", "currency", "date", "integer")
SORT_ORDERS = ("asc", "desc")
NAME_PATTERN = r"^[a-z][a-z0-9_]{0,62}$"
SLUG_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,62}$"
REFRESH_PATTERN = r"^[1-9][0-9]{0,6}(s|m|h|d)$"
DATE_PATTERN = r"^(\d{4}-\d{2}-\d{2}|today([+-]\d{1,4}[dwmy])?)$"


def _prop(schema: dict[str, Any], description: str, *examples: Any) -> dict[str, Any]:
    return {**schema, "description": description, "examples": list(examples)}


def _object(properties: dict[str, Any], required: list[str], description: str) -> dict[str, Any]:
    return {
        "type": "object",
        "description": description,
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }


def _ref(name: str, description: str, example: Any) -> dict[str, Any]:
    return {"$ref": f"#/$defs/{name}", "description": description, "examples": [example]}


def _field_encoding(description: str, example: dict[str, Any]) -> dict[str, Any]:
    return _ref("field_encoding", description, example)


def _field_encoding_def() -> dict[str, Any]:
    properties = {
        "field": _prop({"type": "string", "minLength": 1}, "Column of the query result.", "revenue", "month"),
        "type": _prop({"enum": list(FIELD_TYPES)}, "Vega-Lite measurement type.", "quantitative", "temporal"),
        "aggregate": _prop(
            {"enum": list(AGGREGATES)},
            "Aggregate applied in SQL, grouping by the other fields.",
            "sum",
        ),
        "time_grain": _prop({"enum": list(TIME_GRAINS)}, "Truncate a date/timestamp field in SQL.", "month"),
        "sort": _prop({"enum": list(SORT_ORDERS)}, "Order of this axis or column.", "asc", "desc"),
        "format": _prop({"enum": list(FORMATS)}, "How values are displayed.", "currency", "percent"),
        "currency": _prop(
            {"type": "string", "pattern": "^[A-Z]{3}$"},
            "ISO 4217 code used with format currency.",
            "USD",
            "EUR",
        ),
        "title": _prop({"type": "string", "maxLength": 120}, "Axis, legend or column title.", "Revenue"),
    }
    return _object(properties, ["field"], "A field of the query result on a channel.")


def _layout() -> dict[str, Any]:
    properties = {
        "x": _prop(
            {"type": "integer", "minimum": 0, "maximum": GRID_COLUMNS - 1},
            "Left column (0-11).",
            0,
            6,
        ),
        "y": _prop({"type": "integer", "minimum": 0, "maximum": 1000}, "Top row (0 and down).", 0, 4),
        "w": _prop(
            {"type": "integer", "minimum": 1, "maximum": GRID_COLUMNS},
            "Width in columns (1-12).",
            3,
            12,
        ),
        "h": _prop({"type": "integer", "minimum": 1, "maximum": 12}, "Height in rows (1-12).", 2, 4),
    }
    layout = _object(properties, ["x", "y", "w", "h"], "Position on the 12-column grid; views never overlap.")
    return {**layout, "examples": [{"x": 0, "y": 0, "w": 6, "h": 4}]}


_SORT = _ref("sort", "Order rows by a field (applied in SQL).", {"field": "revenue", "order": "desc"})
_SORT_DEF = {
    **_object(
        {
            "field": _prop({"type": "string", "minLength": 1}, "Column to order rows by.", "revenue"),
            "order": _prop({"enum": list(SORT_ORDERS)}, "Ascending or descending.", "desc"),
        },
        ["field"],
        "Order rows by a field (applied in SQL).",
    ),
    "examples": [{"field": "revenue", "order": "desc"}],
}

_ENC = {
    "x": ("Horizontal axis.", {"field": "month", "type": "temporal", "time_grain": "month"}),
    "y": ("Vertical axis.", {"field": "revenue", "type": "quantitative", "format": "currency"}),
    "color": (
        "Colour channel: series for lines, bars and areas; legend for pies.",
        {"field": "country"},
    ),
    "size": ("Point size channel.", {"field": "orders", "type": "quantitative"}),
    "theta": ("Slice angle of a pie.", {"field": "revenue", "aggregate": "sum"}),
    "value": (
        "The number a KPI shows.",
        {"field": "revenue", "aggregate": "sum", "format": "currency"},
    ),
}

_VIEW_KEYS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # type: (required keys beyond id/type/layout, optional keys)
    "kpi": (("query", "value"), ("title", "description")),
    "line": (("query", "x", "y"), ("title", "description", "color", "top_n", "sort")),
    "area": (("query", "x", "y"), ("title", "description", "color", "top_n", "sort")),
    "bar": (("query", "x", "y"), ("title", "description", "color", "top_n", "sort")),
    "scatter": (("query", "x", "y"), ("title", "description", "color", "size", "top_n")),
    "heatmap": (("query", "x", "y", "color"), ("title", "description", "top_n")),
    "pie": (("query", "theta", "color"), ("title", "description", "top_n")),
    "table": (("query", "columns"), ("title", "description", "top_n", "sort")),
    "text": (("text",), ("title",)),
}


def _view_property(key: str, view_type: str) -> dict[str, Any]:
    if key in _ENC:
        return _field_encoding(*_ENC[key])
    simple: dict[str, dict[str, Any]] = {
        "id": _prop({"type": "string", "pattern": SLUG_PATTERN}, "Unique slug of the view.", "revenue_trend"),
        "type": _prop({"const": view_type}, "Kind of view.", view_type),
        "title": _prop(
            {"type": "string", "maxLength": 120}, "Title shown above the view.", "Revenue by month"
        ),
        "description": _prop({"type": "string", "maxLength": 500}, "Subtitle or hint.", "Excludes returns"),
        "query": _prop({"type": "string", "pattern": NAME_PATTERN}, "Name of a query in queries.", "monthly"),
        "top_n": _prop(
            {"type": "integer", "minimum": 1, "maximum": 10000},
            "Keep only the first N rows (after sort).",
            10,
        ),
        "sort": _SORT,
        "layout": _ref("layout", "Position on the 12-column grid.", {"x": 0, "y": 0, "w": 6, "h": 4}),
        "text": _prop(
            {"type": "string", "minLength": 1, "maxLength": 20000},
            "Markdown body of a text view.",
            "## Notes",
        ),
        "columns": _prop(
            {
                "type": "array",
                "minItems": 1,
                "maxItems": 50,
                "items": _field_encoding("A column of the table.", {"field": "country", "title": "Country"}),
            },
            "Columns of a table view, in order.",
            [{"field": "country"}, {"field": "revenue", "format": "currency"}],
        ),
    }
    return simple[key]


def _view(view_type: str) -> dict[str, Any]:
    required, optional = _VIEW_KEYS[view_type]
    keys = ("id", "type", *required, *optional, "layout")
    properties = {key: _view_property(key, view_type) for key in keys}
    return _object(properties, ["id", "type", *required, "layout"], f"A {view_type} view.")


def _parameter(parameter_type: str) -> dict[str, Any]:
    date = {"type": "string", "pattern": DATE_PATTERN}
    defaults: dict[str, dict[str, Any]] = {
        "date": _prop(
            date,
            "Default date: YYYY-MM-DD or today, today-30d, today-6m.",
            "2024-01-01",
            "today-30d",
        ),
        "date_range": {
            **_object(
                {
                    "start": _prop(date, "First day (inclusive).", "2024-01-01", "today-12m"),
                    "end": _prop(date, "Last day (inclusive).", "2024-12-31", "today"),
                },
                ["start", "end"],
                "Default range; bound as @<name>_start and @<name>_end.",
            ),
            "examples": [{"start": "today-90d", "end": "today"}],
        },
        "string": _prop({"type": "string", "maxLength": 1000}, "Default text.", "United States"),
        "number": _prop({"type": "number"}, "Default number.", 10, 0.5),
        "enum": _prop({"type": "string"}, "Default option (one of options).", "Complete"),
    }
    properties: dict[str, Any] = {
        "name": _prop(
            {"type": "string", "pattern": NAME_PATTERN}, "Name used as @name in SQL.", "start_date"
        ),
        "type": _prop({"const": parameter_type}, "Parameter type.", parameter_type),
        "label": _prop({"type": "string", "maxLength": 120}, "Label of the input control.", "Start date"),
        "default": defaults[parameter_type],
    }
    if parameter_type == "number":
        properties["integer"] = _prop({"type": "boolean"}, "Bind as INT64 instead of FLOAT64.", True)
        properties["min"] = _prop({"type": "number"}, "Smallest allowed value.", 0)
        properties["max"] = _prop({"type": "number"}, "Largest allowed value.", 100)
    if parameter_type == "enum":
        properties["options"] = _prop(
            {
                "type": "array",
                "minItems": 1,
                "maxItems": 200,
                "uniqueItems": True,
                "items": {"type": "string"},
            },
            "Allowed values.",
            ["Complete", "Shipped"],
        )
    required = ["name", "type", "default", *(["options"] if parameter_type == "enum" else [])]
    return _object(properties, required, f"A {parameter_type} parameter.")


def _dispatch(
    definitions: dict[str, dict[str, Any]], ref_prefix: str, description: str, example: Any
) -> dict[str, Any]:
    """An object whose ``type`` selects the definition that applies; each allows only its own keys.

    The outer object lists the union of all keys (descriptions only) so editors can complete them.
    """
    kinds = list(definitions)
    union: dict[str, Any] = {}
    for definition in definitions.values():
        for key, value in definition["properties"].items():
            # a stub: the selected definition holds the constraints (they differ between kinds)
            union.setdefault(key, {"description": value["description"], "examples": value["examples"]})
    union["type"] = _prop({"enum": kinds}, "Selects the definition that applies.", kinds[0])
    return {
        **_object(union, ["type"], description),
        "examples": [example],
        "allOf": [
            {
                "if": {
                    "properties": {"type": _prop({"const": kind}, f"Selects {kind}.", kind)},
                    "required": ["type"],
                },
                "then": {"$ref": f"#/$defs/{ref_prefix}_{kind}"},
            }
            for kind in kinds
        ],
    }


def _build() -> dict[str, Any]:
    view_defs = {kind: _view(kind) for kind in VIEW_TYPES}
    parameter_defs = {kind: _parameter(kind) for kind in PARAMETER_TYPES}
    query = {
        **_object(
            {
                "sql": _prop(
                    {"type": "string", "minLength": 1, "maxLength": 100_000},
                    "One BigQuery Standard SQL SELECT; parameters as @name.",
                    "SELECT country, SUM(sale_price) AS revenue FROM `demo.thelook_ecommerce.order_items` "
                    "GROUP BY country",
                ),
                "description": _prop(
                    {"type": "string", "maxLength": 500}, "What the query returns.", "Revenue"
                ),
            },
            ["sql"],
            "A named query.",
        ),
        "examples": [{"sql": "SELECT 1 AS one"}],
    }
    properties = {
        "version": _prop({"const": 1}, "Schema version of this file.", 1),
        "title": _prop({"type": "string", "minLength": 1, "maxLength": 120}, "Dashboard title.", "Revenue"),
        "description": _prop(
            {"type": "string", "maxLength": 2000}, "What the dashboard shows.", "Monthly revenue"
        ),
        "theme": _prop({"enum": list(THEMES), "default": DEFAULT_THEME}, "Colour theme.", "monotone", "dark"),
        "refresh": _prop(
            {
                "default": DEFAULT_REFRESH,
                "anyOf": [
                    {"type": "string", "pattern": REFRESH_PATTERN},
                    {"type": "integer", "minimum": 0, "maximum": 31_536_000},
                ],
            },
            "Cache time-to-live: 15m, 1h, 1d or seconds (0 disables caching).",
            "15m",
            3600,
        ),
        "parameters": _prop(
            {
                "type": "array",
                "maxItems": 50,
                "items": _dispatch(
                    parameter_defs,
                    "parameter",
                    "A typed dashboard parameter.",
                    {"name": "start_date", "type": "date", "default": "2024-01-01"},
                ),
            },
            "Inputs bound to @name in the queries.",
            [{"name": "start_date", "type": "date", "default": "today-90d"}],
        ),
        "queries": _prop(
            {
                "type": "object",
                "minProperties": 1,
                "maxProperties": 50,
                "propertyNames": {"pattern": NAME_PATTERN},
                "additionalProperties": query,
            },
            "Named queries, referenced by views.",
            {"monthly": {"sql": "SELECT 1 AS one"}},
        ),
        "views": _prop(
            {
                "type": "array",
                "minItems": 1,
                "maxItems": 100,
                "items": _dispatch(
                    view_defs,
                    "view",
                    "A view on the grid.",
                    {
                        "id": "notes",
                        "type": "text",
                        "text": "Hi",
                        "layout": {"x": 0, "y": 0, "w": 12, "h": 1},
                    },
                ),
            },
            "Views laid out on the 12-column grid.",
            [
                {
                    "id": "notes",
                    "type": "text",
                    "text": "Hi",
                    "layout": {"x": 0, "y": 0, "w": 12, "h": 1},
                }
            ],
        ),
    }
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **_object(
            properties,
            ["version", "title", "views"],
            "A Bridge dashboard: queries, parameters and views.",
        ),
        "title": "Bridge dashboard",
        "$defs": {
            "field_encoding": _field_encoding_def(),
            "layout": _layout(),
            "sort": _SORT_DEF,
            **{f"view_{kind}": definition for kind, definition in view_defs.items()},
            **{f"parameter_{kind}": definition for kind, definition in parameter_defs.items()},
        },
    }
    return schema


@cache
def _cached_json() -> str:
    return json.dumps(_build(), indent=2, sort_keys=False) + "\n"


def dashboard_schema() -> dict[str, Any]:
    """A fresh copy of the dashboard JSON Schema."""
    result: dict[str, Any] = json.loads(_cached_json())
    return result


def dashboard_schema_json() -> str:
    """The schema as the exact text committed to schemas/dashboard.schema.json."""
    return _cached_json()


if __name__ == "__main__":
    print(dashboard_schema_json(), end="")
