"""Cloud Function `serve_data`: routes in shared.http.functions.FUNCTIONS["serve_data"]."""

import functions_framework

from shared.http.entry import serve


@functions_framework.http
def serve_data(request):  # type: ignore[no-untyped-def]
    return serve("serve_data", request)
