"""Cloud Function `dashboards`: routes in shared.http.functions.FUNCTIONS["dashboards"]."""

from typing import Any

import flask
import functions_framework

from shared.http.entry import serve


@functions_framework.http
def dashboards(request: flask.Request) -> Any:
    return serve("dashboards", request)
