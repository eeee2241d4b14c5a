"""Bridge's agent tools on the real demo warehouse: catalog reads, column values, validate, dashboards."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from shared.adapters.identity.port import Principal
from shared.agent.context import AgentContext
from shared.agent.tools import ToolOutcome, ToolRegistry, build_registry
from shared.bootstrap import Container, set_container
from shared.dev.seed import DEMO_EMAIL, seed_demo
from shared.settings import Settings

TOOLS = {
    "list_datasets",
    "list_tables",
    "search_catalog",
    "get_table_schema",
    "get_column_values",
    "run_dry_run_query",
    "validate_dashboard_yaml",
    "save_dashboard_yaml",
    "list_dashboards",
    "get_dashboard",
}
ITEMS = "demo.thelook_ecommerce.order_items"


@pytest.fixture(scope="module")
def ctx(tmp_path_factory: pytest.TempPathFactory, demo_warehouse: Path) -> Iterator[AgentContext]:
    from shared.db.migrate import upgrade

    root = tmp_path_factory.mktemp("tools")
    settings = Settings(
        data_dir=root / "data",
        database_url=f"sqlite:///{root / 'bridge.db'}",
        auth_secret="test-secret-0123456789-0123456789-abcdef",
    )
    c = Container(settings)
    upgrade(c.db.engine)
    settings.demo_warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    os.link(demo_warehouse, settings.demo_warehouse_path)
    set_container(c)
    try:
        team_id, conn_id = seed_demo(c)
        yield AgentContext(c, team_id, conn_id, Principal(DEMO_EMAIL, DEMO_EMAIL), "cs_tools", "tu_tools")
    finally:
        set_container(None)
        c.db.engine.dispose()


@pytest.fixture(scope="module")
def registry() -> ToolRegistry:
    return build_registry()


def ok(outcome: ToolOutcome) -> Any:
    assert outcome.ok, outcome.error
    return outcome.result


def test_registry_exposes_every_tool_with_argument_and_result_schemas(registry: ToolRegistry) -> None:
    assert set(registry.names()) == TOOLS
    for spec in registry.specs():
        assert spec.parameters["type"] == "object" and spec.parameters.get("additionalProperties") is False
        assert len(spec.description) > 60, spec.name
    assert all(t.result.get("required") for t in build_registry()._tools.values())


def test_list_datasets_and_tables(registry: ToolRegistry, ctx: AgentContext) -> None:
    (dataset,) = ok(registry.call("list_datasets", {}, ctx))["datasets"]
    assert dataset["name"] == "demo.thelook_ecommerce" and dataset["table_count"] == 7
    tables = {
        t["name"]: t
        for t in ok(registry.call("list_tables", {"dataset": "thelook_ecommerce"}, ctx))["tables"]
    }
    assert len(tables) == 7
    assert tables[ITEMS]["partitioning"] == "created_at" and tables[ITEMS]["row_count"] > 0
    assert tables[ITEMS]["size_bytes"] > 0 and "revenue" in tables[ITEMS]["description"]
    assert tables["demo.thelook_ecommerce.products"]["partitioning"] is None
    missing = registry.call("list_tables", {"dataset": "nope"}, ctx)
    assert missing.error is not None and missing.error.code == "not_found"


def test_list_tables_pages_through_the_catalog(registry: ToolRegistry, ctx: AgentContext) -> None:
    first = ok(registry.call("list_tables", {"limit": 3}, ctx))
    assert len(first["tables"]) == 3 and first["total"] == 7 and first["next_cursor"] == "3"
    rest = ok(registry.call("list_tables", {"limit": 5, "cursor": first["next_cursor"]}, ctx))
    assert len(rest["tables"]) == 4 and rest["next_cursor"] is None
    names = [t["name"] for t in first["tables"] + rest["tables"]]
    assert names == sorted(names) and len(set(names)) == 7


@pytest.mark.parametrize(
    ("query", "best"),
    [
        ("revenue of order items by sale price", ITEMS),
        ("how many users signed up per traffic source", "demo.thelook_ecommerce.users"),
        ("distribution center locations", "demo.thelook_ecommerce.distribution_centers"),
        ("product brand and retail price", "demo.thelook_ecommerce.products"),
    ],
)
def test_search_catalog_ranks_the_table_that_answers(
    registry: ToolRegistry, ctx: AgentContext, query: str, best: str
) -> None:
    found = ok(registry.call("search_catalog", {"query": query, "limit": 3}, ctx))
    assert found["tables"][0]["name"] == best, found
    assert found["tables"][0]["score"] > 0 and found["total_tables"] == 7
    assert len(found["tables"]) == 3
    scores = [t["score"] for t in found["tables"]]
    assert scores == sorted(scores, reverse=True)


def test_search_catalog_names_the_matching_columns(registry: ToolRegistry, ctx: AgentContext) -> None:
    found = ok(registry.call("search_catalog", {"query": "sale price", "limit": 2}, ctx))
    assert "sale_price" in found["tables"][0]["matched_columns"]


@pytest.mark.parametrize("name", ["order_items", "thelook_ecommerce.order_items", ITEMS, f"`{ITEMS}`"])
def test_table_schema_by_any_name(registry: ToolRegistry, ctx: AgentContext, name: str) -> None:
    schema = ok(registry.call("get_table_schema", {"table": name}, ctx))
    assert schema["name"] == ITEMS and schema["partitioning"] == "created_at"
    assert schema["clustering"] == ["product_id"] and schema["row_count"] > 0
    columns = {c["name"]: c for c in schema["columns"]}
    assert columns["sale_price"]["type"] == "FLOAT64" and "Revenue" in columns["sale_price"]["description"]


def test_unknown_table_is_not_found(registry: ToolRegistry, ctx: AgentContext) -> None:
    outcome = registry.call("get_table_schema", {"table": "secrets"}, ctx)
    assert outcome.error is not None and outcome.error.code == "not_found"


def test_column_values_find_filter_values(registry: ToolRegistry, ctx: AgentContext) -> None:
    found = ok(
        registry.call("get_column_values", {"table": "users", "column": "country", "search": "GERM"}, ctx)
    )
    assert [v["value"] for v in found["values"]] == ["Germany"] and found["values"][0]["count"] > 0
    statuses = ok(
        registry.call("get_column_values", {"table": "orders", "column": "status", "limit": 2}, ctx)
    )
    assert len(statuses["values"]) == 2 and statuses["truncated"] is True
    counts = [v["count"] for v in statuses["values"]]
    assert counts == sorted(counts, reverse=True)


@pytest.mark.parametrize("column", ["no_such_column", "country FROM users; DROP TABLE users --"])
def test_column_values_only_for_catalog_columns(
    registry: ToolRegistry, ctx: AgentContext, column: str
) -> None:
    outcome = registry.call("get_column_values", {"table": "users", "column": column}, ctx)
    assert outcome.error is not None and outcome.error.code == "not_found"


def test_column_values_respect_the_byte_cap(registry: ToolRegistry, ctx: AgentContext) -> None:
    from sqlalchemy import select

    from shared.db.models import Team

    with ctx.ports.db.session() as s:
        s.scalar(select(Team).where(Team.id == ctx.team_id)).byte_cap = 10  # type: ignore[union-attr]
    try:
        outcome = registry.call("get_column_values", {"table": "users", "column": "country"}, ctx)
    finally:
        with ctx.ports.db.session() as s:
            s.scalar(select(Team).where(Team.id == ctx.team_id)).byte_cap = None  # type: ignore[union-attr]
    assert outcome.error is not None and outcome.error.code == "byte_cap_exceeded"


def test_dry_run_reports_bytes_schema_and_params(registry: ToolRegistry, ctx: AgentContext) -> None:
    sql = f"SELECT status, SUM(sale_price) AS revenue FROM `{ITEMS}` WHERE DATE(created_at) >= @since GROUP BY status"
    result = ok(
        registry.call(
            "run_dry_run_query",
            {"sql": sql, "params": [{"name": "since", "type": "DATE", "value": "2024-01-01"}]},
            ctx,
        )
    )
    assert result["passed"] is True and 0 < result["bytes_processed"] <= result["byte_cap"]
    assert [c["name"] for c in result["schema"]] == ["status", "revenue"]
    assert result["referenced_tables"] == [ITEMS]
    missing = ok(registry.call("run_dry_run_query", {"sql": sql}, ctx))
    assert missing["passed"] is False and "since" in missing["error"]["message"]


def test_validate_reports_chart_warnings_and_queries_not_dry_run(
    registry: ToolRegistry, ctx: AgentContext
) -> None:
    text = f"""version: 1
