"""Cloud Function `scan`: routes in shared.http.functions.FUNCTIONS["scan"]."""

from typing import Any

import flask
import functions_framework

from shared.http.entry import serve


@functions_framework.http
def scan(request: flask.Request) -> Any:
    return serve("scan", request)
