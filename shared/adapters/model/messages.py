"""Provider-neutral chat data: system blocks, messages, tool specs, stream events, usage.

Everything here is a frozen dataclass of plain JSON values, so a conversation can be persisted
between agent steps (``message_to_dict`` / ``message_from_dict``) and replayed to any provider.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from shared.adapters.model.protocol import CurrentDashboard
from shared.errors import BadRequest
from shared.knowledge.model import Knowledge

JSON = Any  # a value json.dumps accepts
FinishReason = Literal["stop", "tool_calls", "max_tokens", "safety", "malformed_tool_call", "other"]


@dataclass(frozen=True)
class SystemBlock:
    """One block of the system prompt. Blocks keep their order so the prefix is byte-stable."""

    key: str
    text: str


@dataclass(frozen=True)
class ToolSpec:
    """A tool as the model sees it: ``parameters`` is a JSON Schema of the arguments object."""

    name: str
    description: str
    parameters: dict[str, JSON]


@dataclass(frozen=True)
class ToolCall:
    """A call the model asked for. ``signature`` is opaque provider state to send back verbatim."""

    id: str
    name: str
    arguments: dict[str, JSON]
    signature: str | None = None


@dataclass(frozen=True)
class UserMessage:
    text: str
    role: Literal["user"] = "user"


@dataclass(frozen=True)
class AssistantMessage:
    text: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    role: Literal["assistant"] = "assistant"


@dataclass(frozen=True)
class ToolResultMessage:
    """The outcome of one tool call: exactly one of ``result`` / ``error`` is meaningful."""

    call_id: str
    name: str
    result: JSON = None
    error: dict[str, JSON] | None = None  # {code, message, details?}
    role: Literal["tool"] = "tool"

    @property
    def ok(self) -> bool:
        return self.error is None


Message = UserMessage | AssistantMessage | ToolResultMessage


@dataclass(frozen=True)
class Usage:
    """Tokens of one call (or a sum): ``input_tokens`` includes the ``cached_tokens`` read from cache."""

    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.cached_tokens + other.cached_tokens,
        )

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


@dataclass(frozen=True)
class TextDelta:
    text: str


@dataclass(frozen=True)
class ToolCallEvent:
    id: str
    name: str
    arguments: dict[str, JSON]
    signature: str | None = None

    def to_call(self) -> ToolCall:
        return ToolCall(self.id, self.name, self.arguments, self.signature)


@dataclass(frozen=True)
class Finish:
    reason: FinishReason
    usage: Usage = field(default_factory=Usage)


ModelEvent = TextDelta | ToolCallEvent | Finish


@dataclass(frozen=True)
class ModelRequest:
    """One model call. ``system`` and ``tools`` form the cacheable prefix: keep them stable.

    ``dashboard`` is the dashboard the session is editing (fixed for the turn); prompt-based
    providers see its slug in the context block, the offline planner reads it from here.
    ``knowledge`` is the part of the team's knowledge file relevant to the turn's question
    (prompt-based providers read it as the ``team_knowledge`` system block; the planner from here).
    """

    system: tuple[SystemBlock, ...]
    messages: tuple[Message, ...]
    tools: tuple[ToolSpec, ...] = ()
    max_output_tokens: int = 4096
    temperature: float = 0.0
    timeout_s: float = 60.0
    dashboard: CurrentDashboard | None = None
    knowledge: Knowledge | None = None

    def __post_init__(self) -> None:
        problems = [
            message
            for bad, message in (
                (self.max_output_tokens < 1, "max_output_tokens must be at least 1"),
                (not 0.0 <= self.temperature <= 2.0, "temperature must be between 0 and 2"),
                (self.timeout_s <= 0, "timeout_s must be positive"),
            )
            if bad
        ]
        if problems:
            raise BadRequest("invalid model request: " + "; ".join(problems))


@dataclass(frozen=True)
class ModelResponse:
    text: str
    tool_calls: tuple[ToolCall, ...]
    finish_reason: FinishReason
    usage: Usage

    def to_message(self) -> AssistantMessage:
        """The assistant message to append to the conversation."""
        return AssistantMessage(self.text, self.tool_calls)


def message_to_dict(message: Message) -> dict[str, JSON]:
    """A JSON-ready dict of ``message`` (the inverse of :func:`message_from_dict`)."""
    if isinstance(message, UserMessage):
        return {"role": "user", "text": message.text}
    if isinstance(message, AssistantMessage):
        calls = [
            {"id": c.id, "name": c.name, "arguments": c.arguments}
            | ({"signature": c.signature} if c.signature else {})
            for c in message.tool_calls
        ]
        return {"role": "assistant", "text": message.text, "tool_calls": calls}
    body: dict[str, JSON] = {"role": "tool", "call_id": message.call_id, "name": message.name}
    if message.error is not None:
        body["error"] = message.error
    else:
        body["result"] = message.result
    return body


def message_from_dict(data: dict[str, JSON]) -> Message:
    """Rebuild a message persisted with :func:`message_to_dict`; BadRequest when malformed."""
    try:
        role = data["role"]
        if role == "user":
            return UserMessage(str(data["text"]))
        if role == "assistant":
            calls = tuple(
                ToolCall(c["id"], c["name"], dict(c["arguments"]), c.get("signature"))
                for c in data.get("tool_calls", [])
            )
            return AssistantMessage(str(data.get("text", "")), calls)
        if role == "tool":
            return ToolResultMessage(data["call_id"], data["name"], data.get("result"), data.get("error"))
    except (KeyError, TypeError, ValueError) as exc:
        raise BadRequest(f"malformed stored message: {exc!r}", details={"message": data}) from exc
    raise BadRequest(f"unknown message role {role!r}", details={"message": data})
