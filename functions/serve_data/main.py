"""Cloud Function `serve_data`: dashboard data, refresh and warm (shared/entry/routes/data.py).

Its routes are listed in shared.entry.functions.serve_data.
"""

from typing import Any

import flask
import functions_framework

from shared.entry.http_server import configure
from shared.entry.serve import serve

configure()  # functions-framework's gunicorn: Bridge's header limits, JSON error pages


@functions_framework.http
def serve_data(request: flask.Request) -> Any:
    return serve("serve_data", request)
