"""Cloud Function `validate`: routes in shared.entry.functions.FUNCTIONS["validate"]."""

from typing import Any

import flask
import functions_framework

from shared.entry.serve import serve


@functions_framework.http
def validate(request: flask.Request) -> Any:
    return serve("validate", request)
