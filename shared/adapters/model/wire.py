"""Helpers shared by the HTTP providers (OpenAI-compatible, Anthropic): tool-call arguments and results.

A tool call whose streamed arguments are not a JSON object is still passed to the agent, as
``{MALFORMED_ARGUMENTS: raw text}``: the tool registry answers it as invalid arguments (every tool
schema forbids that key), so the model reads what went wrong and can try again.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from shared.adapters.model.messages import JSON, SystemBlock, ToolResultMessage

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
