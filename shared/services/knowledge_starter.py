"""A starter knowledge file from the catalog scan: likely metrics, dimensions and join keys.

Nothing here reads data: numeric money-like columns become ``total_<column>`` sums, tables that
date their rows become ``<table>_count`` counts, category-like text columns are listed as
dimensions (with no synonyms yet: the planner matches their names anyway; the admin adds the words
people use), and ``x_id`` columns whose table ``x``/``xs`` has an
``id`` become join paths. The admin reviews, edits and saves it (the save checks it as any other).
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from shared.knowledge.validate import TableColumns

MONEY = re.compile(r"(price|amount|revenue|sales|cost|total|fee|value|mrr|arr)")
NOT_DIMENSION = re.compile(
    r"(^id$|_id$|email|address|street|postal|zip|phone|latitude|longitude|^ip|uri|url|sku|session|"
    r"first_name|last_name|^name$|password|token|hash|description)"
)
DIMENSION_HINT = re.compile(
    r"(category|brand|status|country|state|city|source|department|gender|type|plan|tier|segment|region|channel)"
)
NUMERIC = ("INT", "FLOAT", "NUMERIC", "DECIMAL", "BIGNUMERIC")
TEMPORAL = ("DATE", "TIMESTAMP", "DATETIME")
MAX_METRICS = 20
MAX_DIMENSIONS = 30
HEADER = "# yaml-language-server: $schema=https://bridge.dev/schemas/knowledge.schema.json\n"


def starter(tables: dict[str, TableColumns]) -> dict[str, Any]:
    """The starter file as plain data (``version: 1`` and the lists found)."""
    metrics: list[dict[str, Any]] = []
    dimensions: list[dict[str, Any]] = []
    joins: list[dict[str, str]] = []
    for short in sorted(tables):
        cols = tables[short].columns
        dated = any(t.upper().startswith(TEMPORAL) for t in cols.values())
        if dated and "id" in cols and len(metrics) < MAX_METRICS:
            metrics.append({"name": f"{short}_count", "sql": f"COUNT({short}.id)", "format": "integer"})
        for col, typ in cols.items():
            kind = typ.upper()
            money = kind.startswith(NUMERIC) and MONEY.search(col) and not col.endswith("_id") and col != "id"
            if money and len(metrics) < MAX_METRICS:
                name = f"total_{short}_{col}"[:64]
                metrics.append({"name": name, "sql": f"SUM({short}.{col})", "format": "currency"})
            label = kind == "STRING" and DIMENSION_HINT.search(col) and not NOT_DIMENSION.search(col)
            if label and len(dimensions) < MAX_DIMENSIONS:
                dimensions.append({"column": f"{short}.{col}", "synonyms": []})
            if col.endswith("_id") and col != "id":
                stem = col[:-3]
                target = next(
                    (t for t in (stem, stem + "s", stem + "es") if t in tables and t != short), None
                )
                if target and "id" in tables[target].columns:
                    joins.append({"from": f"{short}.{col}", "to": f"{target}.id"})
    data: dict[str, Any] = {"version": 1}
    for key, value in (("metrics", metrics), ("dimensions", dimensions), ("joins", joins)):
        if value:
            data[key] = value
    return data


def starter_yaml(tables: dict[str, TableColumns]) -> str:
    body = yaml.safe_dump(starter(tables), sort_keys=False, allow_unicode=True, width=100)
    return HEADER + "# A starter generated from the catalog scan: review, edit and save it.\n" + body
