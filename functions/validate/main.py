"""Cloud Function `validate`: connection validation (shared/entry/routes/connections.py, validate_bp).

Its routes are listed in shared.entry.functions.validate.
"""

from typing import Any

import flask
import functions_framework

from shared.entry.http_server import configure
from shared.entry.serve import serve

configure()  # functions-framework's gunicorn: Bridge's header limits, JSON error pages


@functions_framework.http
def validate(request: flask.Request) -> Any:
    return serve("validate", request)
