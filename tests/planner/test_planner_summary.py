"""The offline planner writes filter values and periods as title templates, adds KPI comparisons
where a period is known and totals to tables of sums and counts; served through the data service."""

from __future__ import annotations

from typing import Any

from shared.services.serving import dashboard_data

from .planner_env import PlannerEnv


def _data(env: PlannerEnv, slug: str, raw: dict[str, str]) -> dict[str, Any]:
    with env.container.db.session() as s:
        return dashboard_data(env.container, s, env.user, env.team_id, slug, raw)


def test_a_filtered_dashboard_titles_follow_its_parameters(demo_env: PlannerEnv) -> None:
    env = demo_env.fresh()
    turn = env.ask("revenue in Germany by month for the last 6 months")
    assert turn.saved is not None, turn.text
    slug = turn.saved["dashboard_slug"]
    dashboard, _text, _version = env.dashboard(slug)
    assert "{{ country }}" in dashboard["title"] and "{{ period }}" in dashboard["title"]
    assert "Germany" not in dashboard["title"]  # the value is the parameter's, never baked in
    assert "Germany" in turn.text  # the reply reads the title with the defaults
    shown = _data(env, slug, {})["dashboard"]["title"]
    assert "Germany" in shown and "last 6 months" in shown
    france = _data(env, slug, {"country": "France", "period": "2023-01-01..2023-12-31"})["dashboard"]["title"]
    assert "France" in france and "(2023)" in france and "Germany" not in france

    # every KPI over a query with the period compares with the previous period
    kpis = [v for v in dashboard["views"] if v["type"] == "kpi"]
    assert kpis and all(v.get("compare") == {"to": "previous_period"} for v in kpis)
    served = {v["view_id"]: v for v in _data(env, slug, {})["views"]}
    for kpi in kpis:
        view = served[kpi["id"]]
        assert view["status"] == "ok", view["error"]
        names = [c["name"] for c in view["columns"]]
        assert {"_previous", "_change", "_change_ratio"} <= set(names)


def test_a_table_of_sums_gets_totals(demo_env: PlannerEnv) -> None:
    env = demo_env.fresh()
    turn = env.ask("revenue by country as a table")
    assert turn.saved is not None, turn.text
    slug = turn.saved["dashboard_slug"]
    dashboard, _text, _version = env.dashboard(slug)
    tables = [v for v in dashboard["views"] if v["type"] == "table"]
    assert tables and all(v.get("totals") is True for v in tables)
    served = {v["view_id"]: v for v in _data(env, slug, {})["views"]}
    table = served[tables[0]["id"]]
    revenue = next(c["field"] for c in tables[0]["columns"] if c.get("format") == "currency")
    assert table["totals"][revenue] >= sum(
        table["values"][[c["name"] for c in table["columns"]].index(revenue)]
    )

    averages = env.ask("average sale price by category as a table")
    assert averages.saved is not None, averages.text
    dashboard, _text, _version = env.dashboard(averages.saved["dashboard_slug"])
    assert all(
        "totals" not in v for v in dashboard["views"] if v["type"] == "table"
    )  # averages do not add up
