"""A YAML text is loaded once per turn: validate → save → save service parse and validate it once.

Counts PyYAML parses and runs of the dashboard JSON Schema while the real tools run on the demo
DuckDB warehouse, SQLite and the folder store (the ``env`` of test_rules).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import yaml
import yaml.composer
from doubles.scripted_model import ScriptedModel
from jsonschema import Draft202012Validator
from test_rules import ITEMS, SQL_A, Env, call, dashboard_yaml, env, results

from shared.dashboards.schema import SCHEMA_ID
from shared.dashboards.validate import validate_dashboard
from shared.dashboards.validated import validated
from shared.errors import ValidationFailed
from shared.services.dashboards import save_dashboard

__all__ = ["env"]  # the module-scoped fixture of test_rules


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Names ("parse", "schema") of every dashboard load step, in order."""
    found: list[str] = []
    compose, iter_errors = yaml.composer.Composer.get_single_node, Draft202012Validator.iter_errors

    def counted_compose(self: Any) -> Any:
        found.append("parse")
        return compose(self)

    def counted_iter_errors(self: Any, *args: Any, **kwargs: Any) -> Any:
        if self.schema.get("$id") == SCHEMA_ID:
            found.append("schema")
        return iter_errors(self, *args, **kwargs)

    monkeypatch.setattr(yaml.composer.Composer, "get_single_node", counted_compose)
    monkeypatch.setattr(Draft202012Validator, "iter_errors", counted_iter_errors)
    yield found


def _validate_and_save(env: Env, slug: str, text: str, sql: str = SQL_A) -> tuple[Any, Any]:
    model = ScriptedModel(
        [
            call("run_dry_run_query", sql=sql),
            call("validate_dashboard_yaml", 1, yaml=text),
            call("save_dashboard_yaml", 2, slug=slug, yaml=text),
            ["saved"],
        ]
    )
    messages, ctx = env.turn(model)
    return results(messages, "save_dashboard_yaml")[0], ctx


def test_validate_then_save_parse_and_validate_once(env: Env, loads: list[str]) -> None:
    text = dashboard_yaml(SQL_A, theme=None)  # the save adds theme: monotone
    saved, ctx = _validate_and_save(env, "loaded-once", text)
    assert saved.error is None, saved.error
    assert loads == ["parse", "schema"]
    stored = env.c.store("dashboards").get(f"{env.team_id}/loaded-once.yaml").data.decode()
    assert yaml.safe_load(stored)["theme"] == "monotone"
    assert (
        dict(ctx.events)["yaml_artifact"]["yaml"]
        == stored
        == text.replace("version: 1\n", "version: 1\ntheme: monotone\n")
    )
    with env.c.db.session() as s:
        from shared.db.models import Dashboard

        row = s.query(Dashboard).filter_by(team_id=env.team_id, slug="loaded-once").one()
        assert row.title == "Rules" and row.version == 1


def test_a_value_of_another_turn_is_not_reused(env: Env, loads: list[str]) -> None:
    text = dashboard_yaml(SQL_A)
    first, _ = env.turn(ScriptedModel([call("validate_dashboard_yaml", yaml=text), ["checked"]]))
    assert results(first, "validate_dashboard_yaml")[0].result["valid"] is True
    assert loads == ["parse", "schema"]
    model = ScriptedModel(
        [
            call("run_dry_run_query", sql=SQL_A),
            call("save_dashboard_yaml", 1, slug="next-turn", yaml=text),
            ["saved"],
        ]
    )
    messages, _ = env.turn(model)
    assert results(messages, "save_dashboard_yaml")[0].error is None
    assert loads == ["parse", "schema"] * 2  # the new turn loads the text itself, once


def test_the_service_loads_text_once_and_reuses_only_a_value_checked_with_its_tables(
    env: Env, loads: list[str]
) -> None:
    text = dashboard_yaml(SQL_A)
    with env.c.db.session() as s:
        save_dashboard(env.c, s, env.user, env.team_id, "from-text", text, if_match=None)
    assert loads == ["parse", "schema"]  # e.g. a PUT from the API: loaded once
    # a value checked with other tables (here: any table at all) is loaded again, and refused
    outside = dashboard_yaml("SELECT 1 AS revenue, 'x' AS status FROM `other.place.secrets`\n")
    foreign = validated(validate_dashboard(outside), checked_with="elsewhere")
    assert foreign is not None and foreign.tables == ("other.place.secrets",)
    loads.clear()
    with pytest.raises(ValidationFailed) as refused, env.c.db.session() as s:
        save_dashboard(env.c, s, env.user, env.team_id, "foreign", foreign, if_match=None)
    assert "other.place.secrets" in str(refused.value.details)
    assert loads == ["parse", "schema"]
    assert f"{env.team_id}/foreign.yaml" not in env.stored()


def test_a_save_refused_by_its_dry_run_is_located_in_the_saved_text(env: Env, loads: list[str]) -> None:
    # the SELECT list does not name its columns, so only the dry run finds that 'revenue' is missing
    sql = f"SELECT * FROM (SELECT status, SUM(sale_price) AS total FROM {ITEMS} GROUP BY status)\n"
    text = dashboard_yaml(sql, theme=None)
    saved, _ = _validate_and_save(env, "no-revenue", text, sql)
    assert loads == ["parse", "schema"]
    assert saved.error is not None and saved.error["code"] == "validation_failed", saved.error
    themed = text.replace("version: 1\n", "version: 1\ntheme: monotone\n").splitlines()
    (problem,) = saved.error["details"]
    assert "unknown field 'revenue'" in problem["message"]
    assert themed[problem["line"] - 1].strip() == "field: revenue"
    assert themed[problem["line"] - 2].strip() == "y:"
    assert f"{env.team_id}/no-revenue.yaml" not in env.stored()
