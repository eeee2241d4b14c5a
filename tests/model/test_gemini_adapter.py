"""GeminiModel driven through the real google-genai client against recorded Vertex AI replies."""

from __future__ import annotations

import base64
import socket

import pytest
from google.genai import types
from google.oauth2.credentials import Credentials

from shared.adapters.model.gemini import GeminiModel, RetryPolicy
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
from shared.errors import BadRequest, Timeout, Unavailable

from .conftest import HANG, VertexReplay

LIST_TABLES = ToolSpec(
    "list_tables",
    "List the tables of one dataset.",
    {
        "type": "object",
        "properties": {"dataset": {"type": "string", "minLength": 1}},
        "required": ["dataset"],
        "additionalProperties": False,
    },
)
DRY_RUN = ToolSpec(
    "run_dry_run_query",
    "Dry-run a BigQuery SELECT under a byte cap.",
    {
        "type": "object",
        "properties": {
            "sql": {"type": "string"},
            "max_bytes": {"type": "integer", "minimum": 1, "maximum": 1_000_000_000},
        },
        "required": ["sql"],
        "additionalProperties": False,
    },
)
SYSTEM = (
    SystemBlock("role", "You are Bridge. Use tools only."),
    SystemBlock("bigquery", "Always filter on the partition column."),
    SystemBlock("layout", "Use a 12-column grid."),
)


def request(*messages, tools=(LIST_TABLES, DRY_RUN), system=SYSTEM, **kwargs) -> ModelRequest:
    return ModelRequest(
        system=system,
        messages=messages or (UserMessage("revenue by month"),),
        tools=tools,
        max_output_tokens=kwargs.pop("max_output_tokens", 2048),
        temperature=kwargs.pop("temperature", 0.2),
        **kwargs,
    )


def test_streams_text_deltas_then_finish_with_usage(gemini: GeminiModel, vertex: VertexReplay) -> None:
    vertex.queue((200, "text_stream.sse"))

    events = list(gemini.stream(request()))

    assert events == [
        TextDelta("Revenue grew "),
        TextDelta("12% month over month"),
        TextDelta(" in Q3."),
        Finish("stop", Usage(input_tokens=1873, output_tokens=11 + 28, cached_tokens=1024)),
    ]
    assert vertex.generate_calls[0].path == (
        "/v1beta1/projects/bridge-test/locations/europe-west1/publishers/google/models/"
        "gemini-2.5-flash:streamGenerateContent?alt=sse"
    )
    assert vertex.generate_calls[0].headers["Authorization"] == "Bearer test-access-token"


def test_complete_folds_the_stream(gemini: GeminiModel, vertex: VertexReplay) -> None:
    vertex.queue((200, "text_stream.sse"))

    response = gemini.complete(request())

    assert response.text == "Revenue grew 12% month over month in Q3."
    assert response.tool_calls == ()
    assert response.finish_reason == "stop"


def test_function_call_becomes_a_tool_call_event(gemini: GeminiModel, vertex: VertexReplay) -> None:
    vertex.queue((200, "function_call.sse"))

    events = list(gemini.stream(request()))

    assert events[0] == TextDelta("Let me look at the tables first.")
    call = events[1]
    assert isinstance(call, ToolCallEvent)
    assert (call.name, call.arguments) == ("list_tables", {"dataset": "thelook_ecommerce"})
    assert call.id
    assert call.signature == "CiQBjz1rX6Z7Lw0qv0n1mD7zq0sU1mFv1r5b0Q8cXyZqg9uVw5wKbgGPPWtf"
    assert events[2] == Finish("tool_calls", Usage(2210, 21 + 64, 0))


