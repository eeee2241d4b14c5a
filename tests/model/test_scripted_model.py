"""ScriptedModel, the model port's test double: plays steps, records requests."""

from __future__ import annotations

import pytest
from doubles.scripted_model import ScriptedModel

from shared.adapters.model.messages import (
    AssistantMessage,
    Finish,
    ModelRequest,
    TextDelta,
    ToolCallEvent,
    Usage,
    UserMessage,
)
from shared.adapters.model.port import ChatModel
from shared.errors import BadRequest, Unavailable

CALL = ToolCallEvent("c1", "list_tables", {"dataset": "thelook_ecommerce"})


def ask(*messages) -> ModelRequest:
    return ModelRequest(system=(), messages=messages or (UserMessage("hi"),))


def test_steps_play_in_order_and_requests_are_recorded() -> None:
    model = ScriptedModel([["Let me look. ", CALL], ["Here ", "it is."]])

    first = list(model.stream(ask(UserMessage("revenue"))))
    second = model.complete(ask(UserMessage("revenue"), AssistantMessage("Let me look. ")))

    assert isinstance(model, ChatModel)
    assert first == [TextDelta("Let me look. "), CALL, Finish("tool_calls", Usage(output_tokens=13))]
    assert (second.text, second.finish_reason) == ("Here it is.", "stop")
    assert [r.messages[0] for r in model.requests] == [UserMessage("revenue")] * 2


def test_a_scripted_finish_is_kept() -> None:
    model = ScriptedModel([["cut", Finish("max_tokens", Usage(5, 1))]])

    assert model.complete(ask()).finish_reason == "max_tokens"


def test_an_error_step_is_raised() -> None:
    model = ScriptedModel([Unavailable("vertex is down"), ["ok"]])

    with pytest.raises(Unavailable, match="vertex is down"):
        model.complete(ask())
    assert model.complete(ask()).text == "ok"


def test_running_past_the_script_is_a_bad_request() -> None:
    model = ScriptedModel([["only step"]])
    model.complete(ask())

    with pytest.raises(BadRequest, match="has 1 steps; step 2"):
        model.complete(ask())


def test_by_history_replays_the_same_step_for_the_same_request() -> None:
    model = ScriptedModel([[CALL], ["answer"]], by_history=True)
    after_call = ask(UserMessage("q"), AssistantMessage("", (CALL.to_call(),)))

    assert model.complete(ask()).tool_calls == (CALL.to_call(),)
    assert model.complete(ask()).tool_calls == (CALL.to_call(),)
    assert model.complete(after_call).text == "answer"
