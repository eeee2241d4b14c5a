"""Cloud Function `validate`: routes in shared.http.functions.FUNCTIONS["validate"]."""

import functions_framework

from shared.http.entry import serve


@functions_framework.http
def validate(request):  # type: ignore[no-untyped-def]
    return serve("validate", request)