title: Check
queries:
  monthly:
    sql: SELECT DATE_TRUNC(DATE(created_at), MONTH) AS month, SUM(sale_price) AS revenue FROM `{ITEMS}` GROUP BY month
views:
  - id: trend
    type: bar
    query: monthly
    x: {{field: month, type: temporal}}
    y: {{field: revenue}}
    layout: {{x: 0, y: 0, w: 12, h: 4}}
"""
    result = ok(registry.call("validate_dashboard_yaml", {"yaml": text}, ctx))
    assert result["valid"] is True and result["not_dry_run"] == ["monthly"]
    assert [(w["view"], w["level"]) for w in result["warnings"]] == [("trend", "warning")]
    broken = ok(registry.call("validate_dashboard_yaml", {"yaml": text.replace("w: 12", "w: 13")}, ctx))
    assert broken["valid"] is False and broken["errors"][0]["line"] == 12


def test_dashboards_list_and_get_after_save(registry: ToolRegistry, ctx: AgentContext) -> None:
    sql = f"SELECT status, COUNT(*) AS items FROM `{ITEMS}` GROUP BY status"
    assert ok(registry.call("run_dry_run_query", {"sql": sql}, ctx))["passed"]
    text = f"""version: 1
title: Items by status
queries:
  by_status: {{sql: "{sql}"}}
