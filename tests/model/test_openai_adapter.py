"""OpenAICompatModel through the real ``openai`` SDK against a local server speaking Chat Completions SSE.

The server's bodies are written from OpenAI's API reference (see ``tests/provider_wire.py``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from provider_wire import HANG, WireServer, openai_error, openai_stream, openai_stream_error, serve

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
from shared.adapters.model.openai_compat import OpenAICompatModel, from_settings
from shared.adapters.model.registry import create_model
from shared.adapters.model.wire import MALFORMED_ARGUMENTS
from shared.errors import BadRequest, Timeout, Unavailable
from shared.settings import Settings

TOOL = ToolSpec(
    "get_table_schema",
    "Columns of one table.",
    {"type": "object", "properties": {"table": {"type": "string"}}, "required": ["table"]},
)
SYSTEM = (SystemBlock("role", "You are Bridge."), SystemBlock("context", "Team: Acme."))


def request(*messages, **kwargs) -> ModelRequest:
    return ModelRequest(
        system=SYSTEM, messages=messages or (UserMessage("orders by status"),), tools=(TOOL,), **kwargs
    )


@pytest.fixture
def server() -> Iterator[WireServer]:
    yield from serve()


@pytest.fixture
def model(server: WireServer) -> OpenAICompatModel:
    return OpenAICompatModel("llama3.1", base_url=f"{server.url}/v1", api_key="sk-local-test", max_retries=2)


def test_streams_text_then_finish_with_usage(model, server) -> None:
    server.queue(openai_stream(["Orders ", "grew ", "12%."], usage=(900, 12, 512)))

    events = list(model.stream(request()))

    assert events == [
        TextDelta("Orders "),
        TextDelta("grew "),
        TextDelta("12%."),
        Finish("stop", Usage(input_tokens=900, output_tokens=12, cached_tokens=512)),
    ]
    sent = server.received[0]
    assert sent.path == "/v1/chat/completions"
    assert sent.headers["authorization"] == "Bearer sk-local-test"
    assert sent.body["model"] == "llama3.1" and sent.body["stream"] is True
    assert sent.body["stream_options"] == {"include_usage": True}
    assert sent.body["messages"][0] == {"role": "system", "content": "You are Bridge.\n\nTeam: Acme."}
    assert sent.body["tools"][0]["function"]["name"] == "get_table_schema"
    assert sent.body["max_tokens"] == 4096 and sent.body["temperature"] == 0.0


def test_tool_call_fragments_are_joined_into_one_call(model, server) -> None:
    server.queue(
        openai_stream(
            ["Let me look. "],
            [
                ("call_a", "get_table_schema", '{"table": "demo.thelook_ecommerce.orders"}'),
                ("call_b", "get_table_schema", '{"table": "demo.thelook_ecommerce.users"}'),
            ],
        )
    )

    events = list(model.stream(request()))

    assert events[0] == TextDelta("Let me look. ")
    assert events[1:3] == [
        ToolCallEvent("call_a", "get_table_schema", {"table": "demo.thelook_ecommerce.orders"}),
        ToolCallEvent("call_b", "get_table_schema", {"table": "demo.thelook_ecommerce.users"}),
    ]
    assert isinstance(events[3], Finish) and events[3].reason == "tool_calls"


def test_conversation_is_sent_as_chat_messages(model, server) -> None:
    server.queue(openai_stream(["done"]))
    call = ToolCall("call_a", "get_table_schema", {"table": "t"})
    history = (
        UserMessage("orders"),
        AssistantMessage("Looking.", (call,)),
        ToolResultMessage("call_a", "get_table_schema", result={"columns": ["id"]}),
    )

    list(model.stream(request(*history)))

    messages = server.received[0].body["messages"][1:]
    assert messages[1] == {
        "role": "assistant",
        "content": "Looking.",
        "tool_calls": [
            {
                "id": "call_a",
                "type": "function",
                "function": {"name": "get_table_schema", "arguments": '{"table": "t"}'},
            }
        ],
    }
    assert messages[2] == {
        "role": "tool",
        "tool_call_id": "call_a",
        "content": '{"output":{"columns":["id"]}}',
    }


def test_malformed_arguments_reach_the_agent_as_an_invalid_call(model, server) -> None:
    server.queue(openai_stream([], [("call_x", "get_table_schema", '{"table": "orders"')]))

    events = list(model.stream(request()))

    call = events[0]
    assert isinstance(call, ToolCallEvent)
    assert call.arguments == {MALFORMED_ARGUMENTS: '{"table": "orders"'}


def test_a_local_server_without_tool_call_ids_or_finish_reason(model, server) -> None:
    """Some local servers omit ids and end tool-call turns with "stop"."""
    server.queue(openai_stream([], [("", "get_table_schema", '{"table": "t"}')], finish="stop"))

    response = model.complete(request())

    assert response.tool_calls[0].id.startswith("bridge-")
    assert response.finish_reason == "tool_calls"


def test_429_and_500_are_retried_by_the_sdk(model, server) -> None:
    server.queue(
        openai_error(429, "Rate limit reached", "rate_limit_error", **{"retry-after-ms": "5"}),
        openai_error(500, "The server had an error", **{"retry-after-ms": "5"}),
        openai_stream(["ok"]),
    )

    assert model.complete(request()).text == "ok"
    assert len(server.received) == 3
    assert server.received[1].headers.get("x-stainless-retry-count") == "1"


def test_retries_are_bounded(model, server) -> None:
    server.queue(*[openai_error(503, "overloaded", **{"retry-after-ms": "5"}) for _ in range(5)])

    with pytest.raises(Unavailable) as info:
        model.complete(request())

    assert len(server.received) == 3  # one call + max_retries
    assert info.value.details == {"provider": "openai", "status": 503}
    assert "sk-local-test" not in str(info.value.to_dict())


def test_a_bad_request_is_not_retried(model, server) -> None:
    server.queue(openai_error(400, "tools[0].function.name is invalid", "invalid_request_error"))

    with pytest.raises(BadRequest, match=r"tools\[0\]\.function\.name is invalid"):
        model.complete(request())
    assert len(server.received) == 1


def test_refused_credentials_are_unavailable_not_retried(model, server) -> None:
    server.queue(openai_error(401, "Incorrect API key provided", "invalid_request_error"))

    with pytest.raises(Unavailable, match="refused the credentials"):
        model.complete(request())
    assert len(server.received) == 1


def test_an_error_inside_the_stream_is_unavailable(model, server) -> None:
    server.queue(openai_stream_error("Partial ", "The model produced invalid content"))

    seen = []
    with pytest.raises(Unavailable, match="invalid content"):
        for event in model.stream(request()):
            seen.append(event)
    assert seen == [TextDelta("Partial ")]


def test_a_silent_server_times_out(model, server) -> None:
    model.max_retries = 0
    server.queue(HANG)

    with pytest.raises(Timeout):
        model.complete(request(timeout_s=0.3))


def test_official_openai_api_gets_max_completion_tokens_and_no_temperature(server) -> None:
    model = OpenAICompatModel("gpt-4.1-mini", api_key="sk-x")
    body = model.request_body(request())
    assert body["max_completion_tokens"] == 4096 and "temperature" not in body and "max_tokens" not in body


def test_registry_builds_it_from_settings_with_a_secret_key(tmp_path, server) -> None:
    settings = Settings(
        data_dir=tmp_path,
        openai_base_url=f"{server.url}/v1",
        openai_api_key="sk-secret-123",
        model_max_retries=1,
    )
    model = create_model("openai:qwen2.5-coder", settings=settings)
    assert isinstance(model, OpenAICompatModel)
    assert (model.name, model.remote_model, model.max_retries) == ("openai:qwen2.5-coder", "qwen2.5-coder", 1)
    assert "sk-secret-123" not in repr(model) + repr(settings) + json.dumps(model.__dict__, default=str)

    server.queue(openai_stream(["hi"]))
    assert model.complete(request()).text == "hi"
    assert server.received[0].headers["authorization"] == "Bearer sk-secret-123"


def test_no_key_is_fine_for_a_local_server(tmp_path) -> None:
    model = from_settings("openai:llama3.1", settings=Settings(data_dir=tmp_path))
    assert model.client.api_key  # a placeholder: local servers ignore it, the SDK insists on one


def test_openai_prefix_without_a_model_id_is_refused(tmp_path) -> None:
    with pytest.raises(BadRequest, match="name the model"):
        create_model("openai:", settings=Settings(data_dir=tmp_path))
