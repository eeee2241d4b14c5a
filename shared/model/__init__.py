"""The model layer: provider-neutral chat messages, the ChatModel port and the provider registry.

Importing this package loads no SDK; ``shared.model.gemini`` (google-genai) is imported only by
:func:`shared.model.registry.create_model` when a Gemini model is chosen.
"""

from __future__ import annotations

from shared.model.messages import (
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
from shared.model.port import ChatModel, StreamingChatModel, collect
from shared.model.registry import create_model

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