views:
  - {{id: items, type: table, query: by_status, columns: [{{field: status}}, {{field: items}}], layout: {{x: 0, y: 0, w: 12, h: 4}}}}
"""
    saved = ok(registry.call("save_dashboard_yaml", {"slug": "items-by-status", "yaml": text}, ctx))
    listed = ok(registry.call("list_dashboards", {}, ctx))["dashboards"]
    assert {"slug": "items-by-status", "title": "Items by status", "description": "", "version": 1} in [
        {**{k: v for k, v in d.items() if k != "preview_url"}, "description": d["description"] or ""}
        for d in listed
    ]
    assert all(d["preview_url"].endswith(f"/d/{ctx.team_id}/{d['slug']}") for d in listed)
    got = ok(registry.call("get_dashboard", {"slug": "items-by-status"}, ctx))
    assert got["version"] == saved["version"] == 1 and "theme: monotone" in got["yaml"]
    missing = registry.call("get_dashboard", {"slug": "nope"}, ctx)
    assert missing.error is not None and missing.error.code == "not_found"


def test_the_default_theme_is_read_off_the_typed_model_not_a_second_parse() -> None:
    from shared.agent.tools.dashboards import DEFAULT_THEME_LINE, with_default_theme
    from shared.dashboards.model import Dashboard

    body = "version: 1\ntitle: T\nqueries:\n  q: {sql: SELECT 1 AS one}\n"
    view = {
        "id": "v",
        "type": "kpi",
        "query": "q",
        "value": {"field": "one"},
        "layout": {"x": 0, "y": 0, "w": 3, "h": 2},
    }
    unthemed = Dashboard.model_validate(
        {"version": 1, "title": "T", "queries": {"q": {"sql": "SELECT 1 AS one"}}, "views": [view]}
    )
    themed = Dashboard.model_validate({**unthemed.model_dump(exclude={"theme"}), "theme": "dark"})
    assert with_default_theme(body, unthemed).splitlines()[1] == DEFAULT_THEME_LINE
    assert with_default_theme(body, themed) == body  # a theme the YAML writes is kept
