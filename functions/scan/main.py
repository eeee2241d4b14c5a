"""Cloud Function `scan`: routes in shared.entry.functions.FUNCTIONS["scan"]."""

from typing import Any

import flask
import functions_framework

from shared.entry.serve import serve


@functions_framework.http
def scan(request: flask.Request) -> Any:
    return serve("scan", request)
