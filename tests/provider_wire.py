"""Local HTTP servers speaking the OpenAI Chat Completions and Anthropic Messages wire formats.

The bodies are written from the providers' API references (streaming sections): OpenAI sends
``data: <chat.completion.chunk>`` lines, tool calls as indexed fragments whose ``arguments`` are
split across chunks, a usage-only chunk with empty ``choices`` (``stream_options.include_usage``)
and ``data: [DONE]``; errors are ``{"error": {"message", "type", "code"}}``. Anthropic sends named
events ``message_start``, ``content_block_start`` / ``content_block_delta`` (``text_delta``,
``input_json_delta``) / ``content_block_stop``, ``ping``, ``message_delta`` (stop_reason, usage),
``message_stop``; errors are ``{"type": "error", "error": {"type", "message"}}``, also as an
``event: error`` inside a stream. Nothing here is a recording of a live service.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

HANG = object()  # a reply that never comes (until the server stops)


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "text/event-stream"


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class WireServer:
    """Answers each POST with the next queued reply (or a ``responder``) and records the request."""

    replies: list[Reply | object] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    responder: Any = None  # callable(Received) -> Reply, used when nothing is queued
    release: threading.Event = field(default_factory=threading.Event)
    port: int = 0

    def queue(self, *replies: Reply | object) -> None:
        self.replies.extend(replies)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def _handler(server: WireServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            got = Received(
                self.path, {k.lower(): v for k, v in self.headers.items()}, json.loads(raw or b"{}")
            )
            server.received.append(got)
            if server.replies:
                reply = server.replies.pop(0)
            elif server.responder is not None:
                reply = server.responder(got)
            else:
                reply = Reply(500, b'{"error": {"message": "nothing queued", "type": "server_error"}}')
            if reply is HANG:
                server.release.wait(10)
                return
            assert isinstance(reply, Reply)
            self.send_response(reply.status)
            self.send_header(
                "Content-Type", reply.content_type if reply.status == 200 else "application/json"
            )
            self.send_header("Content-Length", str(len(reply.body)))
            for key, value in reply.headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(reply.body)

        def log_message(self, *args: object) -> None:
            pass

    return Handler


def serve() -> Iterator[WireServer]:
    """Run a WireServer on loopback for the duration of a fixture."""
    state = WireServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    httpd.daemon_threads = True
    state.port = httpd.server_port
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.release.set()
        httpd.shutdown()
        httpd.server_close()


# A step of a scripted model: text pieces and (id, name, arguments-as-raw-JSON-text) tool calls.
Call = tuple[str, str, str]


def _split(text: str, pieces: int = 3) -> list[str]:
    size = max(1, len(text) // pieces + 1)
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


# --- OpenAI Chat Completions ------------------------------------------------------------------


def openai_stream(
    text: Sequence[str] = (),
    calls: Sequence[Call] = (),
    *,
    finish: str | None = None,
    usage: tuple[int, int, int] = (1200, 40, 0),
    model: str = "gpt-test",
) -> Reply:
    """A streamed chat completion: text deltas, then each call's fragments, finish, usage, [DONE]."""
    head = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1764000000, "model": model}

    def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        return {
            **head,
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}],
        }

    chunks = [chunk({"role": "assistant", "content": ""})]
    chunks += [chunk({"content": piece}) for piece in text]
    for index, (call_id, name, arguments) in enumerate(calls):
        first = {
            "index": index,
            "id": call_id,
            "type": "function",
            "function": {"name": name, "arguments": ""},
        }
        chunks.append(chunk({"tool_calls": [first]}))
        chunks += [
            chunk({"tool_calls": [{"index": index, "function": {"arguments": part}}]})
            for part in _split(arguments)
        ]
    chunks.append(chunk({}, finish or ("tool_calls" if calls else "stop")))
    prompt, completion, cached = usage
    chunks.append(
        {
            **head,
            "choices": [],
            "usage": {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
                "prompt_tokens_details": {"cached_tokens": cached},
            },
        }
    )
    lines = [f"data: {json.dumps(c)}\n\n" for c in chunks] + ["data: [DONE]\n\n"]
    return Reply(200, "".join(lines).encode())


