"""Cloud Function `agent_step`: routes in shared.http.functions.FUNCTIONS["agent_step"]."""

import functions_framework

from shared.http.entry import serve


@functions_framework.http
def agent_step(request):  # type: ignore[no-untyped-def]
    return serve("agent_step", request)
