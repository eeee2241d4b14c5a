"""Cloud Function `app`: routes in shared.http.functions.FUNCTIONS["app"]."""

from typing import Any

import flask
import functions_framework

from shared.http.entry import serve


@functions_framework.http
def app(request: flask.Request) -> Any:
    return serve("app", request)
