"""The generation rules hold in code, even when the model tries to break them (ScriptedModel).

Rules: save refuses SQL that has not passed a dry run under the cap in this turn; invalid YAML is
never stored; dry runs over the partition threshold that scan a partitioned table unfiltered get a
suggestion (the threshold is lowered through ``query_tools.PARTITION_HINT_BYTES``, since a real
1 GB scan needs a multi-GB table); a dashboard without theme is saved monotone; chart-rule errors
block a save. Everything runs on the real demo DuckDB warehouse, SQLite and the folder store.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from doubles.scripted_model import ScriptedModel
from sqlalchemy import select

from shared.adapters.identity.port import Principal
from shared.adapters.model.messages import (
    Message,
    ModelRequest,
    SystemBlock,
    ToolCallEvent,
    ToolResultMessage,
    UserMessage,
)
from shared.adapters.model.port import ChatModel
from shared.agent.context import AgentContext
from shared.agent.tools import build_registry
from shared.agent.tools import queries as query_tools
from shared.bootstrap import Container, set_container
from shared.db.models import Team
from shared.dev.seed import DEMO_EMAIL, seed_demo
from shared.settings import Settings

ITEMS = "`demo.thelook_ecommerce.order_items`"
SQL_A = f"SELECT status, SUM(sale_price) AS revenue FROM {ITEMS} GROUP BY status\n"
SQL_B = f"SELECT status, COUNT(*) AS revenue FROM {ITEMS} GROUP BY status\n"


def dashboard_yaml(sql: str, *, theme: str | None = "monotone", view_type: str = "bar") -> str:
    doc: dict[str, Any] = {"version": 1, "title": "Rules"}
    if theme:
        doc["theme"] = theme
    doc["queries"] = {"by_status": {"sql": sql}}
    view: dict[str, Any] = {"id": "main", "type": view_type, "query": "by_status"}
    if view_type == "pie":
        view |= {"theta": {"field": "revenue"}, "color": {"field": "month", "type": "temporal"}, "top_n": 5}
    else:
        view |= {"x": {"field": "status"}, "y": {"field": "revenue"}}
    doc["views"] = [view | {"layout": {"x": 0, "y": 0, "w": 12, "h": 4}}]
    return yaml.safe_dump(doc, sort_keys=False)


@dataclass
class Env:
    c: Container
    team_id: str
    connection_id: str
    user: Principal

    def ctx(self, *, team_id: str | None = None) -> AgentContext:
        return AgentContext(
            self.c,
            team_id or self.team_id,
            self.connection_id,
            self.user,
            "cs_rules",
            f"tu_{uuid.uuid4().hex[:6]}",
        )

    def turn(
        self, model: ChatModel, message: str = "build it", ctx: AgentContext | None = None
    ) -> tuple[list[Message], AgentContext]:
        """One turn of the agent loop: model → tools → model, until the model answers."""
        registry = build_registry()
        ctx = ctx or self.ctx()
        messages: list[Message] = [UserMessage(message)]
        for _ in range(20):
            request = ModelRequest(
                (SystemBlock("context", "rules test"),), tuple(messages), tuple(registry.specs())
            )
            response = model.complete(request)
            messages.append(response.to_message())
            if not response.tool_calls:
                return messages, ctx
            messages.extend(registry.run(call, ctx) for call in response.tool_calls)
        raise AssertionError("the turn did not end")

    def stored(self) -> list[str]:
        return [o.path for o in self.c.store("dashboards").list(f"{self.team_id}/")]


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory, demo_warehouse: Path) -> Iterator[Env]:
    from shared.db.migrate import upgrade

    root = tmp_path_factory.mktemp("rules")
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
        yield Env(c, team_id, conn_id, Principal(DEMO_EMAIL, DEMO_EMAIL))
    finally:
        set_container(None)
        c.db.engine.dispose()


def call(name: str, i: int = 0, **args: Any) -> list[ToolCallEvent]:
    return [ToolCallEvent(f"c{i}", name, args)]


def results(messages: list[Message], tool: str) -> list[ToolResultMessage]:
    return [m for m in messages if isinstance(m, ToolResultMessage) and m.name == tool]


def test_save_refuses_sql_never_dry_run(env: Env) -> None:
    slug = "never-dry-run"
    model = ScriptedModel([call("save_dashboard_yaml", slug=slug, yaml=dashboard_yaml(SQL_A)), ["ok"]])
    messages, ctx = env.turn(model)
    (saved,) = results(messages, "save_dashboard_yaml")
    assert saved.error is not None
    assert "'by_status'" in saved.error["message"] and "run_dry_run_query" in saved.error["message"]
    assert f"{env.team_id}/{slug}.yaml" not in env.stored()
    assert ctx.events == [] and ctx.state.saved is None


def test_save_refuses_sql_other_than_the_one_dry_run(env: Env) -> None:
    slug = "swapped-sql"
    model = ScriptedModel(
        [
            call("run_dry_run_query", sql=SQL_A),
            call("save_dashboard_yaml", 1, slug=slug, yaml=dashboard_yaml(SQL_B)),
            ["ok"],
        ]
    )
    messages, _ = env.turn(model)
    assert results(messages, "run_dry_run_query")[0].result["passed"] is True
    (saved,) = results(messages, "save_dashboard_yaml")
    assert saved.error is not None and "'by_status'" in saved.error["message"]
    assert f"{env.team_id}/{slug}.yaml" not in env.stored()


def test_dry_run_in_an_earlier_turn_does_not_count(env: Env) -> None:
    first, _ = env.turn(ScriptedModel([call("run_dry_run_query", sql=SQL_A), ["checked"]]))
    assert results(first, "run_dry_run_query")[0].result["passed"] is True
    later, _ = env.turn(
        ScriptedModel([call("save_dashboard_yaml", slug="later", yaml=dashboard_yaml(SQL_A)), ["ok"]])
    )
    assert results(later, "save_dashboard_yaml")[0].error is not None


def test_save_after_a_passing_dry_run_stores_and_emits(env: Env) -> None:
    slug = "dry-run-then-save"
    model = ScriptedModel(
        [
            call("run_dry_run_query", sql=SQL_A),
            call("save_dashboard_yaml", 1, slug=slug, yaml=dashboard_yaml(SQL_A)),
            ["saved"],
        ]
    )
    messages, ctx = env.turn(model)
    saved = results(messages, "save_dashboard_yaml")[0]
    assert saved.error is None, saved.error
    assert saved.result["version"] == 1 and saved.result["yaml_path"] == f"{env.team_id}/{slug}.yaml"
    assert saved.result["preview_url"].endswith(f"/d/{env.team_id}/{slug}")
    assert [t for t, _ in ctx.events] == ["yaml_artifact", "dashboard_saved"]
    assert ctx.state.saved == {
        k: saved.result[k] for k in ("dashboard_slug", "version", "yaml_path", "preview_url")
    }
    assert (ctx.state.dashboard_slug, ctx.state.dashboard_version) == (slug, 1)


def test_dry_run_over_the_cap_does_not_pass_and_save_refuses(env: Env) -> None:
    with env.c.db.session() as s:
        s.scalar(select(Team).where(Team.id == env.team_id)).byte_cap = 1_000  # type: ignore[union-attr]
    try:
        model = ScriptedModel(
            [
                call("run_dry_run_query", sql=SQL_A),
                call("save_dashboard_yaml", 1, slug="over-cap", yaml=dashboard_yaml(SQL_A)),
                ["ok"],
            ]
        )
        messages, ctx = env.turn(model)
    finally:
        with env.c.db.session() as s:
            s.scalar(select(Team).where(Team.id == env.team_id)).byte_cap = None  # type: ignore[union-attr]
    dry = results(messages, "run_dry_run_query")[0].result
    assert dry["passed"] is False and dry["byte_cap"] == 1_000 and dry["bytes_processed"] > 1_000
    assert dry["error"]["code"] == "byte_cap_exceeded"
    assert ctx.state.dry_run_passed == {}
    assert results(messages, "save_dashboard_yaml")[0].error is not None
    assert f"{env.team_id}/over-cap.yaml" not in env.stored()


def test_dry_run_errors_come_back_as_data(env: Env) -> None:
    messages, ctx = env.turn(
        ScriptedModel(
            [
                call("run_dry_run_query", sql="DELETE FROM `demo.thelook_ecommerce.users` WHERE true"),
                call("run_dry_run_query", 1, sql=f"SELECT no_such_column FROM {ITEMS}"),
                ["ok"],
            ]
        )
    )
    unsafe, broken = (m.result for m in results(messages, "run_dry_run_query"))
    assert unsafe["passed"] is False and unsafe["error"]["code"] == "unsafe_sql"
    assert broken["passed"] is False and broken["error"]["code"] == "warehouse_error"
    assert ctx.state.dry_run_passed == {}


def test_invalid_yaml_is_never_stored(env: Env) -> None:
    text = dashboard_yaml(SQL_A).replace("title: Rules", "title: Rules\ncolour: red")
    model = ScriptedModel(
        [
            call("run_dry_run_query", sql=SQL_A),
            call("validate_dashboard_yaml", 1, yaml=text),
            call("save_dashboard_yaml", 2, slug="invalid-yaml", yaml=text),
            ["ok"],
        ]
    )
    messages, ctx = env.turn(model)
    checked = results(messages, "validate_dashboard_yaml")[0].result
    assert checked["valid"] is False
    assert any(e["line"] == 3 and "colour" in e["message"] for e in checked["errors"]), checked["errors"]
    saved = results(messages, "save_dashboard_yaml")[0]
    assert saved.error is not None and saved.error["code"] == "validation_failed"
    assert any("colour" in d["message"] for d in saved.error["details"])
    assert f"{env.team_id}/invalid-yaml.yaml" not in env.stored() and ctx.events == []


def test_yaml_without_theme_is_saved_monotone(env: Env) -> None:
    text = dashboard_yaml(SQL_A, theme=None)
    assert "theme" not in text
    model = ScriptedModel(
        [
            call("run_dry_run_query", sql=SQL_A),
            call("save_dashboard_yaml", 1, slug="no-theme", yaml=text),
            ["ok"],
        ]
    )
    messages, _ = env.turn(model)
    assert results(messages, "save_dashboard_yaml")[0].error is None
    stored = env.c.store("dashboards").get(f"{env.team_id}/no-theme.yaml").data.decode()
    assert yaml.safe_load(stored)["theme"] == "monotone"


def test_theme_the_user_chose_is_kept(env: Env) -> None:
    text = dashboard_yaml(SQL_A, theme="dark")
    model = ScriptedModel(
        [call("run_dry_run_query", sql=SQL_A), call("save_dashboard_yaml", 1, slug="dark", yaml=text), ["ok"]]
    )
    env.turn(model)
    stored = env.c.store("dashboards").get(f"{env.team_id}/dark.yaml").data.decode()
    assert yaml.safe_load(stored)["theme"] == "dark"


def test_pie_over_time_is_a_chart_rule_error_that_blocks_the_save(env: Env) -> None:
    sql = f"SELECT DATE_TRUNC(DATE(created_at), MONTH) AS month, SUM(sale_price) AS revenue FROM {ITEMS} GROUP BY month\n"
    text = dashboard_yaml(sql, view_type="pie")
    model = ScriptedModel(
        [
            call("run_dry_run_query", sql=sql),
            call("save_dashboard_yaml", 1, slug="pie-time", yaml=text),
            ["ok"],
        ]
    )
    messages, _ = env.turn(model)
    saved = results(messages, "save_dashboard_yaml")[0]
    assert saved.error is not None and "time axis" in str(saved.error["details"])
    assert f"{env.team_id}/pie-time.yaml" not in env.stored()


def test_partition_suggestion_when_a_big_scan_skips_the_partition_filter(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(query_tools, "PARTITION_HINT_BYTES", 1_000)
    unfiltered = f"SELECT SUM(sale_price) AS revenue FROM {ITEMS}"
    filtered = unfiltered + " WHERE DATE(created_at) >= DATE '2020-01-01'"
    small_table = "SELECT category, COUNT(*) AS n FROM `demo.thelook_ecommerce.products` GROUP BY category"
    messages, _ = env.turn(
        ScriptedModel(
            [
                call("run_dry_run_query", sql=unfiltered),
                call("run_dry_run_query", 1, sql=filtered),
                call("run_dry_run_query", 2, sql=small_table),
                ["ok"],
            ]
        )
    )
    first, second, third = (m.result for m in results(messages, "run_dry_run_query"))
    assert first["bytes_processed"] > 1_000
    assert "thelook_ecommerce.order_items" in first["suggestion"] and "created_at" in first["suggestion"]
    assert second["bytes_processed"] > 1_000 and "suggestion" not in second
    assert third["bytes_processed"] > 1_000 and "suggestion" not in third  # products is not partitioned


def test_no_suggestion_under_the_threshold(env: Env) -> None:
    messages, _ = env.turn(
        ScriptedModel([call("run_dry_run_query", sql=f"SELECT SUM(sale_price) AS r FROM {ITEMS}"), ["ok"]])
    )
    result = results(messages, "run_dry_run_query")[0].result
    assert result["bytes_processed"] < query_tools.PARTITION_HINT_BYTES and "suggestion" not in result


def test_planner_follows_the_partition_suggestion(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    from shared.adapters.model.offline.model import OfflinePlanner

    monkeypatch.setattr(query_tools, "PARTITION_HINT_BYTES", 1_000)
    messages, ctx = env.turn(OfflinePlanner(), "revenue by category")
    dry_runs = results(messages, "run_dry_run_query")
    assert any(m.result.get("suggestion") for m in dry_runs)
    assert ctx.state.saved is not None
    stored = env.c.store("dashboards").get(ctx.state.saved["yaml_path"]).data.decode()
    assert all("@period_start" in q["sql"] for q in yaml.safe_load(stored)["queries"].values())


def test_other_teams_are_not_found(env: Env) -> None:
    from shared.services import teams

    stranger = Principal("stranger@example.com", "stranger@example.com")
    with env.c.db.session() as s:
        other = teams.create_team(s, stranger, "Other team").id
    messages, _ = env.turn(
        ScriptedModel([call("list_tables"), call("get_dashboard", 1, slug="dry-run-then-save"), ["ok"]]),
        ctx=env.ctx(team_id=other),
    )
    for m in messages:
        if isinstance(m, ToolResultMessage):
            assert m.error is not None and m.error["code"] == "not_found", m


def test_replayed_save_returns_the_same_version(env: Env) -> None:
    text = dashboard_yaml(SQL_A)
    script = [
        call("run_dry_run_query", sql=SQL_A),
        call("save_dashboard_yaml", 1, slug="replayed", yaml=text),
        call("save_dashboard_yaml", 2, slug="replayed", yaml=text),
        ["ok"],
    ]
    messages, _ = env.turn(ScriptedModel(script))
    first, second = results(messages, "save_dashboard_yaml")
    assert first.result["version"] == second.result["version"] == 1
    edited = dashboard_yaml(SQL_A).replace("title: Rules", "title: Rules v2")
    again = call("save_dashboard_yaml", 2, slug="replayed", yaml=edited, expected_version=1)
    replay, _ = env.turn(
        ScriptedModel(
            [
                call("run_dry_run_query", sql=SQL_A),
                call("save_dashboard_yaml", 1, slug="replayed", yaml=edited, expected_version=1),
                again,
                ["ok"],
            ]
        )
    )
    a, b = results(replay, "save_dashboard_yaml")
    assert a.result["version"] == b.result["version"] == 2


def test_a_different_save_against_a_stale_version_is_a_conflict(env: Env) -> None:
    v1 = dashboard_yaml(SQL_A)
    v2 = v1.replace("title: Rules", "title: Second")
    stale = v1.replace("title: Rules", "title: Stale")
    messages, _ = env.turn(
        ScriptedModel(
            [
                call("run_dry_run_query", sql=SQL_A),
                call("save_dashboard_yaml", 1, slug="stale", yaml=v1),
                call("save_dashboard_yaml", 2, slug="stale", yaml=v2, expected_version=1),
                call("save_dashboard_yaml", 3, slug="stale", yaml=stale, expected_version=1),
                ["ok"],
            ]
        )
    )
    first, second, third = results(messages, "save_dashboard_yaml")
    assert (first.result["version"], second.result["version"]) == (1, 2)
    assert third.error is not None and third.error["code"] == "conflict"
    assert third.error["details"] == {"current_version": 2}


# -- chart rules -----------------------------------------------------------------------------

TIME_X = {"field": "month", "type": "temporal"}
CATEGORY = {"field": "country", "type": "nominal"}
MEASURE = {"field": "revenue", "type": "quantitative"}


@pytest.mark.parametrize(
    ("shape", "expected"),
    [
        ({"time_axis": True}, ("line", None)),
        ({"single_value": True}, ("kpi", None)),
        ({"categories": 40}, ("bar", 10)),
        ({"categories": 5, "part_of_whole": True}, ("pie", None)),
        ({"categories": 9, "part_of_whole": True}, ("bar", None)),
        ({"categories": 30, "requested": "table"}, ("table", 10)),
        ({"categories": 30, "requested": "pie"}, ("pie", 6)),
        ({"time_axis": True, "requested": "pie"}, ("line", None)),
        ({"time_axis": True, "requested": "bar"}, ("bar", None)),
    ],
)
def test_recommended_view_type(shape: dict[str, Any], expected: tuple[str, int | None]) -> None:
    from shared.dashboards.chart_rules import recommend_view

    rec = recommend_view(**shape)
    assert (rec.type, rec.top_n) == expected


@pytest.mark.parametrize(
    ("view", "categories", "levels"),
    [
        ({"type": "pie", "theta": MEASURE, "color": TIME_X, "top_n": 5}, None, ["error"]),
        ({"type": "pie", "theta": MEASURE, "color": CATEGORY, "top_n": 20}, None, ["error"]),
        ({"type": "pie", "theta": MEASURE, "color": CATEGORY, "top_n": 8}, None, ["warning"]),
        ({"type": "pie", "theta": MEASURE, "color": CATEGORY}, None, ["warning"]),
        ({"type": "pie", "theta": MEASURE, "color": CATEGORY}, 4, []),
        ({"type": "bar", "x": TIME_X, "y": MEASURE}, None, ["warning"]),
        ({"type": "bar", "x": CATEGORY, "y": MEASURE}, 40, ["warning"]),
        ({"type": "bar", "x": CATEGORY, "y": MEASURE, "top_n": 10}, 40, []),
        ({"type": "line", "x": TIME_X, "y": MEASURE}, None, []),
        ({"type": "kpi", "value": MEASURE}, None, []),
    ],
)
def test_chart_rule_levels(view: dict[str, Any], categories: int | None, levels: list[str]) -> None:
    from shared.dashboards.chart_rules import check_view

    found = check_view({"id": "v", **view}, categories=categories)
    assert [f.level for f in found] == levels


def test_one_number_drawn_as_a_chart_is_a_warning() -> None:
    from shared.dashboards.chart_rules import WARNING, check_view

    (finding,) = check_view({"id": "v", "type": "bar", "x": CATEGORY, "y": MEASURE}, rows=1)
    assert finding.level == WARNING and "kpi" in finding.message


def test_a_connection_of_another_team_is_not_found(env: Env) -> None:
    from shared.services import connections, teams

    stranger = Principal("owner@elsewhere.example", "owner@elsewhere.example")
    with env.c.db.session() as s:
        team = teams.create_team(s, stranger, "Elsewhere")
        body = {"name": "Theirs", "warehouse_type": "duckdb", "path": str(env.c.settings.demo_warehouse_path)}
        theirs = connections.create_connection(env.c, s, stranger, team.id, body).id
    ctx = env.ctx()
    ctx.connection_id = theirs
    messages, _ = env.turn(
        ScriptedModel([call("list_tables"), call("run_dry_run_query", 1, sql=SQL_A), ["ok"]]), ctx=ctx
    )
    for m in results(messages, "list_tables") + results(messages, "run_dry_run_query"):
        assert m.error is not None and m.error["code"] == "not_found"


def test_chart_rules_read_the_typed_model_as_they_read_plain_data() -> None:
    from shared.dashboards.chart_rules import ERROR, check_dashboard_views
    from shared.dashboards.validate import validate_dashboard

    text = """\
