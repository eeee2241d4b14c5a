"""The model port: one chat model with tool calling and streaming, whatever the provider.

An adapter implements :meth:`ChatModel.stream`; :func:`collect` (and :class:`StreamingChatModel`)
derive the non-streaming answer from it. Provider failures surface as ``shared.errors``:
``Timeout``, ``Unavailable`` (after the adapter's own bounded retries) or ``BadRequest``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Protocol, runtime_checkable

from shared.adapters.model.messages import (
    Finish,
    ModelEvent,
    ModelRequest,
    ModelResponse,
    TextDelta,
    ToolCall,
    ToolCallEvent,
)
from shared.errors import Unavailable


@runtime_checkable
class ChatModel(Protocol):
    """A chat model. ``name`` identifies it in logs and usage records."""

    name: str

    def stream(self, request: ModelRequest) -> Iterator[ModelEvent]:
        """Yield text deltas and tool calls as they arrive, then exactly one :class:`Finish`."""
        ...

    def complete(self, request: ModelRequest) -> ModelResponse:
        """The whole answer at once (drains :meth:`stream`)."""
        ...


def collect(events: Iterable[ModelEvent]) -> ModelResponse:
    """Fold a model's event stream into one :class:`ModelResponse`."""
    text: list[str] = []
    calls: list[ToolCall] = []
    finish: Finish | None = None
    for event in events:
        if isinstance(event, TextDelta):
            text.append(event.text)
        elif isinstance(event, ToolCallEvent):
            calls.append(event.to_call())
        else:
            finish = event
    if finish is None:
        raise Unavailable("the model stream ended without a finish event")
    return ModelResponse("".join(text), tuple(calls), finish.reason, finish.usage)


class StreamingChatModel:
    """Base for adapters: implement ``stream``; ``complete`` comes for free."""

    name: str = "model"

    def stream(self, request: ModelRequest) -> Iterator[ModelEvent]:
        raise NotImplementedError

    def complete(self, request: ModelRequest) -> ModelResponse:
        return collect(self.stream(request))
