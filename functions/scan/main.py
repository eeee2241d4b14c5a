"""Cloud Function `scan`: catalog scans (shared/entry/routes/connections.py, scan_bp).

Its routes are listed in shared.entry.functions.scan.
"""

from typing import Any

import flask
import functions_framework

from shared.entry.http_server import configure
from shared.entry.serve import serve

configure()  # functions-framework's gunicorn: Bridge's header limits, JSON error pages


@functions_framework.http
def scan(request: flask.Request) -> Any:
    return serve("scan", request)