version: 1
title: Mix
queries:
  q:
    sql: SELECT DATE(created_at) AS day, status, COUNT(*) AS n FROM `demo.thelook_ecommerce.orders` GROUP BY 1, 2
views:
  - {id: by_day, type: pie, query: q, theta: {field: n}, color: {field: day, type: temporal}, layout: {x: 0, y: 0, w: 6, h: 4}}
  - {id: bars, type: bar, query: q, x: {field: day, time_grain: month}, y: {field: n}, layout: {x: 6, y: 0, w: 6, h: 4}}
"""
    report = validate_dashboard(text)
    assert report.model is not None and report.dashboard is not None
    typed = check_dashboard_views(report.model, {"bars": 40})
    plain = check_dashboard_views(report.dashboard, {"bars": 40})
    assert typed == plain
    assert ("by_day", ERROR) in [(f.view, f.level) for f in typed]
    assert any(f.view == "bars" and "time axis" in f.message for f in typed)


def test_a_save_dry_runs_its_queries_outside_a_write_transaction(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On SQLite a write transaction holds the writer lock: the save's dry runs (warehouse work)
    run before it opens. A write opened on the thread inside a write fails at once, so the probe
    opens one at each dry run."""
    from shared.adapters.warehouse.duckdb_adapter import DuckDBWarehouse
    from shared.errors import BridgeError

    inside: list[bool] = []
    real = DuckDBWarehouse.dry_run

    def probed(self: DuckDBWarehouse, *args: Any, **kwargs: Any) -> Any:
        try:
            with env.c.db.session():
                inside.append(False)
        except BridgeError:
            inside.append(True)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(DuckDBWarehouse, "dry_run", probed)
    messages, _ = env.turn(
        ScriptedModel(
            [
                call("run_dry_run_query", sql=SQL_A),
                call("save_dashboard_yaml", 1, slug="dry-runs-outside", yaml=dashboard_yaml(SQL_A)),
                ["saved"],
            ]
        )
    )
    assert results(messages, "save_dashboard_yaml")[0].error is None
    assert len(inside) >= 2 and not any(inside), inside  # the tool's dry run and the save's
