"""Cloud Function `agent_step`: routes in shared.entry.functions.FUNCTIONS["agent_step"]."""

from typing import Any

import flask
import functions_framework

from shared.entry.serve import serve


@functions_framework.http
def agent_step(request: flask.Request) -> Any:
    return serve("agent_step", request)
