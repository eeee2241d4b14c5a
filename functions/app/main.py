"""Cloud Function `app`: routes in shared.http.functions.FUNCTIONS["app"]."""

import functions_framework

from shared.http.entry import serve


@functions_framework.http
def app(request):  # type: ignore[no-untyped-def]
    return serve("app", request)
