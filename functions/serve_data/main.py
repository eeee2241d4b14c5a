"""Cloud Function `serve_data`: routes in shared.http.functions.FUNCTIONS["serve_data"]."""

from typing import Any

import flask
import functions_framework

from shared.http.entry import serve


@functions_framework.http
def serve_data(request: flask.Request) -> Any:
    return serve("serve_data", request)
