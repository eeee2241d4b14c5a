"""Cloud Function `save_dashboard`: routes in shared.http.functions.FUNCTIONS["save_dashboard"]."""

from typing import Any

import flask
import functions_framework

from shared.http.entry import serve


@functions_framework.http
def save_dashboard(request: flask.Request) -> Any:
    return serve("save_dashboard", request)
