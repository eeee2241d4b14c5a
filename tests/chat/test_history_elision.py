"""A session's later turns send earlier turns as question + answer: their tool output is elided."""

from __future__ import annotations

from chat_helpers import ChatEnv, lookup_script
from doubles.generation import DashboardGenerationService, create_session

from shared.adapters.model.messages import AssistantMessage, ToolResultMessage, UserMessage


def test_earlier_turns_reach_the_model_without_their_tool_results(chat_env: ChatEnv) -> None:
    script = lookup_script()
    model = chat_env.install([*script, ["Second answer."]])
    service = DashboardGenerationService(chat_env.c, timeout_s=60)
    session = create_session(chat_env.c, chat_env.user, chat_env.team_id, chat_env.connection_id)
    first = service.generate(session, "what is there?", user=chat_env.user)
    assert first.status == "done"
    assert (
        sum(isinstance(m, ToolResultMessage) for m in model.requests[-1].messages) == 3
    )  # within a turn: all

    model.script = [["Second answer."]] * 10  # by history: any step index answers
    second = service.generate(session, "and now?", user=chat_env.user)

    assert second.status == "done" and second.message == "Second answer."
    sent = model.requests[-1].messages
    assert sent == (
        UserMessage("what is there?"),
        AssistantMessage(first.message),
        UserMessage("and now?"),
    )
    assert not any(isinstance(m, ToolResultMessage) for m in sent)