def test_parallel_function_calls_keep_their_order(gemini: GeminiModel, vertex: VertexReplay) -> None:
    vertex.queue((200, "parallel_function_calls.sse"))

    response = gemini.complete(request())

    assert [(c.name, c.arguments) for c in response.tool_calls] == [
        ("get_table_schema", {"table": "demo.thelook_ecommerce.orders"}),
        ("get_table_schema", {"table": "demo.thelook_ecommerce.order_items"}),
        (
            "run_dry_run_query",
            {
                "sql": "SELECT status, COUNT(*) AS n FROM `demo.thelook_ecommerce.orders` GROUP BY status",
                "max_bytes": 100000000,
            },
        ),
    ]
    assert len({c.id for c in response.tool_calls}) == 3
    assert response.tool_calls[0].signature and response.tool_calls[1].signature is None
    assert response.finish_reason == "tool_calls"
    assert response.usage.cached_tokens == 2048


def test_max_tokens_finish_is_reported(gemini: GeminiModel, vertex: VertexReplay) -> None:
    vertex.queue((200, "max_tokens.sse"))

    assert gemini.complete(request()).finish_reason == "max_tokens"


def test_429_is_retried_then_succeeds(gemini: GeminiModel, vertex: VertexReplay, sleeps: list[float]) -> None:
    vertex.queue((429, "error_429.json"), (200, "text_stream.sse"))

    response = gemini.complete(request())

    assert response.text.startswith("Revenue grew")
    assert len(vertex.generate_calls) == 2
    assert len(sleeps) == 1


def test_500_twice_then_success_backs_off_longer_each_time(
    gemini: GeminiModel, vertex: VertexReplay, sleeps: list[float]
) -> None:
    vertex.queue((500, "error_500.json"), (500, "error_500.json"), (200, "function_call.sse"))

    response = gemini.complete(request())

    assert response.tool_calls[0].name == "list_tables"
    assert len(vertex.generate_calls) == 3
    assert len(sleeps) == 2 and sleeps[1] > sleeps[0]


def test_persistent_500_is_unavailable_after_bounded_attempts(
    gemini: GeminiModel, vertex: VertexReplay
) -> None:
    vertex.queue(*[(500, "error_500.json")] * 5)

    with pytest.raises(Unavailable, match="500 INTERNAL") as caught:
        gemini.complete(request())

    assert caught.value.details["status"] == 500
    assert len(vertex.generate_calls) == 3


def test_400_is_a_bad_request_and_not_retried(gemini: GeminiModel, vertex: VertexReplay) -> None:
    vertex.queue((400, "error_400.json"), (200, "text_stream.sse"))

    with pytest.raises(BadRequest, match="invalid schema"):
        gemini.complete(request())

    assert len(vertex.generate_calls) == 1


def test_error_after_the_first_token_is_not_retried(gemini: GeminiModel, vertex: VertexReplay) -> None:
    vertex.queue((200, "error_mid_stream.sse"), (200, "text_stream.sse"))
    seen = []

    with pytest.raises(Unavailable):
        for event in gemini.stream(request()):
            seen.append(event)

    assert seen == [TextDelta("The monthly")]
    assert len(vertex.generate_calls) == 1


def test_a_reply_slower_than_the_timeout_raises_timeout(gemini: GeminiModel, vertex: VertexReplay) -> None:
    vertex.queue((200, HANG))

    with pytest.raises(Timeout):
        gemini.complete(request(timeout_s=0.3))

    assert len(vertex.generate_calls) == 1


def test_request_body_holds_our_schemas_system_blocks_in_order_and_no_sdk_tool_loop(
    gemini: GeminiModel, vertex: VertexReplay
) -> None:
    vertex.queue((200, "function_call.sse"))

    gemini.complete(request())

    (call,) = vertex.received  # the SDK ran no function and sent no follow-up request
    body = call.body
    declarations = body["tools"][0]["functionDeclarations"]
    assert [d["name"] for d in declarations] == ["list_tables", "run_dry_run_query"]
    assert [d.get("parametersJsonSchema", d.get("parameters_json_schema")) for d in declarations] == [
        LIST_TABLES.parameters,
        DRY_RUN.parameters,
    ]
    assert [p["text"] for p in body["systemInstruction"]["parts"]] == [b.text for b in SYSTEM]
    assert body["contents"] == [{"role": "user", "parts": [{"text": "revenue by month"}]}]
    assert body["generationConfig"] == {"temperature": 0.2, "maxOutputTokens": 2048}
    assert "functionResponse" not in str(body)


