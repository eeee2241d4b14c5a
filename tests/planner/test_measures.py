"""Derived measures, period comparisons and filters on the demo warehouse, through whole chat turns.

Each request is one the planner used to answer with a different dashboard (a count of orders for
"average order value", one "Total products" KPI for a return rate, 2024 only for "2023 and 2024").
"""

from __future__ import annotations

from .planner_checks import Case, check_dashboard
from .planner_env import PlannerEnv


def _charts(dashboard: dict) -> list[dict]:
    return [v for v in dashboard["views"] if v["type"] not in ("kpi", "text")]


def test_average_order_value_is_revenue_over_distinct_orders(demo_env: PlannerEnv) -> None:
    turn = demo_env.ask("average order value by traffic source")
    assert turn.saved is not None, turn.text
    dashboard = check_dashboard(
        demo_env,
        turn.saved["dashboard_slug"],
        Case("", ("bar",), ("order_items", "users"), ("traffic_source", "average_order_value")),
    )
    sql = dashboard["queries"]["by_traffic_source"]["sql"]
    assert "SUM(oi.sale_price) / NULLIF(COUNT(DISTINCT oi.order_id), 0) AS average_order_value" in sql
    (bar,) = _charts(dashboard)
    assert (bar["x"]["field"], bar["y"]["field"], bar["y"]["format"]) == (
        "traffic_source",
        "average_order_value",
        "currency",
    )
    assert "Average order value" in turn.text


def test_highest_return_rate_ranks_products_by_the_share_returned(demo_env: PlannerEnv) -> None:
    turn = demo_env.ask("which products have the highest return rate?")
    assert turn.saved is not None, turn.text
    dashboard = check_dashboard(
        demo_env, turn.saved["dashboard_slug"], Case("", ("bar",), ("order_items", "products"), top_n=10)
    )
    sql = "\n".join(q["sql"] for q in dashboard["queries"].values())
    assert "AVG(CASE WHEN oi.status = 'Returned' THEN 1 ELSE 0 END) AS return_rate" in sql
    (bar,) = _charts(dashboard)
    assert bar["y"]["field"] == "return_rate" and bar["y"]["format"] == "percent"
    assert bar["sort"] == {"field": "return_rate", "order": "desc"} and bar["x"]["field"] == "product"
    assert "Total products" not in turn.text


def test_lowest_ranks_ascending(demo_env: PlannerEnv) -> None:
    turn = demo_env.ask("which categories have the lowest revenue")
    assert turn.saved is not None, turn.text
    dashboard = check_dashboard(demo_env, turn.saved["dashboard_slug"], Case("", ("bar",), ("products",)))
    (bar,) = _charts(dashboard)
    assert bar["sort"] == {"field": "revenue", "order": "asc"} and bar["x"]["field"] == "category"
    assert "MAX(" not in "\n".join(q["sql"] for q in dashboard["queries"].values())


def test_compare_two_years_is_one_series_per_year_and_kpis_with_the_difference(demo_env: PlannerEnv) -> None:
    turn = demo_env.ask("compare 2023 and 2024 revenue by category")
    assert turn.saved is not None, turn.text
    dashboard = check_dashboard(
        demo_env,
        turn.saved["dashboard_slug"],
        Case("", ("kpi", "bar"), ("order_items", "products"), ("category", "year", "revenue_change")),
    )
    (bar,) = _charts(dashboard)
    assert bar["color"] == {"field": "year", "type": "nominal", "title": "Year", "stack": "grouped"}
    sql = "\n".join(q["sql"] for q in dashboard["queries"].values())
    assert "EXTRACT(YEAR FROM DATE(oi.created_at)) IN (2023, 2024)" in sql
    kpis = [v["value"]["field"] for v in dashboard["views"] if v["type"] == "kpi"]
    assert kpis == ["revenue_2023", "revenue_2024", "revenue_change"]
    data = demo_env.data(turn.saved["dashboard_slug"])
    by_year = next(v for v in data["views"] if v["view_id"] == bar["id"])
    assert by_year["row_count"] > 0


def test_compare_years_without_a_grouping_draws_one_bar_per_year(demo_env: PlannerEnv) -> None:
    turn = demo_env.ask("2023 vs 2024 orders")
    assert turn.saved is not None, turn.text
    dashboard = check_dashboard(demo_env, turn.saved["dashboard_slug"], Case("", ("kpi", "bar"), ("orders",)))
    (bar,) = _charts(dashboard)
    assert bar["x"]["field"] == "year"
    assert [v["value"]["field"] for v in dashboard["views"] if v["type"] == "kpi"] == [
        "orders_2023",
        "orders_2024",
        "orders_change",
    ]


def test_numeric_condition_on_the_designer_path_is_in_the_sql(demo_env: PlannerEnv) -> None:
    turn = demo_env.ask("users older than 40 by country")
    assert turn.saved is not None, turn.text
    dashboard = check_dashboard(demo_env, turn.saved["dashboard_slug"], Case("", ("bar",), ("users",)))
    sql = "\n".join(q["sql"] for q in dashboard["queries"].values())
    assert "u.age > 40" in sql
    assert "age > 40" in dashboard["title"]


def test_percentage_of_total_by_category_is_each_share_of_the_whole(demo_env: PlannerEnv) -> None:
    turn = demo_env.ask("percentage of revenue by category as a bar chart")
    assert turn.saved is not None, turn.text
    dashboard = check_dashboard(demo_env, turn.saved["dashboard_slug"], Case("", ("bar",), ("products",)))
    sql = "\n".join(q["sql"] for q in dashboard["queries"].values())
    assert "SUM(oi.sale_price) / NULLIF(SUM(SUM(oi.sale_price)) OVER (), 0) AS share_revenue" in sql
    (bar,) = _charts(dashboard)
    assert (bar["y"]["field"], bar["y"]["format"]) == ("share_revenue", "percent")


def test_compare_two_years_by_month_draws_one_line_per_year_over_the_months(demo_env: PlannerEnv) -> None:
    turn = demo_env.ask("compare 2023 vs 2024 revenue by month")
    assert turn.saved is not None, turn.text
    dashboard = check_dashboard(
        demo_env, turn.saved["dashboard_slug"], Case("", ("kpi", "line"), ("order_items",))
    )
    (line,) = _charts(dashboard)
    assert (line["x"]["field"], line["x"]["type"], line["color"]["field"]) == ("month", "ordinal", "year")
    sql = dashboard["queries"][line["query"]]["sql"]
    assert "EXTRACT(MONTH FROM DATE(oi.created_at)) AS month" in sql and "GROUP BY month, year" in sql
    assert "one line per year" in turn.text, turn.text
    data = demo_env.data(turn.saved["dashboard_slug"])
    served = next(v for v in data["views"] if v["view_id"] == line["id"])
    column = {c["name"]: values for c, values in zip(served["columns"], served["values"], strict=True)}
    years, months = {int(y) for y in column["year"]}, {int(m) for m in column["month"]}  # int64 as text
    assert years == {2023, 2024} and months <= set(range(1, 13)) and len(months) > 1
