"""Cloud Function `chat_turn`: chat sessions, messages and event streams (shared/entry/routes/chat.py).

Its routes are listed in shared.entry.functions.chat_turn.
"""

from typing import Any

import flask
import functions_framework

from shared.entry.http_server import configure
from shared.entry.serve import serve

configure()  # functions-framework's gunicorn: Bridge's header limits, JSON error pages


@functions_framework.http
def chat_turn(request: flask.Request) -> Any:
    return serve("chat_turn", request)
