"""chat_turn: chat sessions, messages and the server-sent event stream."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("chat", __name__)
