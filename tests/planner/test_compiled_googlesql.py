"""Every SQL text the compile step emits for the example dashboards type-checks as GoogleSQL.

DuckDB runs the compiled views locally and forgives what BigQuery refuses; here each view's SQL
(KPI comparisons with their shifted periods, totals rows with their UNION ALL, series caps, ...)
goes through ZetaSQL's analyzer with the demo warehouse's tables and the bound parameters.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.adapters.warehouse.duckdb_adapter import DuckDBWarehouse
from shared.dashboards.compile import compile_dashboard
from shared.dashboards.params import bind_parameters, select_parameters
from shared.dashboards.validate import validate_dashboard

from .googlesql import ROOT, GoogleSqlAnalyzer, available, tables_of

pytestmark = pytest.mark.skipif(available() is not None, reason=str(available()))
EXAMPLES = sorted((ROOT / "schemas" / "examples" / "valid").glob("*.yaml"))


@pytest.fixture(scope="module")
def analyzer() -> Iterator[GoogleSqlAnalyzer]:
    server = GoogleSqlAnalyzer()
    try:
        yield server
    finally:
        server.close()


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_compiled_views_are_googlesql(path: Path, analyzer: GoogleSqlAnalyzer, demo_warehouse: Path) -> None:
    tables = tables_of(DuckDBWarehouse(demo_warehouse).scan_catalog())
    report = validate_dashboard(path.read_text())
    assert report.model is not None, report.errors
    params = bind_parameters(report.model, {})
    problems = []
    for view in compile_dashboard(report.model).views:
        if view.sql is None:
            continue
        error = analyzer.analyze(tables, view.sql, select_parameters(params, view.parameter_names))
        if error:
            problems.append(f"{view.view_id}: {error}\n{view.sql}")
    assert problems == []
