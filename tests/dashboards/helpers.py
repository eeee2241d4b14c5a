"""Paths and small helpers shared by the dashboard tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCHEMA_FILE = REPO / "schemas" / "dashboard.schema.json"
VALID_DIR = REPO / "schemas" / "examples" / "valid"
INVALID_DIR = REPO / "schemas" / "examples" / "invalid"
VEGA_LITE_SCHEMA = REPO / "node_modules" / "vega-lite" / "build" / "vega-lite-schema.json"
DEMO_PREFIX = "demo.thelook_ecommerce."


DEMO_TABLES = frozenset(
    DEMO_PREFIX + table
    for table in (
        "users",
        "orders",
        "order_items",
        "products",
        "inventory_items",
        "distribution_centers",
        "events",
    )
)


def demo_tables() -> Callable[[str], bool]:
    """allowed_tables for the demo connection: its seven catalogued tables."""
    return lambda name: name.lower() in DEMO_TABLES


def valid_examples() -> list[Path]:
    return sorted(VALID_DIR.glob("*.yaml"))


def invalid_examples() -> list[Path]:
    return sorted(INVALID_DIR.glob("*.yaml"))
