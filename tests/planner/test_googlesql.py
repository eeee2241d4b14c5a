"""The planner's SQL for the whole demo and SaaS development sets type-checks as GoogleSQL.

DuckDB runs the dev sets locally and forgives what BigQuery refuses (reserved words as aliases,
``IN`` lists of strings on numeric columns). Here every query of every
saved dashboard goes through ZetaSQL's analyzer (googlesql.py) with the connection's scanned
tables and the dashboard's bound parameters.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from shared.adapters.warehouse.port import QueryParam
from shared.dashboards.params import bind_parameters
from shared.services import connections

from .googlesql import GoogleSqlAnalyzer, available, tables_of
from .planner_checks import Case
from .planner_env import PlannerEnv
from .test_dev_set_demo import CASES as DEMO_CASES
from .test_dev_set_saas import CASES as SAAS_CASES

pytestmark = pytest.mark.skipif(available() is not None, reason=str(available()))


@pytest.fixture(scope="module")
def analyzer() -> Iterator[GoogleSqlAnalyzer]:
    server = GoogleSqlAnalyzer()
    try:
        yield server
    finally:
        server.close()


def _problems(env: PlannerEnv, analyzer: GoogleSqlAnalyzer, case: Case) -> list[str]:
    turn = env.ask_new(case.message)
    assert turn.saved, f"{case.message!r} saved no dashboard: {turn.text}"
    dashboard, _text, _version = env.dashboard(turn.saved["dashboard_slug"])
    with env.container.db.session() as s:
        conn = connections.require_connection(s, env.user, env.connection_id)
        datasets = connections.open_warehouse(env.container, conn).scan_catalog()
    tables = tables_of(datasets)
    params = bind_parameters(dashboard, {})
    problems = []
    for name, query in dashboard["queries"].items():
        used = tuple(p for p in params if f"@{p.name}" in query["sql"])
        error = analyzer.analyze(tables, query["sql"], used)
        if error:
            problems.append(f"{name}: {error}\n{query['sql']}")
        # The catalog is really consulted: an unknown column in the same query is refused.
        broken = query["sql"].replace("SELECT", "SELECT no_such_column,", 1)
        assert "no_such_column" in str(analyzer.analyze(tables, broken, used))
    assert tables and dashboard["queries"]
    return problems


def test_the_analyzer_refuses_what_bigquery_refuses(analyzer: GoogleSqlAnalyzer) -> None:
    tables = [{"name": "p.d.orders", "columns": [["id", "TYPE_INT64"], ["day", "TYPE_DATE"]]}]

    assert analyzer.analyze(tables, "SELECT o.id FROM `p.d.orders` AS o") is None
    assert "Syntax error" in str(analyzer.analyze(tables, "SELECT of.id FROM `p.d.orders` AS of"))
    assert "IN" in str(analyzer.analyze(tables, "SELECT id FROM `p.d.orders` WHERE id IN ('1', '2')"))


def test_a_registered_catalog_answers_a_batch_as_single_calls(analyzer: GoogleSqlAnalyzer) -> None:
    tables = [{"name": "p.d.orders", "columns": [["id", "TYPE_INT64"], ["day", "TYPE_DATE"]]}]
    day = (QueryParam("day", "DATE", "2026-01-01"),)
    batch = [
        ("SELECT DATE_TRUNC(day, MONTH) AS m, COUNT(*) FROM `p.d.orders` GROUP BY m", ()),
        ("SELECT o.id FROM d.orders AS o WHERE o.day >= @day", day),
        ("SELECT of.id FROM `p.d.orders` AS of", ()),
        ("SELECT id FROM `p.d.orders` WHERE id IN ('1', '2')", ()),
        ("SELECT o.id FROM d.orders AS o WHERE o.day >= @day", ()),  # the parameter is not declared
        ("SELECT id FROM `p.d.other`", ()),
    ]
    answers = analyzer.analyze_many(analyzer.register(tables), batch)
    assert answers == [analyzer.analyze(tables, sql, params) for sql, params in batch]
    assert answers[:2] == [None, None] and all(answers[2:]), answers


@pytest.mark.parametrize("case", DEMO_CASES, ids=str)
def test_demo_dev_set_sql_is_googlesql(demo_env: PlannerEnv, analyzer: GoogleSqlAnalyzer, case: Case) -> None:
    assert _problems(demo_env, analyzer, case) == []


@pytest.mark.parametrize("case", SAAS_CASES, ids=str)
def test_saas_dev_set_sql_is_googlesql(saas_env: PlannerEnv, analyzer: GoogleSqlAnalyzer, case: Case) -> None:
    assert _problems(saas_env, analyzer, case) == []
