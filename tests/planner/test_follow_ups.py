"""Follow-up edits of chart-path dashboards, honest answers when an edit cannot apply, hand edits kept,
and the same request twice offering the existing dashboard. Every turn runs the real chat path."""

from __future__ import annotations

from typing import Any

import pytest

from .planner_checks import Case, check_dashboard
from .planner_env import PlannerEnv, Session

# the chart path: one query ("chart") and one view, no KPI tiles
CHART = "Give me a bar chart of the average age for each traffic source of users, sort by the y-axis in descending order"


def _chart(env: PlannerEnv) -> tuple[Session, str]:
    session = env.session()
    turn = env.ask(CHART, session)
    assert turn.saved is not None, turn.text
    return session, turn.saved["dashboard_slug"]


def _view(env: PlannerEnv, slug: str) -> dict[str, Any]:
    dashboard, _text, _version = env.dashboard(slug)
    return next(v for v in dashboard["views"] if v["type"] not in ("kpi", "text"))


def _saved(env: PlannerEnv, message: str, session: Session, slug: str) -> str:
    turn = env.ask(message, session)
    assert turn.saved is not None, turn.text
    assert turn.saved["dashboard_slug"] == slug
    return turn.text


def test_chart_path_sort_top_n_period_and_chart_type(demo_env: PlannerEnv) -> None:
    env = demo_env.fresh()
    session, slug = _chart(env)
    text = _saved(env, "sort by average age ascending", session, slug)
    assert "sorted by average age ascending" in text, text
    view = _view(env, slug)
    assert view["sort"]["order"] == "asc" and view["sort"]["field"] == view["y"]["field"]
    text = _saved(env, "only the top 3", session, slug)
    assert "top 3" in text
    view = _view(env, slug)
    assert view["top_n"] == 3 and view["sort"]["order"] == "desc"
    assert env.data(slug)["views"][-1]["row_count"] <= 3
    _saved(env, "last 90 days", session, slug)
    check_dashboard(
        env, slug, Case("", ("bar",), ("users",), params={"period": {"start": "today-90d", "end": "today"}})
    )
    text = _saved(env, "make it a line chart", session, slug)
    assert _view(env, slug)["type"] == "line"
    assert "not time" in text, text  # a line over categories is said to be one
    text = _saved(env, "all time", session, slug)
    dashboard, yaml_text, version = env.dashboard(slug)
    assert "parameters" not in dashboard and "@period" not in yaml_text, yaml_text
    assert version == 6


def test_chart_path_filter_added_and_removed(demo_env: PlannerEnv) -> None:
    env = demo_env.fresh()
    session, slug = _chart(env)
    text = _saved(env, "add a filter for country Germany", session, slug)
    assert "country = Germany" in text, text
    check_dashboard(env, slug, Case("", ("bar",), sql=("= @country",), params={"country": "Germany"}))
    text = _saved(env, "remove the country filter", session, slug)
    assert "removed the filter country = Germany" in text, text
    dashboard, yaml_text, _ = env.dashboard(slug)
    assert "@country" not in yaml_text and not dashboard.get("parameters")
    assert "Germany" not in dashboard["title"]
    check_dashboard(env, slug, Case("", ("bar",), ("users",)))


def test_add_and_remove_a_view_on_a_chart_dashboard(demo_env: PlannerEnv) -> None:
    env = demo_env.fresh()
    session, slug = _chart(env)
    text = _saved(env, "add a chart of revenue by category", session, slug)
    assert "added" in text
    types = [v["type"] for v in env.dashboard(slug)[0]["views"]]
    assert types.count("bar") == 2, types
    _saved(env, "remove the category chart", session, slug)
    check_dashboard(env, slug, Case("", ("bar",), ("users",), exact_views=True))


