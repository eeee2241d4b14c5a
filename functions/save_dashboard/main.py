"""Cloud Function `save_dashboard`: routes in shared.entry.functions.FUNCTIONS["save_dashboard"]."""

from typing import Any

import flask
import functions_framework

from shared.entry.serve import serve


@functions_framework.http
def save_dashboard(request: flask.Request) -> Any:
    return serve("save_dashboard", request)
