"""Cloud Function `chat_turn`: routes in shared.http.functions.FUNCTIONS["chat_turn"]."""

from typing import Any

import flask
import functions_framework

from shared.http.entry import serve


@functions_framework.http
def chat_turn(request: flask.Request) -> Any:
    return serve("chat_turn", request)