@pytest.mark.parametrize(
    ("follow_up", "reason"),
    [
        ("only the top 5", "has no top 5"),
        ("sort ascending", "time order"),
        ("remove the country filter", "no “country” filter"),
        ("all time", "no period to remove"),
    ],
)
def test_an_edit_that_cannot_apply_says_why_and_saves_nothing(
    demo_env: PlannerEnv, follow_up: str, reason: str
) -> None:
    env = demo_env.fresh()
    session = env.session()
    first = env.ask("line chart of the number of orders per month", session)
    assert first.saved is not None, first.text
    turn = env.ask(follow_up, session)
    assert turn.saved is None and "save_dashboard_yaml" not in turn.calls
    assert turn.text.startswith("I left") and reason in turn.text, turn.text
    assert env.dashboard(first.saved["dashboard_slug"])[2] == first.saved["version"]


def test_the_only_view_is_not_removed(demo_env: PlannerEnv) -> None:
    env = demo_env.fresh()
    session = env.session()
    first = env.ask("scatter chart of retail price and cost of products", session)
    assert first.saved is not None, first.text
    turn = env.ask("remove the chart", session)
    assert turn.saved is None and "only view" in turn.text, turn.text


def test_a_hand_edited_file_keeps_its_comments_and_key_order(demo_env: PlannerEnv) -> None:
    from shared.services.dashboards import save_dashboard

    env = demo_env.fresh()
    session, slug = _chart(env)
    _dashboard, text, version = env.dashboard(slug)
    lines = text.splitlines()
    title_at = next(i for i, line in enumerate(lines) if line.startswith("title:"))
    hand = [
        *lines[:title_at],
        "# Owned by the growth team: keep the traffic sources together",
        lines[title_at] + "  # do not rename",
        *lines[title_at + 1 :],
    ]
    hand_text = "\n".join(hand) + "\n"
    with env.container.db.session() as s:
        save_dashboard(env.container, s, env.user, env.team_id, slug, hand_text, if_match=version,
                       connection_id=env.connection_id)  # fmt: skip
    _saved(env, "only the top 3", session, slug)
    _dashboard, edited, _ = env.dashboard(slug)
    assert "# Owned by the growth team: keep the traffic sources together\n" in edited, edited
    assert "  # do not rename" in edited
    keys = [line.split(":")[0] for line in edited.splitlines() if line and line[0].isalpha()]
    assert keys == [line.split(":")[0] for line in hand if line and line[0].isalpha()]
    assert "top_n: 3" in edited


def test_the_same_request_twice_offers_the_existing_dashboard(demo_env: PlannerEnv) -> None:
    env = demo_env.fresh()
    first = env.ask("number of orders by status")
    assert first.saved is not None, first.text
    slug = first.saved["dashboard_slug"]
    session = env.session()
    again = env.ask("number of orders by status", session)
    assert again.saved is None and "save_dashboard_yaml" not in again.calls
    assert "You already have" in again.text and slug in again.text, again.text
    assert f"/d/{env.team_id}/{slug})" in again.text  # a link to the one that exists
    update = env.ask("update it", session)
    assert update.saved is not None and update.saved["dashboard_slug"] == slug, update.text
    assert update.saved["version"] == 2
    copy = env.ask("number of orders by status", env.session())
    assert copy.saved is None
    session = env.session()
    env.ask("number of orders by status", session)
    kept = env.ask("make a copy", session)
    assert kept.saved is not None and kept.saved["dashboard_slug"] == f"{slug}-2", kept.text


def test_follow_up_replies_do_not_repeat_the_boilerplate(demo_env: PlannerEnv) -> None:
    env = demo_env.fresh()
    session, slug = _chart(env)
    text = _saved(env, "only the top 3", session, slug)
    assert "dry run" not in text and "the data comes from" not in text, text
    assert "[Open dashboard](" in text and len(text) < 240, text


def test_a_compound_follow_up_applies_each_change(demo_env: PlannerEnv) -> None:
    env = demo_env.fresh()
    session = env.session()
    first = env.ask("revenue by category as a pie", session)
    assert first.saved is not None, first.text
    slug = first.saved["dashboard_slug"]
    text = _saved(env, "only Germany and sort ascending", session, slug)
    assert "filtered to country = Germany" in text and "a pie, whose slices follow their size" in text, text
    text = _saved(env, "top 3 for the last 30 days as a bar chart", session, slug)
    assert "now a bar chart" in text and "top 3" in text and "last 30 days" in text, text
    assert "I did not" not in text, text
    view = _view(env, slug)
    assert (view["type"], view["top_n"], view["sort"]["order"]) == ("bar", 3, "desc")
    check_dashboard(env, slug, Case("", ("bar",), params={"country": "Germany",
                                                           "period": {"start": "today-30d", "end": "today"}}))  # fmt: skip


