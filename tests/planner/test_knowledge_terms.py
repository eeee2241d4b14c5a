"""The planner uses a team's knowledge file: metric definitions and synonyms before raw columns.

Whole turns through the real generation service on the demo warehouse. The demo team defines
average_order_value and return_rate; a second team on the same warehouse defines nothing: the
planner computes both from the catalog (revenue / distinct orders, the share of items Returned) and
says how.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from shared.services import catalog, connections, teams
from shared.services.knowledge import save_knowledge

from .planner_env import PlannerEnv

KNOWLEDGE = """\
version: 1
metrics:
  - name: average_order_value
    synonyms: [aov, basket size]
    description: Completed sales per order
    sql: SUM(order_items.sale_price) / COUNT(DISTINCT order_items.order_id)
    filter: order_items.status NOT IN ('Cancelled', 'Returned')
    format: currency
  - name: return_rate
    sql: COUNTIF(order_items.status = 'Returned') / COUNT(*)
    format: percent
dimensions:
  - column: users.created_at
    synonyms: [signup date, signups, registrations]
  - column: users.traffic_source
    name: acquisition channel
instructions: |
  Revenue means completed sales: exclude Cancelled and Returned items.
"""


@pytest.fixture(scope="module")
def env(demo_env: PlannerEnv) -> PlannerEnv:
    with demo_env.container.db.session() as s:
        save_knowledge(demo_env.container, s, demo_env.user, demo_env.team_id, KNOWLEDGE, if_match=None)
    return demo_env


@pytest.fixture(scope="module")
def bare(demo_env: PlannerEnv) -> Iterator[PlannerEnv]:
    """Another team on the same demo warehouse, with no knowledge file."""
    c, user = demo_env.container, demo_env.user
    with c.db.session() as s:
        team = teams.create_team(s, user, "No knowledge")
        body = {
            "name": "demo",
            "warehouse_type": "duckdb",
            "path": str(c.settings.demo_warehouse_path),
            "project": "demo",
        }
        conn = connections.create_connection(c, s, user, team.id, body)
        connections.validate_connection(c, s, conn)
        catalog.scan(c, s, conn)
        ids = team.id, conn.id
    yield PlannerEnv(c, ids[0], ids[1], user)


def _sql(env: PlannerEnv, slug: str) -> str:
    dashboard, _, _ = env.dashboard(slug)
    return "\n".join(q["sql"] for q in dashboard["queries"].values())


def test_aov_by_traffic_source_uses_the_team_definition(env: PlannerEnv) -> None:
    turn = env.ask("AOV by traffic source")
    assert turn.status == "done" and turn.saved, turn.text
    sql = _sql(env, turn.saved["dashboard_slug"])
    assert "SUM(oi.sale_price) / COUNT(DISTINCT oi.order_id) AS average_order_value" in sql
    assert "(NOT oi.status IN ('Cancelled', 'Returned'))" in sql  # the metric's own filter
    assert "u.traffic_source AS traffic_source" in sql and "JOIN `demo.thelook_ecommerce.users` AS u" in sql
    dashboard, _, _ = env.dashboard(turn.saved["dashboard_slug"])
    formats = {v["value"]["format"] for v in dashboard["views"] if v["type"] == "kpi"}
    assert formats == {"currency"}
    assert "average_order_value = Completed sales per order, as defined by your team" in turn.text
    data = env.data(turn.saved["dashboard_slug"])
    assert all(v["row_count"] > 0 for v in data["views"]), data  # the SQL really runs


def test_return_rate_by_category_uses_the_team_definition(env: PlannerEnv) -> None:
    turn = env.ask("return rate by category")
    assert turn.status == "done" and turn.saved, turn.text
    sql = _sql(env, turn.saved["dashboard_slug"])
    assert "COUNTIF(oi.status = 'Returned') / COUNT(*) AS return_rate" in sql
    assert "p.category AS category" in sql
    dashboard, _, _ = env.dashboard(turn.saved["dashboard_slug"])
    assert "percent" in {v.get("value", {}).get("format") for v in dashboard["views"]}
    assert "return_rate = COUNTIF(order_items.status = 'Returned') / COUNT(*)" in turn.text


def test_synonyms_map_to_the_defined_column(env: PlannerEnv) -> None:
    turn = env.ask("registrations by month")
    assert turn.status == "done" and turn.saved, turn.text
    sql = _sql(env, turn.saved["dashboard_slug"])
    assert (
        "DATE_TRUNC(DATE(u.created_at), MONTH) AS month" in sql
        and "FROM `demo.thelook_ecommerce.users`" in sql
    )
    assert "registrations = users.created_at" in turn.text
    channel = env.ask("orders by acquisition channel")
    assert channel.saved, channel.text
    assert "u.traffic_source AS traffic_source" in _sql(env, channel.saved["dashboard_slug"])


def test_a_team_without_the_definitions_gets_them_computed_from_the_catalog_and_told_how(
    bare: PlannerEnv,
) -> None:
    turn = bare.ask("AOV by traffic source")
    assert turn.saved is not None, turn.text
    sql = _sql(bare, turn.saved["dashboard_slug"])
    assert "SUM(oi.sale_price) / NULLIF(COUNT(DISTINCT oi.order_id), 0) AS average_order_value" in sql
    assert "as defined by your team" not in turn.text
    assert "I computed average order value = revenue / distinct order_id" in turn.text, turn.text
    turn = bare.ask("return rate by category")
    assert turn.saved is not None, turn.text
    assert "AVG(CASE WHEN oi.status = 'Returned' THEN 1 ELSE 0 END) AS return_rate" in _sql(
        bare, turn.saved["dashboard_slug"]
    )
    assert "I computed return rate = share of order_items rows with status = Returned" in turn.text
    turn = bare.ask("registrations by month")
    assert turn.saved is None and "as defined by your team" not in turn.text, turn.text
    assert "I could not find" in turn.text, turn.text


def test_revenue_2023_vs_2024_uses_the_team_revenue(env: PlannerEnv) -> None:
    """The newcomer's "2023 vs 2024" with the team's revenue: completed sales, both years."""
    from shared.services.knowledge import get_knowledge

    c = env.container
    with c.db.session() as s:
        row, text = get_knowledge(c, s, env.user, env.team_id)
        assert row is not None
        revenue = (
            "  - name: revenue\n    description: Completed sales\n    sql: SUM(order_items.sale_price)\n"
            "    filter: order_items.status NOT IN ('Cancelled', 'Returned')\n    format: currency\n"
        )
        save_knowledge(c, s, env.user, env.team_id, text.replace("metrics:\n", "metrics:\n" + revenue, 1),
                       if_match=row.version)  # fmt: skip
    turn = env.ask_new("revenue 2023 vs 2024")
    assert turn.saved, turn.text
    sql = _sql(env, turn.saved["dashboard_slug"])
    assert "SUM(oi.sale_price) AS revenue" in sql and "(NOT oi.status IN ('Cancelled', 'Returned'))" in sql
    dashboard, _, _ = env.dashboard(turn.saved["dashboard_slug"])
    period = next(p for p in dashboard.get("parameters", []) if p["type"] == "date_range")
    assert period["default"] == {"start": "2023-01-01", "end": "2024-12-31"}, dashboard
    assert "revenue = Completed sales, as defined by your team" in turn.text
    assert "EXTRACT(YEAR FROM DATE(oi.created_at)) AS year" in sql  # the two years side by side
