"""Helpers shared by the HTTP providers (OpenAI-compatible, Anthropic): the SDK-backed model base,
tool-call arguments and results.

A tool call whose streamed arguments are not a JSON object is still passed to the agent, as
``{MALFORMED_ARGUMENTS: raw text}``: the tool registry answers it as invalid arguments (every tool
schema forbids that key), so the model reads what went wrong and can try again.
"""

from __future__ import annotations

import json
import threading
import uuid
from typing import Any

from pydantic import SecretStr

from shared.adapters.model.messages import JSON, SystemBlock, ToolResultMessage
from shared.adapters.model.port import StreamingChatModel

MALFORMED_ARGUMENTS = "_malformed_arguments"
SYNTHETIC_ID_PREFIX = "bridge-"
RETRYABLE_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504, 529})


def parse_arguments(raw: str) -> dict[str, JSON]:
    """The arguments object of a streamed tool call (``{}`` for an empty string)."""
    if not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return {MALFORMED_ARGUMENTS: raw[:2000]}
    return value if isinstance(value, dict) else {MALFORMED_ARGUMENTS: raw[:2000]}


def tool_result_text(message: ToolResultMessage) -> str:
    """A tool result as the JSON text providers take as tool output."""
    body: Any = {"output": message.result} if message.error is None else {"error": message.error}
    return json.dumps(body, separators=(",", ":"), default=str)


def system_text(blocks: tuple[SystemBlock, ...]) -> str:
    """The system blocks joined in order (byte-stable for a stable prefix)."""
    return "\n\n".join(block.text for block in blocks)


def secret(value: Any) -> str:
    """The plain text of a settings secret (``SecretStr``, str or None)."""
    if value is None:
        return ""
    return str(value.get_secret_value() if hasattr(value, "get_secret_value") else value)


def synthetic_id() -> str:
    return f"{SYNTHETIC_ID_PREFIX}{uuid.uuid4().hex[:12]}"


class SdkModel(StreamingChatModel):
    """A provider model whose official SDK client is built on first use, once; the key never shows."""

    prefix = ""

    def __init__(
        self, model: str, *, base_url: str, api_key: str = "", max_retries: int = 2, client: Any = None
    ) -> None:
        self.name = f"{self.prefix}{model}"
        self.remote_model = model
        self.base_url = base_url.rstrip("/")
        self.max_retries = max_retries
        self._api_key = SecretStr(api_key)  # repr/str never show it
        self._client = client
        self._lock = threading.Lock()

    def __repr__(self) -> str:  # never the key
        return f"{type(self).__name__}({self.remote_model!r}, base_url={self.base_url!r})"

    @property
    def client(self) -> Any:
        with self._lock:
            if self._client is None:
                self._client = self._new_client(self._api_key.get_secret_value())
            return self._client

    def _new_client(self, api_key: str) -> Any:
        raise NotImplementedError
