"""Cloud Function `onboard`: routes in shared.http.functions.FUNCTIONS["onboard"]."""

import functions_framework

from shared.http.entry import serve


@functions_framework.http
def onboard(request):  # type: ignore[no-untyped-def]
    return serve("onboard", request)
