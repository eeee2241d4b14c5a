"""Cloud Function `agent_step`: the Cloud Tasks target POST /tasks/<handler> (shared/entry/routes/tasks.py).

Its routes are listed in shared.entry.functions.agent_step.
"""

from typing import Any

import flask
import functions_framework

from shared.entry.serve import serve


@functions_framework.http
def agent_step(request: flask.Request) -> Any:
    return serve("agent_step", request)
