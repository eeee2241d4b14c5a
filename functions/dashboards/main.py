"""Cloud Function `dashboards`: dashboard list, read, history, delete (shared/entry/routes/dashboards.py, read_bp).

Its routes are listed in shared.entry.functions.dashboards.
"""

from typing import Any

import flask
import functions_framework

from shared.entry.serve import serve


@functions_framework.http
def dashboards(request: flask.Request) -> Any:
    return serve("dashboards", request)
