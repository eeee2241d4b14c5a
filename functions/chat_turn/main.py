"""Cloud Function `chat_turn`: routes in shared.http.functions.FUNCTIONS["chat_turn"]."""

import functions_framework

from shared.http.entry import serve


@functions_framework.http
def chat_turn(request):  # type: ignore[no-untyped-def]
    return serve("chat_turn", request)
