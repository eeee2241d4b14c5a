"""Cloud Function `dashboards`: routes in shared.entry.functions.FUNCTIONS["dashboards"]."""

from typing import Any

import flask
import functions_framework

from shared.entry.serve import serve


@functions_framework.http
def dashboards(request: flask.Request) -> Any:
    return serve("dashboards", request)
