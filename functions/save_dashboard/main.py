"""Cloud Function `save_dashboard`: routes in shared.http.functions.FUNCTIONS["save_dashboard"]."""

import functions_framework

from shared.http.entry import serve


@functions_framework.http
def save_dashboard(request):  # type: ignore[no-untyped-def]
    return serve("save_dashboard", request)
