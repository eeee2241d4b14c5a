"""Gemini adapter of the model port, through google-genai: Vertex AI, or Google AI Studio with an API key.

``BRIDGE_GEMINI_API_KEY`` (settings, or Secret Manager mounted as that variable) selects AI Studio
for ``gemini-…`` models; without it the client uses Vertex AI with the instance's credentials.

The SDK client is created on first use. Automatic function calling is off: tool calls come
back to the agent loop as events. 429/5xx/connection failures are retried a bounded number of
times with exponential backoff (tenacity), but only before the first event was yielded. Long, stable
prefixes (system blocks + tools) can be stored as explicit context caches (``cache_min_tokens``).
"""

from __future__ import annotations

import base64
import hashlib
import importlib
import json
import logging
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from google.auth import exceptions as auth_exceptions
from google.genai import errors as genai_errors
from google.genai import types
from pydantic import SecretStr

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
    ToolResultMessage,
    ToolSpec,
    Usage,
    UserMessage,
)
from shared.adapters.model.port import StreamingChatModel
from shared.adapters.model.wire import secret
from shared.errors import BadRequest, BridgeError, Timeout, Unavailable

log = logging.getLogger(__name__)

RETRYABLE_STATUS = frozenset({408, 429, 500, 502, 503, 504})
SYNTHETIC_ID_PREFIX = "bridge-"  # ids we invent when Vertex sends none; never sent back
CHARS_PER_TOKEN = 4  # rough estimate, only used to decide whether a prefix is worth caching

_FINISH_REASONS: dict[str, FinishReason] = {
    "STOP": "stop",
    "MAX_TOKENS": "max_tokens",
    "SAFETY": "safety",
    "RECITATION": "safety",
    "BLOCKLIST": "safety",
    "PROHIBITED_CONTENT": "safety",
    "SPII": "safety",
    "MODEL_ARMOR": "safety",
    "MALFORMED_FUNCTION_CALL": "malformed_tool_call",
    "UNEXPECTED_TOOL_CALL": "malformed_tool_call",
    "TOO_MANY_TOOL_CALLS": "malformed_tool_call",
}


def _httpx_errors(name: str) -> tuple[type[BaseException], ...]:
    """Exception class ``name`` of whichever httpx flavours google-genai may be using."""
    found: list[type[BaseException]] = []
    for module_name in ("httpx2", "httpx"):
        try:
            found.append(getattr(importlib.import_module(module_name), name))
        except ImportError:
            continue
    return tuple(found)


