"""Cloud Function `onboard`: teams, members and connections (shared/entry/routes/teams.py).

Its routes are listed in shared.entry.functions.onboard.
"""

from typing import Any

import flask
import functions_framework

from shared.entry.serve import serve


@functions_framework.http
def onboard(request: flask.Request) -> Any:
    return serve("onboard", request)
