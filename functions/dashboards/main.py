"""Cloud Function `dashboards`: dashboard list, read, history, delete (shared/entry/routes/dashboards.py, read_bp).

Its routes are listed in shared.entry.functions.dashboards.
"""

from typing import Any

import flask
import functions_framework

from shared.entry.http_server import configure
from shared.entry.serve import serve

configure()  # functions-framework's gunicorn: Bridge's header limits, JSON error pages


@functions_framework.http
def dashboards(request: flask.Request) -> Any:
    return serve("dashboards", request)
