"""Warehouse fixtures for the contract suite.

``WAREHOUSE_FACTORIES`` lists one factory per adapter; each takes the session's demo DuckDB file
(an adapter that does not need it ignores it) and returns a ready ``Warehouse`` whose project
holds the ``thelook_ecommerce`` dataset. A BigQuery factory is appended here later and must pass
the same tests.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from shared.adapters.warehouse.port import Warehouse

WarehouseFactory = Callable[[Path], Warehouse]


def duckdb_warehouse(demo_file: Path) -> Warehouse:
    from shared.adapters.warehouse.duckdb_adapter import DuckDBWarehouse

    return DuckDBWarehouse(demo_file, project="demo")


WAREHOUSE_FACTORIES = [pytest.param(duckdb_warehouse, id="duckdb")]


@pytest.fixture(params=WAREHOUSE_FACTORIES)
def warehouse(request: pytest.FixtureRequest, demo_warehouse: Path) -> Warehouse:
    """Each adapter under test over the demo ``thelook_ecommerce`` dataset."""
    factory: WarehouseFactory = request.param
    return factory(demo_warehouse)
