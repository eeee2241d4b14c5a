"""Cloud Function `validate`: routes in shared.http.functions.FUNCTIONS["validate"]."""

from typing import Any

import flask
import functions_framework

from shared.http.entry import serve


@functions_framework.http
def validate(request: flask.Request) -> Any:
    return serve("validate", request)
