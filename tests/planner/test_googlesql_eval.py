"""The planner's SQL for the eval dev set (nvBench 1.0, read at run time) type-checks as GoogleSQL.

A stratified sample (by chart type) runs here; ``make googlesql-eval`` checks every case and
prints the figures. Each case database's catalog comes from its schema.json (googlesql_eval.py).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import pytest

from shared.evaluation.cases import stratified_sample
from shared.evaluation.tables import nvbench1_databases

from .googlesql import GoogleSqlAnalyzer, available
from .googlesql_eval import EVAL_FOLDERS, _select, catalog_of, cause, check_cases, eval_sets, summary

SAMPLE = int(os.environ.get("BRIDGE_GOOGLESQL_EVAL_SAMPLE", "40"))

pytestmark = [
    pytest.mark.skipif(available() is not None, reason=str(available())),
    pytest.mark.skipif(not eval_sets(), reason=f"no nvBench 1.0 eval folder at {EVAL_FOLDERS}"),
]


def test_the_catalog_is_the_schema_json_with_bigquery_types() -> None:
    [case_set] = eval_sets()
    specs = nvbench1_databases(case_set.tables_dir)
    spec = next(iter(specs.values()))
    [first, *_] = catalog_of(spec)
    table = spec.tables[0]
    assert first["name"] == f"nvbench.{spec.name}.{table.name}"
    assert [c[0] for c in first["columns"]] == [n for n, _ in table.columns]
    kinds = {kind for t in catalog_of(spec) for _, kind in t["columns"]}
    assert kinds <= {"TYPE_INT64", "TYPE_DOUBLE", "TYPE_STRING", "TYPE_DATE", "TYPE_TIMESTAMP", "TYPE_BOOL"}


def test_slices_of_the_seeded_order_add_up_to_the_whole_set() -> None:
    [case_set] = eval_sets()

    def ids(part: str) -> list[str]:
        args = argparse.Namespace(sample=None, per_vis=False, seed=1, slice=part)
        return [c.id for c in _select(case_set, args)]

    whole = ids(":")
    assert sorted(whole) == sorted(c.id for c in case_set.cases) and whole != [c.id for c in case_set.cases]
    assert ids(":100") + ids("100:2500") + ids("2500:") == whole
    assert len(ids("100:2500")) == 2400


def test_causes_group_errors_without_positions_or_names() -> None:
    a = "No matching signature for operator IN for argument types INT64, STRING [at 1:40]"
    b = "No matching signature for operator IN for argument types INT64, STRING [at 3:2]"
    assert cause(a) == cause(b)
    assert cause("Unrecognized name: Rank [at 1:8]") == cause("Unrecognized name: Sex [at 2:1]")
    assert cause("Unrecognized name: Rank") != cause(a)


def test_eval_dev_set_sample_sql_is_googlesql(tmp_path: Path) -> None:
    [case_set] = eval_sets()
    cases = stratified_sample(case_set.cases, SAMPLE, seed=1)
    analyzer = GoogleSqlAnalyzer()
    try:
        results = list(check_cases(case_set, cases, tmp_path, analyzer=analyzer))
        # The case's own catalog is really consulted: an unknown column in a passing query is refused.
        specs = nvbench1_databases(case_set.tables_dir)
        db, sql = next((r.db, q.sql) for r in results for q in r.queries if "@" not in q.sql)
        broken = sql.replace("SELECT", "SELECT no_such_column,", 1)
        assert "no_such_column" in str(analyzer.analyze(catalog_of(specs[db]), broken))
        # A catalog registered once answers a batch as the per-call catalog answers each query.
        registered = analyzer.register(catalog_of(specs[db]))
        ok, refused = analyzer.analyze_many(registered, [(sql, ()), (broken, ())])
        assert ok is None and "no_such_column" in str(refused)
    finally:
        analyzer.close()
    figures = summary(results, 0.0)
    assert figures["cases"] == len(cases) == SAMPLE
    # Most cases save a dashboard (the eval's own figures); every one of their queries is analysed.
    assert figures["queries"] >= len(cases) // 2, figures["outcomes"]
    problems = [f"{r.case_id}: {q.error}\n{q.sql}" for r in results for q in r.failures]
    assert problems == []
