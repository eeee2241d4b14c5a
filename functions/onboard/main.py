"""Cloud Function `onboard`: teams, members and connections (shared/entry/routes/teams.py).

Its routes are listed in shared.entry.functions.onboard.
"""

from typing import Any

import flask
import functions_framework

from shared.entry.http_server import configure
from shared.entry.serve import serve

configure()  # functions-framework's gunicorn: Bridge's header limits, JSON error pages


@functions_framework.http
def onboard(request: flask.Request) -> Any:
    return serve("onboard", request)