def test_tool_calls_and_results_are_sent_back_in_gemini_shape(
    gemini: GeminiModel, vertex: VertexReplay
) -> None:
    vertex.queue((200, "text_stream.sse"))
    signature = base64.b64encode(b"opaque-thought").decode()
    history = (
        UserMessage("revenue by month"),
        AssistantMessage(
            "Checking.",
            (
                ToolCall("call-1", "list_tables", {"dataset": "thelook_ecommerce"}, signature),
                ToolCall("bridge-0a1b", "run_dry_run_query", {"sql": "SELECT 1"}),
            ),
        ),
        ToolResultMessage("call-1", "list_tables", result={"tables": ["orders"]}),
        ToolResultMessage(
            "bridge-0a1b", "run_dry_run_query", error={"code": "unsafe_sql", "message": "not a SELECT"}
        ),
    )

    gemini.complete(request(*history))

    sent = vertex.generate_calls[0].body["contents"]
    assert [c["role"] for c in sent] == ["user", "model", "user"]
    model_parts = sent[1]["parts"]
    assert model_parts[0] == {"text": "Checking."}
    assert model_parts[1]["functionCall"] == {
        "id": "call-1",
        "name": "list_tables",
        "args": {"dataset": "thelook_ecommerce"},
    }
    assert model_parts[1]["thoughtSignature"] == signature
    assert model_parts[2]["functionCall"] == {"name": "run_dry_run_query", "args": {"sql": "SELECT 1"}}
    assert [p["functionResponse"] for p in sent[2]["parts"]] == [
        {"id": "call-1", "name": "list_tables", "response": {"output": {"tables": ["orders"]}}},
        {
            "name": "run_dry_run_query",
            "response": {"error": {"code": "unsafe_sql", "message": "not a SELECT"}},
        },
    ]


def test_a_long_stable_prefix_is_stored_once_as_a_context_cache(vertex: VertexReplay) -> None:
    model = GeminiModel(
        "gemini-2.5-flash",
        project="bridge-test",
        location="europe-west1",
        http_options=types.HttpOptions(base_url=vertex.base_url),
        credentials=Credentials(token="test-access-token"),
        cache_min_tokens=100,
    )
    system = (SystemBlock("schema", "A dashboard has views and queries. " * 40 + "cache-test"),)
    vertex.queue((200, "cached_content.json"), (200, "text_stream.sse"), (200, "text_stream.sse"))

    model.complete(request(system=system))
    model.complete(request(UserMessage("and by country?"), system=system))

    created = [r for r in vertex.received if r.path.endswith("/cachedContents")]
    assert len(created) == 1
    assert created[0].body["systemInstruction"]["parts"][0]["text"] == system[0].text
    assert created[0].body["tools"][0]["functionDeclarations"][0]["name"] == "list_tables"
    for call in vertex.generate_calls:
        assert call.body["cachedContent"].endswith("/cachedContents/4977813456012345344")
        assert "systemInstruction" not in call.body and "tools" not in call.body


def test_a_short_prefix_is_sent_inline(vertex: VertexReplay) -> None:
    model = GeminiModel(
        "gemini-2.5-flash",
        project="bridge-test",
        location="europe-west1",
        http_options=types.HttpOptions(base_url=vertex.base_url),
        credentials=Credentials(token="test-access-token"),
        cache_min_tokens=100_000,
    )
    vertex.queue((200, "text_stream.sse"))

    model.complete(request())

    assert [r.path for r in vertex.received] == [vertex.generate_calls[0].path]
    assert "cachedContent" not in vertex.generate_calls[0].body


def test_a_request_without_messages_is_refused(gemini: GeminiModel, vertex: VertexReplay) -> None:
    with pytest.raises(BadRequest, match="at least one message"):
        list(gemini.stream(ModelRequest(system=SYSTEM, messages=())))
    assert vertex.received == []


