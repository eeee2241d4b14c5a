"""Cloud Function `app`: the web app and local sign-in (shared/entry/routes/web.py).

Its routes are listed in shared.entry.functions.app.
"""

from typing import Any

import flask
import functions_framework

from shared.entry.http_server import configure
from shared.entry.serve import serve

configure()  # functions-framework's gunicorn: Bridge's header limits, JSON error pages


@functions_framework.http
def app(request: flask.Request) -> Any:
    return serve("app", request)
