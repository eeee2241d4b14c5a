"""A local HTTP server replaying recorded Vertex AI responses to the real google-genai client."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from google.genai import types
from google.oauth2.credentials import Credentials

from shared.adapters.model.gemini import GeminiModel, RetryPolicy

RECORDINGS = Path(__file__).resolve().parents[1] / "fixtures" / "vertex"
HANG = "hang"  # a reply that never comes (until the server stops)


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class VertexReplay:
    """Answers each request with the next queued (status, recording) pair and records it."""

    port: int = 0
    replies: list[tuple[int, str]] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)

    def queue(self, *replies: tuple[int, str]) -> None:
        self.replies.extend(replies)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def generate_calls(self) -> list[Received]:
        return [r for r in self.received if ":streamGenerateContent" in r.path]


def _handler(replay: VertexReplay) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            replay.received.append(
                Received("POST", self.path, dict(self.headers), json.loads(raw) if raw else {})
            )
            if not replay.replies:
                self._send(
                    500, b'{"error": {"code": 500, "message": "nothing queued", "status": "INTERNAL"}}'
                )
                return
            status, recording = replay.replies.pop(0)
            if recording == HANG:
                replay.release.wait(10)
                return
            body = (RECORDINGS / recording).read_bytes()
            kind = "text/event-stream" if recording.endswith(".sse") else "application/json; charset=UTF-8"
            self._send(status, body, kind)

        def _send(self, status: int, body: bytes, kind: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def vertex() -> Iterator[VertexReplay]:
    replay = VertexReplay()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(replay))
    server.daemon_threads = True
    replay.port = server.server_port
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield replay
    replay.release.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def gemini(vertex: VertexReplay, sleeps: list[float]) -> GeminiModel:
    """A GeminiModel whose real google-genai client talks to the replay server."""
    return GeminiModel(
        "gemini-2.5-flash",
        project="bridge-test",
        location="europe-west1",
        http_options=types.HttpOptions(base_url=vertex.base_url),
        credentials=Credentials(token="test-access-token"),
        retry=RetryPolicy(attempts=3, initial_backoff_s=0.01, max_backoff_s=0.1),
        sleep=sleeps.append,
    )
