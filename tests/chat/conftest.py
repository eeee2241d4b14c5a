"""Chat fixtures (defined in chat_helpers)."""

from chat_helpers import chat_env

__all__ = ["chat_env"]
