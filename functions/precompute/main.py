"""Cloud Function `precompute`: warms a dashboard's cache when its YAML object is finalized."""

import functions_framework


@functions_framework.cloud_event
def precompute(event):  # type: ignore[no-untyped-def]
    from shared.services.precompute import handle_finalize

    handle_finalize(event)
