"""Cloud Function `scan`: routes in shared.http.functions.FUNCTIONS["scan"]."""

import functions_framework

from shared.http.entry import serve


@functions_framework.http
def scan(request):  # type: ignore[no-untyped-def]
    return serve("scan", request)
