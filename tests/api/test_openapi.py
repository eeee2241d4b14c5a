"""schemas/openapi.yaml describes exactly the routes the functions serve."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from shared.entry.functions import dev_app

SPEC = Path(__file__).resolve().parents[2] / "schemas" / "openapi.yaml"
METHODS = {"get", "post", "put", "delete", "patch"}


def served_routes() -> set[tuple[str, str]]:
    out = set()
    for rule in dev_app().url_map.iter_rules():
        if rule.endpoint == "static" or rule.rule.startswith("/tasks/") or not rule.rule.startswith("/v1/"):
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        out |= {(m.lower(), path) for m in (rule.methods or ()) if m.lower() in METHODS}
    return out


def documented_routes() -> set[tuple[str, str]]:
    spec = yaml.safe_load(SPEC.read_text())
    return {(m, p) for p, item in spec["paths"].items() for m in item if m in METHODS}


def test_every_served_route_is_documented_and_vice_versa() -> None:
    served, documented = served_routes(), documented_routes()
    assert served - documented == set(), "served but not in openapi.yaml"
    assert documented - served == set(), "in openapi.yaml but not served"


def test_spec_is_valid_openapi() -> None:
    from jsonschema import Draft202012Validator

    spec = yaml.safe_load(SPEC.read_text())
    assert spec["openapi"].startswith("3.1")
    for name, schema in spec["components"]["schemas"].items():
        Draft202012Validator.check_schema(schema), name
