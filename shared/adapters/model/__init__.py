"""The model layer: provider-neutral chat messages, the ChatModel port and the provider registry.

Importing this package loads no SDK; ``shared.adapters.model.gemini`` (google-genai) is imported only by
:func:`shared.adapters.model.registry.create_model` when a Gemini model is chosen.
"""

from __future__ import annotations

from shared.adapters.model.messages import (
    AssistantMessage,
    Finish,
    Message,
    ModelEvent,
    ModelRequest,
    ModelResponse,
    SystemBlock,
    TextDelta,
    ToolCall,
    ToolCallEvent,
    ToolResultMessage,
    ToolSpec,
    Usage,
    UserMessage,
    message_from_dict,
    message_to_dict,
)
from shared.adapters.model.port import ChatModel, StreamingChatModel, collect
from shared.adapters.model.registry import create_model

__all__ = [
    "AssistantMessage",
    "ChatModel",
    "Finish",
    "Message",
    "ModelEvent",
    "ModelRequest",
    "ModelResponse",
    "StreamingChatModel",
    "SystemBlock",
    "TextDelta",
    "ToolCall",
    "ToolCallEvent",
    "ToolResultMessage",
    "ToolSpec",
    "Usage",
    "UserMessage",
    "collect",
    "create_model",
    "message_from_dict",
    "message_to_dict",
]
