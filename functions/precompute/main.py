"""Cloud Function `precompute`: warms a dashboard's cache when its YAML object is finalized
(shared/services/precompute.py, over the instance's container)."""

from typing import Any

import functions_framework

from shared.entry.http_server import configure

configure()  # functions-framework's gunicorn: Bridge's header limits, JSON error pages


@functions_framework.cloud_event
def precompute(event: Any) -> None:
    from shared.bootstrap import get_container
    from shared.entry.heap import settle
    from shared.services.precompute import handle_finalize

    try:
        handle_finalize(get_container(), event)
    finally:
        settle()
