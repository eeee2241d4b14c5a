"""The knowledge file's schema (generated, current), its examples, and the loader's located errors."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from shared.dashboards.yaml_source import load_source
from shared.knowledge.fragments import expand_metric
from shared.knowledge.schema import knowledge_schema_json
from shared.knowledge.validate import TableColumns, validate_knowledge

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_FILE = ROOT / "schemas" / "knowledge.schema.json"
EXAMPLES = ROOT / "schemas" / "examples" / "knowledge"
EXPECT = re.compile(r"^# expect: (\S+) (\d+) (.+)$")
COLUMNS = {
    "order_items": {"id": "INT64", "order_id": "INT64", "user_id": "INT64", "sale_price": "FLOAT64", "status": "STRING"},
    "users": {"id": "INT64", "created_at": "TIMESTAMP", "traffic_source": "STRING"},
    "orders": {"order_id": "INT64"},
}  # fmt: skip
TABLES = {short: TableColumns(f"demo.thelook_ecommerce.{short}", cols) for short, cols in COLUMNS.items()}


def check(text: str):  # type: ignore[no-untyped-def]
    return validate_knowledge(
        text,
        tables=TABLES,
        allowed_tables=lambda n: n.startswith("demo.thelook_ecommerce."),
        default_project="demo",
    )


def test_committed_schema_is_current_and_valid() -> None:
    assert SCHEMA_FILE.read_text() == knowledge_schema_json(), (
        "run: python -m shared.knowledge.schema > schemas/knowledge.schema.json"
    )
    schema = json.loads(SCHEMA_FILE.read_text())
    Draft202012Validator.check_schema(schema)
    assert schema["properties"]["version"]["const"] == 1
    assert schema["$defs"]["Metric"]["additionalProperties"] is False


@pytest.mark.parametrize("path", sorted((EXAMPLES / "valid").glob("*.yaml")), ids=lambda p: p.name)
def test_valid_examples_load(path: Path) -> None:
    report = check(path.read_text())
    assert report.errors == [] and report.model is not None
    # the JSON Schema alone (what an editor checks) agrees
    data = load_source(path.read_text()).data
    assert list(Draft202012Validator(json.loads(SCHEMA_FILE.read_text())).iter_errors(data)) == []


@pytest.mark.parametrize("path", sorted((EXAMPLES / "invalid").glob("*.yaml")), ids=lambda p: p.name)
def test_invalid_examples_fail_at_their_line(path: Path) -> None:
    text = path.read_text()
    match = EXPECT.match(text.splitlines()[0])
    assert match, f"{path.name} must start with '# expect: <path> <line> <message>'"
    where, line, message = match.group(1), int(match.group(2)), match.group(3)
    report = check(text)
    assert report.model is None
    assert any(e["path"] == where and e["line"] == line and message in e["message"] for e in report.errors), (
        report.errors
    )


def test_issue_example_probes_are_guarded_selects() -> None:
    report = check((EXAMPLES / "valid" / "thelook.yaml").read_text())
    by_path = {p.path: p.sql for p in report.probes}
    aov = by_path[("metrics", 1, "sql")]
    # revenue is written in, and its filter inherited
    assert aov.startswith(
        "SELECT (SUM(order_items.sale_price)) / COUNT(DISTINCT order_items.order_id) AS value"
    )
    assert "FROM `demo.thelook_ecommerce.order_items` AS order_items" in aov
    assert "WHERE (order_items.status NOT IN ('Cancelled', 'Returned'))" in aov
    assert report.model is not None
    assert expand_metric(report.model, "average_order_value").uses == ("revenue",)


def test_a_metric_over_two_tables_joins_them_and_a_table_outside_the_catalog_is_refused() -> None:
    two = (
        "version: 1\nmetrics:\n  - name: x\n    sql: COUNT(DISTINCT users.id) / SUM(order_items.sale_price)\n"
    )
    (probe,) = check(two).probes
    assert "JOIN `demo.thelook_ecommerce.users` AS users ON users.id = order_items.user_id" in probe.sql
    secret = "version: 1\nmetrics:\n  - name: x\n    sql: SUM(payroll.salary)\n"
    (err,) = check(secret).errors
    assert (err["path"], err["line"], err["message"]) == (
        "metrics[0].sql",
        4,
        "no table 'payroll' in this connection's catalog",
    )
    unjoined = "version: 1\nmetrics:\n  - name: x\n    sql: COUNT(orders.order_id) + COUNT(users.id)\n"
    (err,) = check(unjoined).errors
    assert "no join path from orders to users" in err["message"]


def test_a_function_reaching_outside_is_refused_by_the_guard() -> None:
    text = "version: 1\nmetrics:\n  - name: x\n    sql: SUM(order_items.sale_price) + EXTERNAL_QUERY('c', 'SELECT 1')\n"
    (err,) = check(text).errors
    assert err["line"] == 4 and "EXTERNAL_QUERY" in err["message"]


def test_two_metrics_cannot_claim_the_same_word() -> None:
    text = (
        "version: 1\nmetrics:\n  - name: revenue\n    sql: SUM(order_items.sale_price)\n"
        "  - name: gmv\n    synonyms: [revenue]\n    sql: SUM(order_items.sale_price)\n"
    )
    (err,) = check(text).errors
    assert (err["path"], err["line"]) == ("metrics[1].synonyms[0]", 6)


def test_a_verified_answers_sql_is_guarded_and_probed() -> None:
    good = "version: 1\nverified_answers:\n  - question: Orders\n    sql: SELECT COUNT(*) AS n FROM `demo.thelook_ecommerce.orders`\n"
    report = check(good)
    assert report.errors == [] and [p.path for p in report.probes] == [("verified_answers", 0, "sql")]
    bad = "version: 1\nverified_answers:\n  - question: Orders\n    sql: DELETE FROM `demo.thelook_ecommerce.orders` WHERE TRUE\n"
    (err,) = check(bad).errors
    assert (err["path"], err["line"]) == ("verified_answers[0].sql", 4) and "DELETE" in err["message"]
    neither = "version: 1\nverified_answers:\n  - question: Orders\n"
    (err,) = check(neither).errors
    assert err["path"] == "verified_answers[0]" and "dashboard or the sql" in err["message"]
