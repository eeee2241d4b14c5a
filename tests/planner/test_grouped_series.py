"""'grouped' / 'side by side' bars of a series over time: one bar view whose series sit side by side."""

from __future__ import annotations

from .planner_env import PlannerEnv


def _series_bar(env: PlannerEnv, request: str) -> dict:
    turn = env.ask(request)
    assert turn.saved is not None, turn.text
    views = [
        v for v in env.dashboard(turn.saved["dashboard_slug"])[0]["views"] if v["type"] not in ("kpi", "text")
    ]
    assert len(views) == 1 and views[0]["type"] == "bar", views
    return views[0]


def test_grouped_bars_by_month_by_country_set_their_series_side_by_side(demo_env: PlannerEnv) -> None:
    grouped = _series_bar(demo_env, "grouped bar chart of revenue by month by country")
    assert grouped["color"]["field"] == "country" and grouped["color"].get("stack") == "grouped"
    side = _series_bar(demo_env, "revenue by month by status as side by side bars")
    assert side["color"]["field"] == "status" and side["color"].get("stack") == "grouped"
    stacked = _series_bar(demo_env, "stacked bar chart of revenue by month by country")
    assert stacked["color"]["field"] == "country" and stacked["color"].get("stack", "stacked") == "stacked"
