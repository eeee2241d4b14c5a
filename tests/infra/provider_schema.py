"""The google provider's resource schemas, read from the ``@cdktf/provider-google`` npm package.

cdktf generates one folder per resource (``lib/compute-url-map``) and data source
(``lib/data-google-storage-project-service-account``) from the provider's own schema. Its
``index.js`` serialises every block with ``<struct>ToHclTerraform`` functions that list each
argument by its Terraform name with ``isBlock``; its ``index.d.ts`` marks optional properties
with ``?``; the resource class reads every attribute, computed ones included, with
``get*Attribute('name')``. That is all a static check of ``terraform/`` needs: which arguments and
blocks exist at each level, which are required, and which attributes a reference may read.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from tfconfig import ROOT

PACKAGE = ROOT / "node_modules" / "@cdktf" / "provider-google"
# Other providers terraform/ uses, read the same way: their resources are <provider>_x_y.
PACKAGES = {"google": PACKAGE, "random": ROOT / "node_modules" / "@cdktf" / "provider-random"}

_FUNCTION = re.compile(
    r"^function (\w+)ToHclTerraform\(struct\) \{(.*?)^\}", re.M | re.S
)  # one struct's serialiser
_SYNTH = re.compile(r"synthesizeHclAttributes\(\) \{(.*?)\n    \}\n", re.S)
_ENTRY = re.compile(r"^\s{8,16}(\w+): \{\s*value: (.*?),\s*isBlock: (true|false),", re.M | re.S)
_NESTED = re.compile(r"(?<!cdktf\.)\b(\w+)ToHclTerraform\b")
_CAMEL = re.compile(r"(?:struct\.|this\._)(\w+)")
_INTERFACE = re.compile(r"^export interface (\w+)(?: extends [\w., ]+)? \{(.*?)^\}", re.M | re.S)
_PROPERTY = re.compile(r"^\s+readonly (\w+)(\??):", re.M)
_RESOURCE_TYPE = re.compile(r'^(\w+)\.tfResourceType = "(\w+)";', re.M)
_ATTRIBUTE = re.compile(r"get\w*Attribute\('(\w+)'\)")


@dataclass
class Block:
    """One schema level: its arguments, its nested blocks, and which of either are required."""

    arguments: set[str] = field(default_factory=set)
    blocks: dict[str, Block] = field(default_factory=dict)
    required: set[str] = field(default_factory=set)


@dataclass
class Resource:
    """A resource or data source: its configuration block and every attribute it exposes."""

    type: str
    config: Block
    attributes: set[str]


def package_version() -> str:
    return str(json.loads((PACKAGE / "package.json").read_text())["version"])


def folder(kind: str, rtype: str) -> Path:
    """The package folder of ``google_x_y`` (``lib/x-y``) or of data source ``google_x_y``; the
    same for the other providers of :data:`PACKAGES` (``random_password``: ``lib/password``)."""
    provider, _, rest = rtype.partition("_")
    package = PACKAGES.get(provider, PACKAGE)
    name = rest.replace("_", "-")
    return package / "lib" / (f"data-{provider}-{name}" if kind == "data" else name)


@cache
def resource(kind: str, rtype: str) -> Resource | None:
    """The schema of one resource (``kind="resource"``) or data source (``kind="data"``); None if unknown."""
    path = folder(kind, rtype)
    if not (path / "index.js").is_file():
        return None
    js = (path / "index.js").read_text()
    dts = (path / "index.d.ts").read_text()
    types = dict((t, c) for c, t in _RESOURCE_TYPE.findall(js))
    class_name = types.get(rtype)
    if class_name is None:
        return None
    optional = _optional_properties(dts)
    entries = {name: _entries(body) for name, body in _FUNCTION.findall(js)}
    body_start = js.index(f"class {class_name} extends cdktf.Terraform")
    class_body = js[body_start : js.index(f"{class_name}.tfResourceType")]
    synth = _SYNTH.search(class_body)
    assert synth, f"{path}: no synthesizeHclAttributes in {class_name}"

    def build(rows: list[tuple[str, str, bool]], interface: str, seen: tuple[str, ...]) -> Block:
        block = Block()
        props = optional.get(interface, {})
        for name, value, is_block in rows:
            camel = _CAMEL.search(value)
            if camel and props.get(camel.group(1)) is False:
                block.required.add(name)
            nested = _NESTED.search(value)
            if is_block and nested and nested.group(1) not in seen:
                fn = nested.group(1)
                block.blocks[name] = build(entries.get(fn, []), fn[0].upper() + fn[1:], (*seen, fn))
            elif is_block:
                block.blocks[name] = Block()
            else:
                block.arguments.add(name)
        return block

    config = build(_entries(synth.group(1)), f"{class_name}Config", ())
    attributes = set(_ATTRIBUTE.findall(class_body)) | config.arguments | set(config.blocks)
    return Resource(rtype, config, attributes)


def _entries(body: str) -> list[tuple[str, str, bool]]:
    return [(name, value, flag == "true") for name, value, flag in _ENTRY.findall(body)]


def _optional_properties(dts: str) -> dict[str, dict[str, bool]]:
    """interface name → property → optional?"""
    return {
        name: {prop: bool(mark) for prop, mark in _PROPERTY.findall(body)}
        for name, body in _INTERFACE.findall(dts)
    }
