"""OpenAI-compatible Chat Completions adapter of the model port, through the official ``openai`` SDK.

``BRIDGE_MODEL=openai:<model id>`` with ``BRIDGE_OPENAI_BASE_URL`` (default the OpenAI API) and
``BRIDGE_OPENAI_API_KEY`` (optional for local servers): one adapter for OpenAI, Ollama, vLLM,
LM Studio and llama.cpp's server. The SDK is imported when the first client is built. Retries on
408/409/429/5xx and connection errors are the SDK's own (``max_retries``, exponential backoff,
``Retry-After`` honoured); they happen before any event is yielded. Text streams as it arrives;
tool calls are assembled from their indexed fragments and yielded when the stream ends.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from shared.adapters.model.messages import (
    AssistantMessage,
    Finish,
    FinishReason,
    Message,
    ModelEvent,
    ModelRequest,
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
    system_text,
    tool_result_text,
)
from shared.errors import BadRequest, BridgeError, Timeout, Unavailable

PREFIX = "openai:"
OPENAI_API = "https://api.openai.com/v1"
LOCAL_API_KEY = "not-needed"  # local servers ignore the key, the SDK insists on one

_FINISH_REASONS: dict[str, FinishReason] = {
    "stop": "stop",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
    "length": "max_tokens",
    "content_filter": "safety",
}


def chat_messages(system: str, messages: Sequence[Message]) -> list[dict[str, Any]]:
    """Chat Completions messages: the system prompt first, one tool message per result."""
    out: list[dict[str, Any]] = [{"role": "system", "content": system}] if system else []
    for message in messages:
        if isinstance(message, UserMessage):
            out.append({"role": "user", "content": message.text})
        elif isinstance(message, AssistantMessage):
            body: dict[str, Any] = {"role": "assistant", "content": message.text or None}
            if message.tool_calls:
                body["tool_calls"] = [
                    {
                        "id": call.id,
                        "type": "function",
                        "function": {"name": call.name, "arguments": json.dumps(call.arguments)},
                    }
                    for call in message.tool_calls
                ]
            out.append(body)
        else:
            out.append(
                {"role": "tool", "tool_call_id": message.call_id, "content": tool_result_text(message)}
            )
    return out


def function_tools(specs: Sequence[ToolSpec]) -> list[dict[str, Any]]:
    return [
        {
            "type": "function",
            "function": {"name": s.name, "description": s.description, "parameters": s.parameters},
        }
        for s in specs
    ]


@dataclass
class _PendingCall:
    id: str = ""
    name: str = ""
    arguments: list[str] = field(default_factory=list)


class _ChunkTranslator:
    """Folds ``ChatCompletionChunk`` objects into model events."""

    def __init__(self) -> None:
        self.calls: dict[int, _PendingCall] = {}
        self.finish_reason: str | None = None
        self.usage = Usage()

    def feed(self, chunk: Any) -> Iterator[ModelEvent]:
        if chunk.usage is not None:
            details = chunk.usage.prompt_tokens_details
            self.usage = Usage(
                input_tokens=chunk.usage.prompt_tokens or 0,
                output_tokens=chunk.usage.completion_tokens or 0,
                cached_tokens=(details.cached_tokens or 0) if details else 0,
            )
        for choice in chunk.choices or []:
            if choice.index != 0:
                continue
            if choice.finish_reason:
                self.finish_reason = choice.finish_reason
            delta = choice.delta
            if delta is None:
                continue
            if delta.content:
                yield TextDelta(delta.content)
            for part in delta.tool_calls or []:
                pending = self.calls.setdefault(part.index, _PendingCall())
                pending.id = pending.id or (part.id or "")
                if part.function is not None:
                    pending.name = pending.name or (part.function.name or "")
                    pending.arguments.append(part.function.arguments or "")

    def finish(self) -> Iterator[ModelEvent]:
        for _, pending in sorted(self.calls.items()):
            yield ToolCallEvent(
                id=pending.id or synthetic_id(),
                name=pending.name,
                arguments=parse_arguments("".join(pending.arguments)),
            )
        reason = _FINISH_REASONS.get(self.finish_reason or "", "other")
        if self.calls and reason in ("stop", "other"):
            reason = "tool_calls"  # some local servers end tool-call turns with "stop"
        yield Finish(reason, self.usage)


def map_error(exc: BaseException, *, model: str) -> BridgeError:
    """The Bridge error for an ``openai`` SDK failure (never includes credentials)."""
    import openai

    provider = {"provider": "openai"}
    if isinstance(exc, BridgeError):
        return exc
    if isinstance(exc, openai.APITimeoutError):
        return Timeout(f"{model} did not answer in time", details=provider)
    if isinstance(exc, openai.APIConnectionError):
        return Unavailable(f"{model} could not be reached", details=provider)
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        details = {**provider, "status": status}
        text = f"{model}: {status} {_message(exc)}"
        if status in (401, 403):
            return Unavailable(f"the model server refused the credentials: {text}", details=details)
        if status in RETRYABLE_STATUS or status >= 500:
            return Unavailable(text, details=details)
        return BadRequest(text, details=details)
    if isinstance(exc, openai.APIError):  # an error event inside a stream
        return Unavailable(f"{model} failed mid-answer: {_message(exc)}", details=provider)
    return Unavailable(f"{model} failed: {type(exc).__name__}", details=provider)


def _message(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and isinstance(inner.get("message"), str):
            return str(inner["message"])[:500]
    return str(getattr(exc, "message", "") or type(exc).__name__)[:500]


class OpenAICompatModel(SdkModel):
    """A Chat Completions model at ``base_url``; the SDK client is built on first use."""

    prefix = PREFIX

    def __init__(
        self,
        model: str,
        *,
        base_url: str = OPENAI_API,
        api_key: str = "",
        max_retries: int = 2,
        client: Any = None,
    ) -> None:
        super().__init__(model, base_url=base_url, api_key=api_key, max_retries=max_retries, client=client)

    @property
    def is_openai_api(self) -> bool:
        return self.base_url == OPENAI_API

    def _new_client(self, api_key: str) -> Any:
        import openai

        return openai.OpenAI(
            api_key=api_key or LOCAL_API_KEY, base_url=self.base_url, max_retries=self.max_retries
        )

    def request_body(self, request: ModelRequest) -> dict[str, Any]:
        """The Chat Completions parameters of ``request`` (streamed, usage included)."""
        body: dict[str, Any] = {
            "model": self.remote_model,
            "messages": chat_messages(system_text(request.system), request.messages),
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        if request.tools:
            body["tools"] = function_tools(request.tools)
        if self.is_openai_api:  # current OpenAI models take only this name and their default temperature
            body["max_completion_tokens"] = request.max_output_tokens
        else:
            body["max_tokens"] = request.max_output_tokens
            body["temperature"] = request.temperature
        return body

    def stream(self, request: ModelRequest) -> Iterator[ModelEvent]:
        if not request.messages:
            raise BadRequest("a model request needs at least one message")
        import openai

        translator = _ChunkTranslator()
        try:
            chunks = self.client.chat.completions.create(
                **self.request_body(request), timeout=request.timeout_s
            )
            with chunks:
                for chunk in chunks:
                    yield from translator.feed(chunk)
        except openai.OpenAIError as exc:
            raise map_error(exc, model=self.name) from exc
        yield from translator.finish()


def from_settings(model: str, *, settings: Any, region: str | None = None) -> OpenAICompatModel:
    """The registry's factory for ``openai:<model id>`` (region does not apply)."""
    remote = model.removeprefix(PREFIX)
    if not remote:
        raise BadRequest("name the model after 'openai:', e.g. openai:gpt-4.1-mini or openai:llama3.1")
    return OpenAICompatModel(
        remote,
        base_url=settings.openai_base_url,
        api_key=secret(getattr(settings, "openai_api_key", None)),
        max_retries=settings.model_max_retries,
    )
