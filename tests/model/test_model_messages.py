"""Messages survive persistence between steps; a stream folds into one response."""

from __future__ import annotations

import json

import pytest

from shared.adapters.model.messages import (
    AssistantMessage,
    Finish,
    ModelRequest,
    TextDelta,
    ToolCall,
    ToolCallEvent,
    ToolResultMessage,
    Usage,
    UserMessage,
    message_from_dict,
    message_to_dict,
)
from shared.adapters.model.port import collect
from shared.errors import BadRequest, Unavailable

CONVERSATION = [
    UserMessage("revenue by month"),
    AssistantMessage("Looking.", (ToolCall("c1", "list_tables", {"dataset": "d"}, "c2ln"),)),
    ToolResultMessage("c1", "list_tables", result={"tables": ["orders"]}),
    ToolResultMessage("c2", "run_dry_run_query", error={"code": "timeout", "message": "slow"}),
    AssistantMessage("Done."),
]


def test_messages_round_trip_through_json() -> None:
    stored = json.loads(json.dumps([message_to_dict(m) for m in CONVERSATION]))

    assert [message_from_dict(d) for d in stored] == CONVERSATION
    assert stored[1]["tool_calls"][0]["signature"] == "c2ln"
    assert "result" not in stored[3] and stored[3]["error"]["code"] == "timeout"


@pytest.mark.parametrize(
    "data", [{"role": "system", "text": "x"}, {"role": "assistant", "tool_calls": [{}]}, {}]
)
def test_malformed_stored_messages_are_bad_requests(data: dict) -> None:
    with pytest.raises(BadRequest):
        message_from_dict(data)


def test_collect_folds_deltas_calls_and_finish() -> None:
    response = collect(
        [
            TextDelta("a"),
            ToolCallEvent("c1", "list_tables", {"dataset": "d"}),
            TextDelta("b"),
            Finish("tool_calls", Usage(10, 2, 5)),
        ]
    )

    assert (response.text, response.finish_reason, response.usage.total_tokens) == ("ab", "tool_calls", 12)
    assert response.to_message() == AssistantMessage("ab", (ToolCall("c1", "list_tables", {"dataset": "d"}),))


def test_a_stream_without_finish_is_unavailable() -> None:
    with pytest.raises(Unavailable, match="without a finish"):
        collect([TextDelta("partial")])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"max_output_tokens": 0}, "max_output_tokens"),
        ({"temperature": 3.0}, "temperature"),
        ({"timeout_s": 0}, "timeout_s"),
    ],
)
def test_an_invalid_model_request_is_a_bad_request(change: dict, message: str) -> None:
    with pytest.raises(BadRequest, match=message):
        ModelRequest(system=(), messages=(UserMessage("hi"),), **change)