def test_retry_policy_backoff_is_capped() -> None:
    policy = RetryPolicy(attempts=5, initial_backoff_s=1.0, max_backoff_s=4.0)

    assert all(4.0 <= policy.backoff(n) <= 6.0 for n in (2, 3, 10))


def test_refused_credentials_are_unavailable_and_not_retried(
    gemini: GeminiModel, vertex: VertexReplay
) -> None:
    vertex.queue((403, "error_403.json"), (200, "text_stream.sse"))

    with pytest.raises(Unavailable, match="refused the service credentials") as caught:
        gemini.complete(request())

    assert caught.value.details["reason"] == "PERMISSION_DENIED"
    assert len(vertex.generate_calls) == 1


def test_a_blocked_prompt_finishes_with_safety(gemini: GeminiModel, vertex: VertexReplay) -> None:
    vertex.queue((200, "blocked_prompt.sse"))

    response = gemini.complete(request())

    assert (response.text, response.tool_calls, response.finish_reason) == ("", (), "safety")
    assert response.usage.input_tokens == 912


def test_an_expired_context_cache_falls_back_to_the_inline_prefix(vertex: VertexReplay) -> None:
    model = GeminiModel(
        "gemini-2.5-flash",
        project="bridge-test",
        location="europe-west1",
        http_options=types.HttpOptions(base_url=vertex.base_url),
        credentials=Credentials(token="test-access-token"),
        cache_min_tokens=100,
    )
    system = (SystemBlock("schema", "A dashboard has views and queries. " * 40 + "expired-cache-test"),)
    vertex.queue((200, "cached_content.json"), (404, "error_404_cache.json"), (200, "text_stream.sse"))

    response = model.complete(request(system=system))

    first, second = vertex.generate_calls
    assert "cachedContent" in first.body
    assert "cachedContent" not in second.body
    assert second.body["systemInstruction"]["parts"][0]["text"] == system[0].text
    assert response.text.startswith("Revenue grew")


def test_an_unreachable_endpoint_is_retried_then_unavailable(sleeps: list[float]) -> None:
    with socket.socket() as probe:  # a port nothing listens on once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    model = GeminiModel(
        "gemini-2.5-flash",
        project="bridge-test",
        location="europe-west1",
        http_options=types.HttpOptions(base_url=f"http://127.0.0.1:{port}/"),
        credentials=Credentials(token="test-access-token"),
        retry=RetryPolicy(attempts=3, initial_backoff_s=0.01),
        sleep=sleeps.append,
    )

    with pytest.raises(Unavailable, match="could not be reached"):
        model.complete(request())

    assert len(sleeps) == 2


def test_an_api_key_selects_google_ai_studio(vertex: VertexReplay) -> None:
    """BRIDGE_GEMINI_API_KEY: the Gemini API path and key header, same streamed format as Vertex."""
    model = GeminiModel(
        "gemini-3.8-flash", api_key="AIza-test-key", http_options=types.HttpOptions(base_url=vertex.base_url)
    )
    vertex.queue((200, "function_call.sse"))

    response = model.complete(request())

    assert response.tool_calls[0].name == "list_tables"
    sent = vertex.generate_calls[0]
    assert "/models/gemini-3.8-flash:streamGenerateContent" in sent.path and "/projects/" not in sent.path
    assert sent.headers.get("x-goog-api-key") == "AIza-test-key"
    assert "Authorization" not in sent.headers
    assert "AIza-test-key" not in repr(model)


def test_the_registry_picks_ai_studio_when_a_key_is_set(tmp_path) -> None:
    from shared.adapters.model.registry import create_model
    from shared.settings import Settings

    studio = create_model("gemini-3.8-flash", settings=Settings(data_dir=tmp_path, gemini_api_key="AIza-k"))
    vertex_model = create_model("gemini-3.8-flash", settings=Settings(data_dir=tmp_path, gcp_project="p"))

    assert "ai-studio" in repr(studio) and "AIza-k" not in repr(studio)
    assert "vertex p/europe-west1" in repr(vertex_model)
