"""Cloud Function `scan`: catalog scans (shared/entry/routes/connections.py, scan_bp).

Its routes are listed in shared.entry.functions.scan.
"""

from typing import Any

import flask
import functions_framework

from shared.entry.serve import serve


@functions_framework.http
def scan(request: flask.Request) -> Any:
    return serve("scan", request)
