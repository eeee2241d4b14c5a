"""Cloud Function `chat_turn`: routes in shared.entry.functions.FUNCTIONS["chat_turn"]."""

from typing import Any

import flask
import functions_framework

from shared.entry.serve import serve


@functions_framework.http
def chat_turn(request: flask.Request) -> Any:
    return serve("chat_turn", request)
