"""ToolRegistry: argument validation before the call, failures returned as results, stable specs."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import pytest

from shared.adapters.model.messages import ToolCall, ToolResultMessage, ToolSpec
from shared.adapters.model.protocol import Result
from shared.agent.tools import Tool, ToolRegistry, tool
from shared.errors import Conflict, UnsafeSql, ValidationFailed

TABLES = {"thelook_ecommerce": ["orders", "order_items", "users"]}


@dataclass
class Ctx:
    calls: list[str] = field(default_factory=list)


@tool(
    "list_tables",
    "List the tables of a dataset.",
    parameters={
        "type": "object",
        "properties": {"dataset": {"type": "string", "minLength": 1}, "limit": {"type": "integer"}},
        "required": ["dataset"],
        "additionalProperties": False,
    },
    result={
        "type": "object",
        "properties": {"tables": {"type": "array", "items": {"type": "string"}}},
        "required": ["tables"],
    },
)
def list_tables(ctx: Ctx, dataset: str, limit: int = 100) -> dict[str, Any]:
    ctx.calls.append(f"list_tables:{dataset}")
    return {"tables": TABLES.get(dataset, [])[:limit]}


@tool(
    "run_dry_run_query",
    "Dry-run SQL.",
    parameters={"type": "object", "properties": {"sql": {"type": "string"}}, "required": ["sql"]},
    result={"type": "object", "properties": {"bytes": {"type": "integer"}}, "required": ["bytes"]},
)
def dry_run(ctx: Ctx, sql: str) -> dict[str, Any]:
    ctx.calls.append("dry_run")
    if not sql.lstrip().upper().startswith("SELECT"):
        raise UnsafeSql("only a single SELECT is allowed", details=[{"path": "sql", "message": "DELETE"}])
    if "boom" in sql:
        raise RuntimeError("driver exploded")
    if "bad_result" in sql:
        return {"bytes": "many"}
    return {"bytes": 1024}


@pytest.fixture
def registry() -> ToolRegistry:
    return ToolRegistry([list_tables, dry_run])


def test_a_valid_call_runs_the_tool_and_returns_its_result(registry: ToolRegistry) -> None:
    ctx = Ctx()

    outcome = registry.call("list_tables", {"dataset": "thelook_ecommerce", "limit": 2}, ctx)

    assert outcome.ok and outcome.result == {"tables": ["orders", "order_items"]}
    assert outcome.to_dict() == {"ok": True, "result": {"tables": ["orders", "order_items"]}}
    assert ctx.calls == ["list_tables:thelook_ecommerce"]


def test_invalid_arguments_are_an_error_result_and_the_tool_does_not_run(registry: ToolRegistry) -> None:
    ctx = Ctx()

    outcome = registry.call("list_tables", {"dataset": "", "limit": "ten", "extra": 1}, ctx)

    assert not outcome.ok and outcome.error is not None
    assert outcome.error.code == "validation_failed"
    paths = sorted(d["path"] for d in outcome.error.details)
    assert paths == ["/", "/dataset", "/limit"]
    assert ctx.calls == []


def test_missing_arguments_are_reported(registry: ToolRegistry) -> None:
    outcome = registry.call("list_tables", {}, Ctx())

    assert outcome.error is not None
    assert "'dataset' is a required property" in outcome.error.details[0]["message"]


def test_an_unknown_tool_is_an_error_result_naming_the_known_tools(registry: ToolRegistry) -> None:
    outcome = registry.call("drop_table", {"table": "orders"}, Ctx())

    assert outcome.error is not None and outcome.error.code == "unknown_tool"
    assert outcome.error.details == {"known": ["list_tables", "run_dry_run_query"]}


def test_a_bridge_error_from_the_tool_is_returned_with_its_code_and_details(registry: ToolRegistry) -> None:
    outcome = registry.call("run_dry_run_query", {"sql": "DELETE FROM orders"}, Ctx())

    assert outcome.error is not None
    assert outcome.error.to_dict() == {
        "code": "unsafe_sql",
        "message": "only a single SELECT is allowed",
        "details": [{"path": "sql", "message": "DELETE"}],
    }


def test_any_other_exception_is_logged_and_returned_without_internals(
    registry: ToolRegistry, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="shared.agent.tools"):
        outcome = registry.call("run_dry_run_query", {"sql": "SELECT boom"}, Ctx())

    assert outcome.error is not None and outcome.error.code == "internal"
    assert "exploded" not in outcome.error.message
    assert "driver exploded" in caplog.text


def test_a_result_outside_its_schema_becomes_an_error(registry: ToolRegistry) -> None:
    outcome = registry.call("run_dry_run_query", {"sql": "SELECT bad_result"}, Ctx())

    assert outcome.error is not None and outcome.error.code == "internal"
    assert outcome.error.details[0]["path"] == "/bytes"


def test_specs_are_sorted_by_name_whatever_the_registration_order() -> None:
    forward = ToolRegistry([list_tables, dry_run]).specs()
    backward = ToolRegistry([dry_run, list_tables]).specs()

    assert forward == backward
    assert [s.name for s in forward] == ["list_tables", "run_dry_run_query"]
    assert forward[0] == ToolSpec("list_tables", "List the tables of a dataset.", list_tables.parameters)


def test_run_answers_a_model_tool_call_with_a_tool_result_message(registry: ToolRegistry) -> None:
    call = ToolCall("call-7", "run_dry_run_query", {"sql": "UPDATE x SET y = 1"})

    message = registry.run(call, Ctx())

    assert isinstance(message, ToolResultMessage)
    assert (message.call_id, message.name, message.ok) == ("call-7", "run_dry_run_query", False)
    assert message.error is not None and message.error["code"] == "unsafe_sql"


def test_registering_a_name_twice_is_a_conflict(registry: ToolRegistry) -> None:
    with pytest.raises(Conflict, match="already registered"):
        registry.register(list_tables)


@pytest.mark.parametrize(
    ("name", "parameters", "message"),
    [
        ("has space", {"type": "object"}, "must match"),
        ("ok_name", {"type": "array"}, "object schema"),
        ("ok_name", {"type": "object", "properties": {"a": {"type": "nonsense"}}}, "invalid schema"),
    ],
)
def test_bad_tool_definitions_are_refused(name: str, parameters: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationFailed, match=message):
        ToolRegistry().register(Tool(name, "d", parameters, lambda ctx: {}))


class Count(Result):
    n: int


@tool("count", "A count.", parameters={"type": "object", "properties": {"raw": {}}}, result=Count)
def count(ctx: Ctx, raw: Any = None) -> Any:
    return Count(n=3) if raw is None else raw


def test_a_model_declared_result_is_checked_unless_it_is_that_model() -> None:
    """An instance of the declared model was validated when built; anything else meets the schema."""
    registry = ToolRegistry([count])
    assert registry.call("count", {}, Ctx()).result == {"n": 3}
    assert registry.call("count", {"raw": {"n": 4}}, Ctx()).result == {"n": 4}
    bad = registry.call("count", {"raw": {"n": "four"}}, Ctx())
    assert (
        not bad.ok and bad.error is not None and bad.error.message == "tool count returned an invalid result"
    )
