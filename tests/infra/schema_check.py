"""Check parsed Terraform blocks against the provider schema (see provider_schema.py).

Reports, per resource or data block: an argument or block the schema does not have, a block
written as an argument (or the reverse), a required argument missing, and a reference such as
``google_service_account.this.member`` to an attribute the resource does not expose.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from provider_schema import Block, resource
from tfconfig import TERRAFORM, parse

META = {"count", "for_each", "depends_on", "provider", "lifecycle", "provisioner", "connection"}
LIFECYCLE = {
    "create_before_destroy",
    "prevent_destroy",
    "ignore_changes",
    "replace_triggered_by",
    "precondition",
    "postcondition",
}
BUILTIN = {"terraform_data"}  # the terraform provider, not google
_REFERENCE = re.compile(r"(?<![\w.])(data\.)?((?:google|random)_\w+)\.(\w+)(?:\[[^\]]*\])?\.(\w+)")


def check_block(body: dict[str, Any], schema: Block, where: str, *, top: bool = False) -> list[str]:
    """Problems of one block body (python-hcl2 shape) against one schema level."""
    problems = []
    present = set()
    for key, value in body.items():
        if top and key in META:
            if key == "lifecycle":
                for life in value:
                    problems += [f"{where}: lifecycle has no {k!r}" for k in set(life) - LIFECYCLE]
            continue
        if key == "dynamic":
            for dyn in value:
                for label, spec in dyn.items():
                    if label not in schema.blocks:
                        problems.append(f"{where}: dynamic {label!r} is not a block here")
                        continue
                    present.add(label)
                    for content in spec.get("content", []):
                        problems += check_block(content, schema.blocks[label], f"{where}.{label}")
            continue
        present.add(key)
        if key in schema.blocks:
            if not (isinstance(value, list) and all(isinstance(v, dict) for v in value)):
                problems.append(f"{where}: {key!r} is a block, written as an argument")
                continue
            for item in value:
                problems += check_block(item, schema.blocks[key], f"{where}.{key}")
        elif key not in schema.arguments:
            problems.append(f"{where}: unsupported argument or block {key!r}")
    missing = schema.required - present
    problems += [f"{where}: required {name!r} is missing" for name in sorted(missing)]
    return problems


def check_file(path: Path) -> list[str]:
    """Every resource and data block of one .tf file, and every google_* reference in it."""
    tree = parse(path)
    rel = path.relative_to(TERRAFORM) if path.is_relative_to(TERRAFORM) else path.name
    problems = []
    for kind in ("resource", "data"):
        for item in tree.get(kind, []):
            for rtype, named in item.items():
                if rtype in BUILTIN:
                    continue
                schema = resource(kind, rtype)
                if schema is None:
                    problems.append(f"{rel}: {kind} type {rtype!r} is not in the provider")
                    continue
                for name, body in named.items():
                    problems += check_block(body, schema.config, f"{rel}: {rtype}.{name}", top=True)
    for data, rtype, _name, attr in _REFERENCE.findall(path.read_text()):
        schema = resource("data" if data else "resource", rtype)
        if schema is not None and attr not in schema.attributes:
            problems.append(f"{rel}: {data}{rtype} has no attribute {attr!r}")
    return problems
