"""Cloud Function `agent_step`: the Cloud Tasks target POST /tasks/<handler> (shared/entry/routes/tasks.py).

Its routes are listed in shared.entry.functions.agent_step.
"""

from typing import Any

import flask
import functions_framework

from shared.entry.http_server import configure
from shared.entry.serve import serve

configure()  # functions-framework's gunicorn: Bridge's header limits, JSON error pages


@functions_framework.http
def agent_step(request: flask.Request) -> Any:
    return serve("agent_step", request)
