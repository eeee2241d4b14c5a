"""ScriptedModel: a deterministic test double of the model port (like simonw/llm's mock model).

Each call to :meth:`ScriptedModel.stream` plays the next step of the script and records the
request. A step is a sequence of events (strings are shorthand for text deltas), or a
:class:`~shared.errors.BridgeError` to raise. A :class:`Finish` is added when a step has none:
``tool_calls`` if it called a tool, else ``stop``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence

from shared.adapters.model.messages import (
    AssistantMessage,
    Finish,
    ModelEvent,
    ModelRequest,
    TextDelta,
    ToolCallEvent,
    Usage,
)
from shared.adapters.model.port import StreamingChatModel
from shared.errors import BadRequest, BridgeError

ScriptStep = Sequence[ModelEvent | str] | BridgeError


class ScriptedModel(StreamingChatModel):
    """Plays ``script`` one step per call; ``requests`` lists what it was asked.

    With ``by_history=True`` the step is chosen by the number of assistant messages in the
    request instead of a call counter, so replaying the same request (a retried task) replays
    the same step.
    """

    def __init__(self, script: Sequence[ScriptStep], *, name: str = "scripted", by_history: bool = False):
        self.name = name
        self.script = list(script)
        self.by_history = by_history
        self.requests: list[ModelRequest] = []
        self._calls = 0
        self._lock = threading.Lock()

    def stream(self, request: ModelRequest) -> Iterator[ModelEvent]:
        with self._lock:
            self.requests.append(request)
            if self.by_history:
                index = sum(isinstance(m, AssistantMessage) for m in request.messages)
            else:
                index, self._calls = self._calls, self._calls + 1
        if index >= len(self.script):
            raise BadRequest(f"ScriptedModel has {len(self.script)} steps; step {index + 1} was requested")
        step = self.script[index]
        if isinstance(step, BridgeError):
            raise step
        return self._play(step)

    @staticmethod
    def _play(step: Sequence[ModelEvent | str]) -> Iterator[ModelEvent]:
        events = [TextDelta(e) if isinstance(e, str) else e for e in step]
        yield from (e for e in events if not isinstance(e, Finish))
        finish = next((e for e in events if isinstance(e, Finish)), None)
        if finish is None:
            called = any(isinstance(e, ToolCallEvent) for e in events)
            output = sum(len(e.text) for e in events if isinstance(e, TextDelta))
            finish = Finish("tool_calls" if called else "stop", Usage(output_tokens=output))
        yield finish