def test_a_follow_up_element_left_out_is_named_not_passed_over(demo_env: PlannerEnv) -> None:
    env = demo_env.fresh()
    session = env.session()
    first = env.ask("revenue by category", session)
    assert first.saved is not None, first.text
    slug = first.saved["dashboard_slug"]
    text = _saved(env, "top 3 bars last 30 days", session, slug)  # one change read, the period is not
    assert "kept only the top 3" in text, text
    assert "I did not limit it to last 30 days: its queries cover every date" in text, text
    assert "@period" not in env.dashboard(slug)[1]


def test_designer_dashboard_sort_descending_chart_type_and_views(demo_env: PlannerEnv) -> None:
    env = demo_env.fresh()
    session = env.session()
    first = env.ask("revenue by category", session)
    assert first.saved is not None, first.text
    slug = first.saved["dashboard_slug"]
    _saved(env, "sort by revenue ascending", session, slug)
    text = _saved(env, "sort by revenue descending", session, slug)
    assert "sorted by revenue descending" in text, text
    assert _view(env, slug)["sort"] == {"field": "revenue", "order": "desc"}
    text = _saved(env, "make it a pie chart", session, slug)
    assert "now a pie chart" in text and _view(env, slug)["type"] == "pie", text
    text = _saved(env, "add a chart of orders by status", session, slug)
    assert "added" in text, text
    check_dashboard(env, slug, Case("", ("kpi", "pie", "bar"), ("orders", "products"), exact_views=True))
    text = _saved(env, "remove the status chart", session, slug)
    assert "removed" in text, text
    check_dashboard(env, slug, Case("", ("kpi", "pie"), ("products",), exact_views=True))


def test_open_it_presents_the_offered_dashboard_only_while_it_is_unchanged(demo_env: PlannerEnv) -> None:
    from shared.services.dashboards import save_dashboard

    env = demo_env.fresh()
    first = env.ask("number of orders by status")
    assert first.saved is not None, first.text
    slug = first.saved["dashboard_slug"]
    session = env.session()
    assert "You already have" in env.ask("number of orders by status", session).text
    opened = env.ask("open it", session)
    assert opened.saved is None and opened.text.startswith("Here is “"), opened.text
    assert f"/d/{env.team_id}/{slug})" in opened.text
    session = env.session()
    assert "You already have" in env.ask("number of orders by status", session).text
    _dashboard, text, version = env.dashboard(slug)  # changed by hand after the offer
    edited = (
        text.replace("GROUP BY", "WHERE TRUE\nGROUP BY", 1)
        if "WHERE" not in text
        else text.replace("WHERE", "WHERE 1 = 1 AND", 1)
    )
    assert edited != text
    with env.container.db.session() as s:
        save_dashboard(env.container, s, env.user, env.team_id, slug, edited, if_match=version,
                       connection_id=env.connection_id)  # fmt: skip
    opened = env.ask("open it", session)
    assert opened.saved is None and not opened.text.startswith("Here is"), opened.text
    assert "has changed since it was built from this request" in opened.text, opened.text


def test_a_follow_up_condition_is_added_to_every_query_that_reaches_it(demo_env: PlannerEnv) -> None:
    env = demo_env.fresh()
    session = env.session()
    first = env.ask("revenue by category", session)
    assert first.saved is not None, first.text
    slug = first.saved["dashboard_slug"]
    text = _saved(env, "only users older than 40", session, slug)
    assert "kept only rows where age > 40" in text and "I did not" not in text, text
    dashboard = check_dashboard(env, slug, Case("", ("kpi", "bar"), ("users",)))
    assert all(".age > 40" in q["sql"] for q in dashboard["queries"].values()), dashboard["queries"]
    text = _saved(env, "only Germany", session, slug)  # a text value is still looked up
    assert "filtered to country = Germany" in text, text
