"""Read the Terraform configuration with python-hcl2 into plain Python data (no provider needed)."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import hcl2

ROOT = Path(__file__).resolve().parents[2]
TERRAFORM = ROOT / "terraform"
FUNCTIONS = ROOT / "functions"

_REF = re.compile(r"\b(var|local|module)\.([A-Za-z_][A-Za-z0-9_-]*)")


def tf_files() -> list[Path]:
    """Every .tf file under terraform/, sorted."""
    return sorted(p for p in TERRAFORM.rglob("*.tf") if ".terraform" not in p.parts)


def module_dirs() -> list[Path]:
    """The root module and every local child module."""
    return [TERRAFORM, *sorted(p for p in (TERRAFORM / "modules").iterdir() if p.is_dir())]


@cache
def parse(path: Path) -> dict[str, Any]:
    """One file, with HCL's quoting removed from strings and labels."""
    with path.open() as f:
        tree: dict[str, Any] = plain(hcl2.load(f))
    return tree


def plain(value: Any) -> Any:
    """Strip the quotes python-hcl2 keeps around string literals and drop its block and comment markers."""
    if isinstance(value, dict):
        return {plain(k): plain(v) for k, v in value.items() if not str(k).startswith("__")}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def blocks(directory: Path, kind: str) -> list[dict[str, Any]]:
    """Top-level blocks of one kind (resource, module, variable, ...) across a module's files."""
    return [b for p in sorted(directory.glob("*.tf")) for b in parse(p).get(kind, [])]


def labelled(directory: Path, kind: str) -> dict[str, dict[str, Any]]:
    """Blocks with one label (module, variable, output), by label."""
    return {name: body for b in blocks(directory, kind) for name, body in b.items()}


def resources(directory: Path, rtype: str) -> dict[str, dict[str, Any]]:
    """Resources of one type in a module, by name."""
    return {n: body for b in blocks(directory, "resource") for n, body in b.get(rtype, {}).items()}


def all_resource_types(directory: Path) -> list[str]:
    return [t for b in blocks(directory, "resource") for t in b]


def locals_(directory: Path) -> dict[str, Any]:
    """Every local value of a module (across its locals blocks)."""
    merged: dict[str, Any] = {}
    for b in blocks(directory, "locals"):
        merged.update(b)
    return merged


def references(directory: Path) -> set[tuple[str, str]]:
    """(kind, name) of every var./local./module. reference in a module's files."""
    return {(m[1], m[2]) for p in directory.glob("*.tf") for m in _REF.finditer(p.read_text())}


def function_folders() -> list[str]:
    """Folders under functions/ holding a main.py (the deployable functions)."""
    return sorted(p.parent.name for p in FUNCTIONS.glob("*/main.py"))
