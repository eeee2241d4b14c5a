"""Cloud Function `dashboards`: routes in shared.http.functions.FUNCTIONS["dashboards"]."""

import functions_framework

from shared.http.entry import serve


@functions_framework.http
def dashboards(request):  # type: ignore[no-untyped-def]
    return serve("dashboards", request)
