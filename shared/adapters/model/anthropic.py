"""Anthropic Messages adapter of the model port, through the official ``anthropic`` SDK.

``BRIDGE_MODEL=anthropic:<model id>`` with ``BRIDGE_ANTHROPIC_API_KEY`` and
``BRIDGE_ANTHROPIC_BASE_URL``. The SDK is imported when the first client is built. The stable
prefix (tools + every system block but the turn's volatile ``context`` block) carries a
``cache_control`` breakpoint, and so does the newest message, so each step reads the earlier
ones from Anthropic's prompt cache. Retries on 408/409/429/5xx/529 are the SDK's own
(``max_retries``); an ``error`` event inside a stream becomes ``Unavailable`` (the step is retried
by the task queue). Text streams as it arrives; a tool call is yielded when its block closes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from shared.adapters.model.messages import (
    AssistantMessage,
    Finish,
    FinishReason,
    Message,
    ModelEvent,
    ModelRequest,
    SystemBlock,
    TextDelta,
    ToolCallEvent,
    ToolSpec,
    Usage,
    UserMessage,
)
from shared.adapters.model.wire import (
    RETRYABLE_STATUS,
    SdkModel,
    parse_arguments,
    secret,
    synthetic_id,
    tool_result_text,
)
from shared.errors import BadRequest, BridgeError, Timeout, Unavailable

PREFIX = "anthropic:"
ANTHROPIC_API = "https://api.anthropic.com"
VOLATILE_BLOCKS = frozenset({"context"})  # changes per turn: after the cache breakpoint
TEAM_BLOCKS = frozenset({"team_knowledge"})  # per team: its own breakpoint after the shared prefix
EPHEMERAL = {"type": "ephemeral"}

_STOP_REASONS: dict[str, FinishReason] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "tool_use": "tool_calls",
    "max_tokens": "max_tokens",
    "model_context_window_exceeded": "max_tokens",
    "refusal": "safety",
}


def system_blocks(blocks: Sequence[SystemBlock]) -> list[dict[str, Any]]:
    """Text blocks in order; the last stable block carries the prefix's cache breakpoint, and the
    last block shared by every team one more when a team block follows (so teams share it)."""
    kept = [b for b in blocks if b.text]
    out: list[dict[str, Any]] = [{"type": "text", "text": b.text} for b in kept]
    stable = [i for i, b in enumerate(kept) if b.key not in VOLATILE_BLOCKS]
    shared = [i for i in stable if kept[i].key not in TEAM_BLOCKS]
    for i in {*stable[-1:], *shared[-1:]}:
        out[i]["cache_control"] = EPHEMERAL
    return out


def tool_params(specs: Sequence[ToolSpec]) -> list[dict[str, Any]]:
    return [{"name": s.name, "description": s.description, "input_schema": s.parameters} for s in specs]


def messages_param(messages: Sequence[Message]) -> list[dict[str, Any]]:
    """Alternating user/assistant messages; tool results (and a following user text) share a user turn."""
    out: list[dict[str, Any]] = []

    def add(role: str, blocks: list[dict[str, Any]]) -> None:
        if not blocks:
            return
        if out and out[-1]["role"] == role:
            out[-1]["content"].extend(blocks)
        else:
            out.append({"role": role, "content": blocks})

    for message in messages:
        if isinstance(message, UserMessage):
            add("user", [{"type": "text", "text": message.text or "."}])
        elif isinstance(message, AssistantMessage):
            blocks: list[dict[str, Any]] = [{"type": "text", "text": message.text}] if message.text else []
            blocks += [
                {"type": "tool_use", "id": c.id, "name": c.name, "input": c.arguments}
                for c in message.tool_calls
            ]
            add("assistant", blocks)
        else:
            add(
                "user",
                [
                    {
                        "type": "tool_result",
                        "tool_use_id": message.call_id,
                        "content": tool_result_text(message),
                        "is_error": message.error is not None,
                    }
                ],
            )
    if out:
        last = out[-1]["content"][-1]
        out[-1]["content"][-1] = {**last, "cache_control": EPHEMERAL}
    return out


class _EventTranslator:
    """Folds raw Messages stream events into model events."""

    def __init__(self) -> None:
        self.blocks: dict[int, dict[str, Any]] = {}
        self.stop_reason: str | None = None
        self.input_tokens = self.output_tokens = self.cache_read = self.cache_write = 0
        self.saw_tool_call = False

    def _usage(self, usage: Any) -> None:
        if usage is None:
            return
        self.input_tokens = getattr(usage, "input_tokens", None) or self.input_tokens
        self.output_tokens = getattr(usage, "output_tokens", None) or self.output_tokens
        self.cache_read = getattr(usage, "cache_read_input_tokens", None) or self.cache_read
        self.cache_write = getattr(usage, "cache_creation_input_tokens", None) or self.cache_write

    def feed(self, event: Any) -> Iterator[ModelEvent]:
        kind = event.type
        if kind == "message_start":
            self._usage(event.message.usage)
        elif kind == "content_block_start":
            block = event.content_block
            if block.type == "tool_use":
                self.blocks[event.index] = {"id": block.id, "name": block.name, "json": []}
            elif block.type == "text" and block.text:
                yield TextDelta(block.text)
        elif kind == "content_block_delta":
            delta = event.delta
            if delta.type == "text_delta" and delta.text:
                yield TextDelta(delta.text)
            elif delta.type == "input_json_delta" and event.index in self.blocks:
                self.blocks[event.index]["json"].append(delta.partial_json)
        elif kind == "content_block_stop":
            pending = self.blocks.pop(event.index, None)
            if pending is not None:
                self.saw_tool_call = True
                yield ToolCallEvent(
                    id=pending["id"] or synthetic_id(),
                    name=pending["name"],
                    arguments=parse_arguments("".join(pending["json"])),
                )
        elif kind == "message_delta":
            self.stop_reason = event.delta.stop_reason or self.stop_reason
            self._usage(event.usage)

    def finish(self) -> Finish:
        reason = _STOP_REASONS.get(self.stop_reason or "", "other")
        if self.saw_tool_call and reason in ("stop", "other"):
            reason = "tool_calls"
        usage = Usage(
            input_tokens=self.input_tokens + self.cache_read + self.cache_write,
            output_tokens=self.output_tokens,
            cached_tokens=self.cache_read,
        )
        return Finish(reason, usage)


def map_error(exc: BaseException, *, model: str) -> BridgeError:
    """The Bridge error for an ``anthropic`` SDK failure (never includes credentials)."""
    import anthropic

    provider = {"provider": "anthropic"}
    if isinstance(exc, BridgeError):
        return exc
    if isinstance(exc, anthropic.APITimeoutError):
        return Timeout(f"{model} did not answer in time", details=provider)
    if isinstance(exc, anthropic.APIConnectionError):
        return Unavailable(f"{model} could not be reached", details=provider)
    if isinstance(exc, anthropic.APIStatusError):
        status = exc.status_code
        kind, message = _error_body(exc)
        details = {**provider, "status": status, "type": kind}
        text = f"{model}: {status} {kind} {message}".strip()
        if status < 400 or kind in ("overloaded_error", "api_error", "rate_limit_error"):
            return Unavailable(f"{model} failed mid-answer: {kind} {message}".strip(), details=details)
        if status in (401, 403):
            return Unavailable(f"Anthropic refused the credentials: {text}", details=details)
        if status in RETRYABLE_STATUS or status >= 500:
            return Unavailable(text, details=details)
        return BadRequest(text, details=details)
    return Unavailable(f"{model} failed: {type(exc).__name__}", details=provider)


def _error_body(exc: Any) -> tuple[str, str]:
    body = exc.body
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except ValueError:
            return "error", body[:500]
    inner = body.get("error", body) if isinstance(body, dict) else {}
    if not isinstance(inner, dict):
        return "error", str(inner)[:500]
    return str(inner.get("type", "error")), str(inner.get("message", ""))[:500]


class AnthropicModel(SdkModel):
    """A Claude model through the Messages API; the SDK client is built on first use."""

    prefix = PREFIX

    def __init__(
        self,
        model: str,
        *,
        api_key: str = "",
        base_url: str = ANTHROPIC_API,
        max_retries: int = 2,
        client: Any = None,
    ) -> None:
        super().__init__(model, base_url=base_url, api_key=api_key, max_retries=max_retries, client=client)

    def _new_client(self, api_key: str) -> Any:
        import anthropic

        if not api_key:
            raise Unavailable("set BRIDGE_ANTHROPIC_API_KEY to use Anthropic models")
        return anthropic.Anthropic(api_key=api_key, base_url=self.base_url, max_retries=self.max_retries)

    def request_body(self, request: ModelRequest) -> dict[str, Any]:
        """The Messages API parameters of ``request`` (streamed)."""
        body: dict[str, Any] = {
            "model": self.remote_model,
            "max_tokens": request.max_output_tokens,
            "system": system_blocks(request.system),
            "messages": messages_param(request.messages),
            "stream": True,
        }
        if request.tools:
            body["tools"] = tool_params(request.tools)
        return body

    def stream(self, request: ModelRequest) -> Iterator[ModelEvent]:
        if not request.messages:
            raise BadRequest("a model request needs at least one message")
        import anthropic

        translator = _EventTranslator()
        try:
            events = self.client.messages.create(**self.request_body(request), timeout=request.timeout_s)
            with events:
                for event in events:
                    yield from translator.feed(event)
        except anthropic.AnthropicError as exc:
            raise map_error(exc, model=self.name) from exc
        yield translator.finish()


def from_settings(model: str, *, settings: Any, region: str | None = None) -> AnthropicModel:
    """The registry's factory for ``anthropic:<model id>`` (region does not apply)."""
    remote = model.removeprefix(PREFIX)
    if not remote:
        raise BadRequest("name the model after 'anthropic:', e.g. anthropic:claude-sonnet-5-5")
    return AnthropicModel(
        remote,
        api_key=secret(getattr(settings, "anthropic_api_key", None)),
        base_url=settings.anthropic_base_url,
        max_retries=settings.model_max_retries,
    )
