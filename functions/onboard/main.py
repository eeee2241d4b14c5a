"""Cloud Function `onboard`: routes in shared.entry.functions.FUNCTIONS["onboard"]."""

from typing import Any

import flask
import functions_framework

from shared.entry.serve import serve


@functions_framework.http
def onboard(request: flask.Request) -> Any:
    return serve("onboard", request)
