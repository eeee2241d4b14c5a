"""Cloud Function `save_dashboard`: PUT of a dashboard's YAML (shared/entry/routes/dashboards.py, save_bp).

Its routes are listed in shared.entry.functions.save_dashboard.
"""

from typing import Any

import flask
import functions_framework

from shared.entry.http_server import configure
from shared.entry.serve import serve

configure()  # functions-framework's gunicorn: Bridge's header limits, JSON error pages


@functions_framework.http
def save_dashboard(request: flask.Request) -> Any:
    return serve("save_dashboard", request)