TIMEOUT_ERRORS = _httpx_errors("TimeoutException")
TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (
    auth_exceptions.TransportError,
    *_httpx_errors("TransportError"),
)
CALL_ERRORS: tuple[type[BaseException], ...] = (
    genai_errors.APIError,
    auth_exceptions.GoogleAuthError,
    *TRANSPORT_ERRORS,
)


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries: ``attempts`` calls in all, sleeping ``initial * 2**n`` (+ jitter) between."""

    attempts: int = 3
    initial_backoff_s: float = 1.0
    max_backoff_s: float = 8.0

    def backoff(self, retry: int) -> float:
        base = min(self.max_backoff_s, self.initial_backoff_s * 2**retry)
        return base + random.uniform(0, base / 2)


def map_error(exc: BaseException, *, model: str) -> BridgeError:
    """The Bridge error for a google-genai / transport failure."""
    if isinstance(exc, BridgeError):
        return exc
    if isinstance(exc, TIMEOUT_ERRORS):
        return Timeout(f"{model} did not answer in time", details={"provider": "vertex"})
    if isinstance(exc, genai_errors.APIError):
        details = {"provider": "vertex", "status": exc.code, "reason": exc.status}
        text = f"{model}: {exc.code} {exc.status or ''} {exc.message or ''}".strip()
        if exc.code == 504:
            return Timeout(text, details=details)
        if exc.code in RETRYABLE_STATUS or exc.code >= 500:
            return Unavailable(text, details=details)
        if exc.code in (401, 403):
            return Unavailable(f"Vertex AI refused the service credentials: {text}", details=details)
        return BadRequest(text, details=details)
    if isinstance(exc, (auth_exceptions.GoogleAuthError, *TRANSPORT_ERRORS)):
        return Unavailable(f"{model} could not be reached: {exc}", details={"provider": "vertex"})
    return Unavailable(f"{model} failed: {exc!r}", details={"provider": "vertex"})


class _CacheUnusable(Exception):
    """The context cache named in the request is gone or refused: resend the prefix inline."""


def _is_retryable(exc: BaseException) -> bool:
    if isinstance(exc, TIMEOUT_ERRORS):
        return False  # the caller's time budget is spent; retrying would double it
    if isinstance(exc, genai_errors.APIError):
        return exc.code in RETRYABLE_STATUS
    return isinstance(exc, TRANSPORT_ERRORS)


# --- request building -------------------------------------------------------------------------


def system_instruction(blocks: Sequence[SystemBlock]) -> types.Content | None:
    """One part per block, in the given order."""
    if not blocks:
        return None
    return types.Content(parts=[types.Part(text=block.text) for block in blocks])


def function_tools(specs: Sequence[ToolSpec]) -> list[types.Tool] | None:
    """One Tool holding a declaration per spec, its JSON Schema passed through unchanged."""
    if not specs:
        return None
    declarations = [
        types.FunctionDeclaration(
            name=spec.name, description=spec.description, parameters_json_schema=spec.parameters
        )
        for spec in specs
    ]
    return [types.Tool(function_declarations=declarations)]


def contents(messages: Sequence[Message]) -> list[types.Content]:
    """Gemini contents for a conversation; consecutive tool results share one turn."""
    out: list[types.Content] = []
    for message in messages:
        if isinstance(message, UserMessage):
            out.append(types.Content(role="user", parts=[types.Part(text=message.text)]))
        elif isinstance(message, AssistantMessage):
            out.append(types.Content(role="model", parts=_assistant_parts(message)))
        else:
            part = _function_response_part(message)
            previous = out[-1] if out else None
            if previous is not None and previous.parts and previous.parts[0].function_response:
                previous.parts.append(part)
            else:
                out.append(types.Content(role="user", parts=[part]))
    return out


def _assistant_parts(message: AssistantMessage) -> list[types.Part]:
    parts = [types.Part(text=message.text)] if message.text else []
    for call in message.tool_calls:
        parts.append(
            types.Part(
                function_call=types.FunctionCall(
                    id=None if call.id.startswith(SYNTHETIC_ID_PREFIX) else call.id,
                    name=call.name,
                    args=call.arguments,
                ),
                thought_signature=base64.b64decode(call.signature) if call.signature else None,
            )
        )
    return parts


def _function_response_part(message: ToolResultMessage) -> types.Part:
    response = {"output": message.result} if message.error is None else {"error": message.error}
    call_id = None if message.call_id.startswith(SYNTHETIC_ID_PREFIX) else message.call_id
    return types.Part(
        function_response=types.FunctionResponse(id=call_id, name=message.name, response=response)
    )


# --- response translation ---------------------------------------------------------------------


class _StreamTranslator:
    """Turns streamed GenerateContentResponse chunks into model events."""

    def __init__(self) -> None:
        self.finish_reason: str | None = None
        self.usage = Usage()
        self.saw_tool_call = False
        self.blocked = False

    def feed(self, chunk: types.GenerateContentResponse) -> Iterator[ModelEvent]:
        if chunk.usage_metadata is not None:
            meta = chunk.usage_metadata
            self.usage = Usage(
                input_tokens=meta.prompt_token_count or 0,
                output_tokens=(meta.candidates_token_count or 0) + (meta.thoughts_token_count or 0),
                cached_tokens=meta.cached_content_token_count or 0,
            )
        if not chunk.candidates:
            feedback = chunk.prompt_feedback
            self.blocked = self.blocked or bool(feedback and feedback.block_reason)
            return
        candidate = chunk.candidates[0]
        if candidate.finish_reason is not None:
            self.finish_reason = str(candidate.finish_reason.value)
        parts = candidate.content.parts if candidate.content and candidate.content.parts else []
        for part in parts:
            if part.thought:
                continue
            if part.function_call is not None:
                self.saw_tool_call = True
                call = part.function_call
                yield ToolCallEvent(
                    id=call.id or f"{SYNTHETIC_ID_PREFIX}{uuid.uuid4().hex[:12]}",
                    name=call.name or "",
                    arguments=dict(call.args or {}),
                    signature=(
                        base64.b64encode(part.thought_signature).decode() if part.thought_signature else None
                    ),
                )
            elif part.text:
                yield TextDelta(part.text)

    def finish(self) -> Finish:
        if self.blocked:
            return Finish("safety", self.usage)
        reason = _FINISH_REASONS.get(self.finish_reason or "", "other")
        if reason == "stop" and self.saw_tool_call:
            reason = "tool_calls"
        return Finish(reason, self.usage)


# --- context caches ---------------------------------------------------------------------------

_CACHES: dict[tuple[str, ...], tuple[str, float]] = {}  # key -> (cache name, expires at, epoch s)
_CACHES_LOCK = threading.Lock()


def prefix_key(model: str, system: Sequence[SystemBlock], tools: Sequence[ToolSpec]) -> str:
    """A hash of everything a context cache holds for ``model``."""
    payload = {
        "model": model,
        "system": [[b.key, b.text] for b in system],
        "tools": [[t.name, t.description, t.parameters] for t in tools],
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


# --- the adapter ------------------------------------------------------------------------------


class GeminiModel(StreamingChatModel):
    """Gemini on Vertex AI (or AI Studio when ``api_key``). ``client`` may be passed in; otherwise built lazily."""

    def __repr__(self) -> str:  # never the key
        where = "ai-studio" if self._api_key.get_secret_value() else f"vertex {self.project}/{self.location}"
        return f"GeminiModel({self.name!r}, {where})"

    def __init__(
        self,
        model: str,
        *,
        project: str = "",
        location: str = "",
        api_key: str = "",
        client: Any = None,
        http_options: types.HttpOptions | None = None,
        credentials: Any = None,
        retry: RetryPolicy | None = None,
        cache_min_tokens: int | None = None,
        cache_ttl_s: int = 3600,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.name = model
        self.project = project
        self.location = location
        self._api_key = SecretStr(api_key)  # repr/str never show it
        self.retry = retry or RetryPolicy()
        self.cache_min_tokens = cache_min_tokens
        self.cache_ttl_s = cache_ttl_s
        self._client = client
        self._http_options = http_options
        self._credentials = credentials
        self._sleep = sleep
        self._lock = threading.Lock()

    @property
    def client(self) -> Any:
        """The google-genai client, created on first use."""
        with self._lock:
            if self._client is None:
                from google import genai

                if self._api_key.get_secret_value():
                    key = self._api_key.get_secret_value()
                    self._client = genai.Client(api_key=key, http_options=self._http_options)
                    return self._client
                self._client = genai.Client(
                    vertexai=True,
                    project=self.project,
                    location=self.location,
                    credentials=self._credentials,
                    http_options=self._http_options,
                )
            return self._client

    def stream(self, request: ModelRequest) -> Iterator[ModelEvent]:
        """Stream one answer; see the module docstring for retries and error mapping."""
        history = contents(request.messages)
        if not history:
            raise BadRequest("a model request needs at least one message")
        cache_name = self._cached_prefix(request)
        while True:  # once more, inline, when the context cache turns out to be unusable
            try:
                yield from self._stream_retried(request, history, cache_name)
                return
            except _CacheUnusable as gone:
                log.warning("context cache %s unusable (%s); sending the prefix inline", cache_name, gone)
                self._forget_cache(request)
                cache_name = None

    def _stream_retried(
        self, request: ModelRequest, history: list[types.Content], cache_name: str | None
    ) -> Iterator[ModelEvent]:
        """One streamed call under the retry policy (tenacity); nothing is retried once an event
        was yielded."""
        from tenacity import Retrying, retry_if_exception, stop_after_attempt

        def before_sleep(state: Any) -> None:
            log.info("%s: %s, retry %d", self.name, state.outcome.exception(), state.attempt_number)

        retrying = Retrying(
            stop=stop_after_attempt(self.retry.attempts),
            wait=lambda state: self.retry.backoff(state.attempt_number - 1),
            retry=retry_if_exception(_is_retryable),
            sleep=self._sleep,
            before_sleep=before_sleep,
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    translator = _StreamTranslator()
                    yielded = False
                    try:
                        chunks = self.client.models.generate_content_stream(
                            model=self.name, contents=history, config=self._config(request, cache_name)
                        )
                        for chunk in chunks:
                            for event in translator.feed(chunk):
                                yielded = True
                                yield event
                    except CALL_ERRORS as exc:
                        if yielded:
                            raise map_error(exc, model=self.name) from exc
                        if cache_name and isinstance(exc, genai_errors.APIError) and exc.code in (400, 404):
                            raise _CacheUnusable(str(exc)) from exc
                        raise
                    yield translator.finish()
        except CALL_ERRORS as exc:
            raise map_error(exc, model=self.name) from exc

    def _config(self, request: ModelRequest, cache_name: str | None) -> types.GenerateContentConfig:
        inline_prefix = cache_name is None
        tools: list[types.ToolUnion] = list(function_tools(request.tools) or []) if inline_prefix else []
        return types.GenerateContentConfig(
            system_instruction=system_instruction(request.system) if inline_prefix else None,
            tools=tools or None,
            cached_content=cache_name,
            automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
            max_output_tokens=request.max_output_tokens,
            temperature=request.temperature,
            http_options=types.HttpOptions(timeout=int(request.timeout_s * 1000)),
        )

    def _cache_key(self, request: ModelRequest) -> tuple[str, ...]:
        return (self.project, self.location, prefix_key(self.name, request.system, request.tools))

    def _cached_prefix(self, request: ModelRequest) -> str | None:
        """The name of a context cache holding the request's prefix, when it is worth one."""
        if self.cache_min_tokens is None:
            return None
        size = sum(len(b.text) for b in request.system) + len(
            json.dumps([[t.name, t.description, t.parameters] for t in request.tools])
        )
        if size // CHARS_PER_TOKEN < self.cache_min_tokens:
            return None
        key = self._cache_key(request)
        with _CACHES_LOCK:
            hit = _CACHES.get(key)
            if hit and hit[1] > time.time():
                return hit[0]
        try:
            cache = self.client.caches.create(
                model=self.name,
                config=types.CreateCachedContentConfig(
                    display_name=f"bridge-{key[-1][:16]}",
                    system_instruction=system_instruction(request.system),
                    tools=function_tools(request.tools),
                    ttl=f"{self.cache_ttl_s}s",
                ),
            )
        except CALL_ERRORS as exc:
            log.warning("%s: no context cache (%s); sending the prefix inline", self.name, exc)
            return None
        with _CACHES_LOCK:
            # Stop using an entry a minute before Vertex expires it.
            _CACHES[key] = (cache.name, time.time() + self.cache_ttl_s - 60)
        return str(cache.name)

    def _forget_cache(self, request: ModelRequest) -> None:
        with _CACHES_LOCK:
            _CACHES.pop(self._cache_key(request), None)


def from_settings(model: str, *, settings: Any, region: str | None = None) -> GeminiModel:
    """The registry's factory: AI Studio with ``gemini_api_key``, else Vertex in the team's region."""
    return GeminiModel(
        model,
        api_key=secret(getattr(settings, "gemini_api_key", None)),
        project=settings.gcp_project,
        location=region or settings.model_region,
        cache_min_tokens=getattr(settings, "model_cache_min_tokens", None),
    )