def openai_error(status: int, message: str, kind: str = "server_error", **headers: str) -> Reply:
    body = {"error": {"message": message, "type": kind, "param": None, "code": None}}
    return Reply(status, json.dumps(body).encode(), headers)


def openai_stream_error(text: str, message: str) -> Reply:
    """A stream that starts, then carries an error object (as OpenAI sends on a failed generation)."""
    head = {"id": "chatcmpl-2", "object": "chat.completion.chunk", "created": 1764000000, "model": "gpt-test"}
    first = {**head, "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}]}
    err = {"error": {"message": message, "type": "server_error", "param": None, "code": None}}
    return Reply(200, f"data: {json.dumps(first)}\n\ndata: {json.dumps(err)}\n\n".encode())


# --- Anthropic Messages -----------------------------------------------------------------------


def _event(name: str, data: dict[str, Any]) -> str:
    return f"event: {name}\ndata: {json.dumps(data)}\n\n"


def anthropic_stream(
    text: Sequence[str] = (),
    calls: Sequence[Call] = (),
    *,
    stop_reason: str | None = None,
    usage: tuple[int, int, int, int] = (1200, 40, 0, 0),  # input, output, cache read, cache write
    model: str = "claude-test",
) -> Reply:
    """A streamed message: a text block (if any), one tool_use block per call, message_delta, stop."""
    input_tokens, output_tokens, cache_read, cache_write = usage
    out = [
        _event(
            "message_start",
            {
                "type": "message_start",
                "message": {
                    "id": "msg_01",
                    "type": "message",
                    "role": "assistant",
                    "content": [],
                    "model": model,
                    "stop_reason": None,
                    "stop_sequence": None,
                    "usage": {
                        "input_tokens": input_tokens,
                        "output_tokens": 1,
                        "cache_read_input_tokens": cache_read,
                        "cache_creation_input_tokens": cache_write,
                    },
                },
            },
        ),
        _event("ping", {"type": "ping"}),
    ]
    index = 0
    if text:
        out.append(
            _event(
                "content_block_start",
                {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
            )
        )
        for piece in text:
            delta = {"type": "text_delta", "text": piece}
            out.append(
                _event("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta})
            )
        out.append(_event("content_block_stop", {"type": "content_block_stop", "index": 0}))
        index = 1
    for offset, (call_id, name, arguments) in enumerate(calls):
        i = index + offset
        block = {"type": "tool_use", "id": call_id, "name": name, "input": {}}
        out.append(
            _event("content_block_start", {"type": "content_block_start", "index": i, "content_block": block})
        )
        for part in _split(arguments):
            delta = {"type": "input_json_delta", "partial_json": part}
            out.append(
                _event("content_block_delta", {"type": "content_block_delta", "index": i, "delta": delta})
            )
        out.append(_event("content_block_stop", {"type": "content_block_stop", "index": i}))
    reason = stop_reason or ("tool_use" if calls else "end_turn")
    out.append(
        _event(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": reason, "stop_sequence": None},
                "usage": {"output_tokens": output_tokens},
            },
        )
    )
    out.append(_event("message_stop", {"type": "message_stop"}))
    return Reply(200, "".join(out).encode())


def anthropic_error(status: int, kind: str, message: str, **headers: str) -> Reply:
    body = {"type": "error", "error": {"type": kind, "message": message}, "request_id": "req_01"}
    return Reply(status, json.dumps(body).encode(), {"request-id": "req_01", **headers})


def anthropic_stream_error(text: str, kind: str = "overloaded_error", message: str = "Overloaded") -> Reply:
    """A stream that starts, then carries an ``error`` event (as the API reference describes)."""
    start = anthropic_stream([text]).body.decode().split("event: message_delta")[0]
    error = _event("error", {"type": "error", "error": {"type": kind, "message": message}})
    return Reply(200, (start + error).encode())
