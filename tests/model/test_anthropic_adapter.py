"""AnthropicModel through the real ``anthropic`` SDK against a local server speaking Messages SSE.

The server's bodies are written from Anthropic's API reference (see ``tests/provider_wire.py``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from provider_wire import HANG, WireServer, anthropic_error, anthropic_stream, anthropic_stream_error, serve

from shared.adapters.model.anthropic import AnthropicModel
from shared.adapters.model.messages import (
    AssistantMessage,
    Finish,
    ModelRequest,
    SystemBlock,
    TextDelta,
    ToolCall,
    ToolCallEvent,
    ToolResultMessage,
    ToolSpec,
    Usage,
    UserMessage,
)
from shared.adapters.model.registry import create_model
from shared.adapters.model.wire import MALFORMED_ARGUMENTS
from shared.errors import BadRequest, Timeout, Unavailable
from shared.settings import Settings

TOOL = ToolSpec(
    "get_table_schema",
    "Columns of one table.",
    {"type": "object", "properties": {"table": {"type": "string"}}, "required": ["table"]},
)
SYSTEM = (
    SystemBlock("role", "You are Bridge."),
    SystemBlock("bigquery", "Filter on partitions."),
    SystemBlock("context", "Team: Acme."),
)
EPHEMERAL = {"type": "ephemeral"}


def request(*messages, **kwargs) -> ModelRequest:
    return ModelRequest(
        system=SYSTEM, messages=messages or (UserMessage("orders by status"),), tools=(TOOL,), **kwargs
    )


@pytest.fixture
def server() -> Iterator[WireServer]:
    yield from serve()


@pytest.fixture
def model(server: WireServer) -> AnthropicModel:
    return AnthropicModel("claude-sonnet-5-5", api_key="sk-ant-test", base_url=server.url, max_retries=2)


def test_streams_text_then_finish_with_cached_usage(model, server) -> None:
    server.queue(anthropic_stream(["Orders ", "grew."], usage=(300, 15, 2000, 100)))

    events = list(model.stream(request()))

    assert events == [
        TextDelta("Orders "),
        TextDelta("grew."),
        Finish("stop", Usage(input_tokens=300 + 2000 + 100, output_tokens=15, cached_tokens=2000)),
    ]
    sent = server.received[0]
    assert sent.path == "/v1/messages"
    assert "sk-ant-test" in sent.headers.get("x-api-key", "") + sent.headers.get("authorization", "")
    assert sent.headers["anthropic-version"]
    assert sent.body["model"] == "claude-sonnet-5-5" and sent.body["stream"] is True


def test_the_stable_system_prefix_and_the_newest_message_carry_cache_breakpoints(model, server) -> None:
    server.queue(anthropic_stream(["ok"]))

    list(model.stream(request()))

    system = server.received[0].body["system"]
    assert [b["text"] for b in system] == ["You are Bridge.", "Filter on partitions.", "Team: Acme."]
    assert [b.get("cache_control") for b in system] == [None, EPHEMERAL, None]  # context is volatile
    messages = server.received[0].body["messages"]
    assert messages[-1]["content"][-1]["cache_control"] == EPHEMERAL
    assert server.received[0].body["tools"] == [
        {"name": "get_table_schema", "description": "Columns of one table.", "input_schema": TOOL.parameters}
    ]


def test_tool_use_blocks_become_tool_calls(model, server) -> None:
    server.queue(
        anthropic_stream(
            ["Let me look. "],
            [
                ("toolu_01", "get_table_schema", '{"table": "demo.thelook_ecommerce.orders"}'),
                ("toolu_02", "get_table_schema", '{"table": "demo.thelook_ecommerce.users"}'),
            ],
        )
    )

    events = list(model.stream(request()))

    assert events == [
        TextDelta("Let me look. "),
        ToolCallEvent("toolu_01", "get_table_schema", {"table": "demo.thelook_ecommerce.orders"}),
        ToolCallEvent("toolu_02", "get_table_schema", {"table": "demo.thelook_ecommerce.users"}),
        Finish("tool_calls", Usage(1200, 40, 0)),
    ]


def test_conversation_alternates_roles_with_tool_results_in_user_turns(model, server) -> None:
    server.queue(anthropic_stream(["done"]))
    calls = (ToolCall("toolu_1", "get_table_schema", {"table": "a"}), ToolCall("toolu_2", "x", {}))
    history = (
        UserMessage("orders"),
        AssistantMessage("Looking.", calls),
        ToolResultMessage("toolu_1", "get_table_schema", result={"columns": ["id"]}),
        ToolResultMessage("toolu_2", "x", error={"code": "unknown_tool", "message": "no x"}),
        UserMessage("and by month?"),
    )

    list(model.stream(request(*history)))

    messages = server.received[0].body["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "user"]
    assert messages[1]["content"] == [
        {"type": "text", "text": "Looking."},
        {"type": "tool_use", "id": "toolu_1", "name": "get_table_schema", "input": {"table": "a"}},
        {"type": "tool_use", "id": "toolu_2", "name": "x", "input": {}},
    ]
    results = messages[2]["content"]
    assert results[0] == {
        "type": "tool_result",
        "tool_use_id": "toolu_1",
        "content": '{"output":{"columns":["id"]}}',
        "is_error": False,
    }
    assert (
        results[1]["is_error"] is True
        and json.loads(results[1]["content"])["error"]["code"] == "unknown_tool"
    )
    assert results[2]["text"] == "and by month?"


def test_malformed_tool_input_reaches_the_agent_as_an_invalid_call(model, server) -> None:
    server.queue(anthropic_stream([], [("toolu_01", "get_table_schema", '{"table": ')]))

    call = model.complete(request()).tool_calls[0]

    assert call.arguments == {MALFORMED_ARGUMENTS: '{"table": '}


def test_429_and_529_are_retried_by_the_sdk(model, server) -> None:
    server.queue(
        anthropic_error(
            429,
            "rate_limit_error",
            "Number of requests has exceeded your rate limit",
            **{"retry-after-ms": "5"},
        ),
        anthropic_error(529, "overloaded_error", "Overloaded", **{"retry-after-ms": "5"}),
        anthropic_stream(["ok"]),
    )

    assert model.complete(request()).text == "ok"
    assert len(server.received) == 3


def test_retries_are_bounded_and_errors_name_no_key(model, server) -> None:
    server.queue(*[anthropic_error(500, "api_error", "Internal server error", **{"retry-after-ms": "5"})] * 5)

    with pytest.raises(Unavailable) as info:
        model.complete(request())

    assert len(server.received) == 3
    assert info.value.details["status"] == 500
    assert "sk-ant-test" not in json.dumps(info.value.to_dict())


def test_an_invalid_request_is_a_bad_request_not_retried(model, server) -> None:
    server.queue(anthropic_error(400, "invalid_request_error", "messages: roles must alternate"))

    with pytest.raises(BadRequest, match="roles must alternate"):
        model.complete(request())
    assert len(server.received) == 1


def test_an_error_event_mid_stream_is_unavailable(model, server) -> None:
    server.queue(anthropic_stream_error("Partial "))

    seen = []
    with pytest.raises(Unavailable, match="overloaded_error"):
        for event in model.stream(request()):
            seen.append(event)
    assert seen == [TextDelta("Partial ")]


def test_a_silent_server_times_out(model, server) -> None:
    model.max_retries = 0
    server.queue(HANG)

    with pytest.raises(Timeout):
        model.complete(request(timeout_s=0.3))


def test_without_a_key_the_model_is_unavailable_before_any_request(tmp_path, server) -> None:
    model = create_model(
        "anthropic:claude-haiku-5-5", settings=Settings(data_dir=tmp_path, anthropic_base_url=server.url)
    )
    with pytest.raises(Unavailable, match="BRIDGE_ANTHROPIC_API_KEY"):
        model.complete(request())
    assert server.received == []


def test_registry_builds_it_from_settings(tmp_path, server) -> None:
    settings = Settings(data_dir=tmp_path, anthropic_base_url=server.url, anthropic_api_key="sk-ant-secret")
    model = create_model("anthropic:claude-haiku-5-5", settings=settings)
    assert isinstance(model, AnthropicModel) and model.remote_model == "claude-haiku-5-5"
    assert "sk-ant-secret" not in repr(model) + repr(settings) + json.dumps(model.__dict__, default=str)
    server.queue(anthropic_stream(["hi"]))
    assert model.complete(request()).text == "hi"


def test_a_team_knowledge_block_gets_its_own_breakpoint_after_the_shared_prefix(model, server) -> None:
    from dataclasses import replace

    from shared.adapters.model.messages import SystemBlock

    server.queue(anthropic_stream(["ok"]))
    base = request()
    blocks = (
        *base.system[:-1],
        SystemBlock("team_knowledge", "Team knowledge: revenue = SUM(x)."),
        base.system[-1],
    )
    list(model.stream(replace(base, system=blocks)))

    system = server.received[0].body["system"]
    assert [b["text"] for b in system][-2:] == ["Team knowledge: revenue = SUM(x).", "Team: Acme."]
    # the prefix every team shares is cached on its own, then each team's block, never the context
    assert [b.get("cache_control") for b in system] == [None, EPHEMERAL, EPHEMERAL, None]
