"""Cloud Function `app`: routes in shared.entry.functions.FUNCTIONS["app"]."""

from typing import Any

import flask
import functions_framework

from shared.entry.serve import serve


@functions_framework.http
def app(request: flask.Request) -> Any:
    return serve("app", request)
