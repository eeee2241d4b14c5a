"""Requests the planner used to answer with a different dashboard: each now builds the one asked for."""

from __future__ import annotations

from .planner_checks import Case, check_dashboard
from .planner_env import PlannerEnv


def _chart_views(dashboard: dict) -> list[dict]:
    return [v for v in dashboard["views"] if v["type"] not in ("kpi", "text")]


def test_top_categories_by_revenue_sum_sale_prices_not_product_counts(demo_env: PlannerEnv) -> None:
    turn = demo_env.ask("Top 10 product categories by revenue")
    assert turn.saved is not None, turn.text
    dashboard = check_dashboard(
        demo_env, turn.saved["dashboard_slug"], Case("", ("bar",), ("order_items",), top_n=10)
    )
    sql = "\n".join(q["sql"] for q in dashboard["queries"].values())
    assert "SUM(oi.sale_price) AS revenue" in sql and "retail_price" not in sql and "COUNT(*)" not in sql


def test_revenue_by_month_by_country_is_one_multi_series_view(demo_env: PlannerEnv) -> None:
    turn = demo_env.ask("revenue by month by country")
    assert turn.saved is not None, turn.text
    dashboard = check_dashboard(demo_env, turn.saved["dashboard_slug"], Case("", ("line",), ("users",)))
    charts = _chart_views(dashboard)
    assert len(charts) == 1 and charts[0]["type"] == "line"
    assert (charts[0]["x"]["field"], charts[0]["color"]["field"]) == ("month", "country")


def test_follow_ups_sort_keep_top_n_and_set_the_period(demo_env: PlannerEnv) -> None:
    session = demo_env.session()
    first = demo_env.ask("revenue by category", session)
    assert first.saved is not None, first.text
    slug = first.saved["dashboard_slug"]
    turn = demo_env.ask("sort by revenue ascending", session)
    assert turn.saved is not None and "sorted by revenue ascending" in turn.text, turn.text
    bar = next(v for v in demo_env.dashboard(slug)[0]["views"] if v["type"] == "bar")
    assert bar["sort"] == {"field": "revenue", "order": "asc"}
    turn = demo_env.ask("only the top 5", session)
    assert turn.saved is not None and "top 5" in turn.text, turn.text
    bar = next(v for v in demo_env.dashboard(slug)[0]["views"] if v["type"] == "bar")
    assert bar["top_n"] == 5 and bar["sort"]["order"] == "desc"
    turn = demo_env.ask("last 90 days", session)
    assert turn.saved is not None, turn.text
    check_dashboard(
        demo_env, slug, Case("", ("bar",), params={"period": {"start": "today-90d", "end": "today"}})
    )
    assert len(demo_env.data(slug)["views"][-1]) > 0


def test_chart_request_applies_its_condition_and_says_so(demo_env: PlannerEnv) -> None:
    turn = demo_env.ask(
        "bar chart of the number of users for each traffic source, for users whose age is above 30"
    )
    assert turn.saved is not None, turn.text
    dashboard = check_dashboard(demo_env, turn.saved["dashboard_slug"], Case("", ("bar",), ("users",)))
    assert _chart_views(dashboard)[0]["x"]["field"] == "traffic_source"
    assert "t.`age` > 30" in dashboard["queries"]["chart"]["sql"]
    assert "Filtered to rows where age > 30" in turn.text, turn.text


def test_chart_request_names_the_condition_it_did_not_apply(demo_env: PlannerEnv) -> None:
    turn = demo_env.ask(
        "bar chart of the number of users for each traffic source, for users whose age is above 30 or "
        "whose state is empty"
    )
    assert turn.saved is not None, turn.text
    dashboard = check_dashboard(demo_env, turn.saved["dashboard_slug"], Case("", ("bar",), ("users",)))
    assert "age" not in dashboard["queries"]["chart"]["sql"]
    assert "did not apply the condition" in turn.text and "age" in turn.text


def _served(env: PlannerEnv, slug: str, view_id: str) -> dict[str, list]:
    view = next(v for v in env.data(slug)["views"] if v["view_id"] == view_id)
    return {c["name"]: values for c, values in zip(view["columns"], view["values"], strict=True)}


def test_two_values_of_a_category_by_month_are_one_line_each(demo_env: PlannerEnv) -> None:
    turn = demo_env.ask("sales of Jeans vs Accessories by month")
    assert turn.saved is not None, turn.text
    slug = turn.saved["dashboard_slug"]
    dashboard = check_dashboard(
        demo_env, slug, Case("", ("line",), ("products",), sql=("p.category IN ('Jeans', 'Accessories')",))
    )
    (line,) = _chart_views(dashboard)
    assert (line["x"]["field"], line["color"]["field"]) == ("month", "category")
    assert set(_served(demo_env, slug, line["id"])["category"]) == {"Jeans", "Accessories"}


def test_two_values_of_a_category_by_another_column_are_grouped_bars(demo_env: PlannerEnv) -> None:
    turn = demo_env.ask("revenue of Jeans vs Accessories by country")
    assert turn.saved is not None, turn.text
    slug = turn.saved["dashboard_slug"]
    dashboard = check_dashboard(demo_env, slug, Case("", ("bar",), ("products", "users")))
    (bar,) = _chart_views(dashboard)
    assert (bar["x"]["field"], bar["color"]["field"], bar["color"]["stack"]) == (
        "country",
        "category",
        "grouped",
    )
    assert set(_served(demo_env, slug, bar["id"])["category"]) == {"Jeans", "Accessories"}


def test_two_values_alone_are_one_bar_each(demo_env: PlannerEnv) -> None:
    turn = demo_env.ask("revenue of Jeans and Accessories")
    assert turn.saved is not None, turn.text
    slug = turn.saved["dashboard_slug"]
    (bar,) = _chart_views(check_dashboard(demo_env, slug, Case("", ("bar",), ("products",))))
    assert bar["x"]["field"] == "category"
    assert sorted(_served(demo_env, slug, bar["id"])["category"]) == ["Accessories", "Jeans"]
