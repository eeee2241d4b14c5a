"""The Eventarc end of the GCS harness: a functions-framework CloudEvent function.

FakeGcsServer POSTs each finalize event here as Eventarc would POST it to ``precompute``;
the function hands the parsed CloudEvent to the callbacks in ``SUBSCRIBERS``.
"""

from __future__ import annotations

import logging
from typing import Any

import functions_framework

log = logging.getLogger(__name__)

SUBSCRIBERS: list[Any] = []


@functions_framework.cloud_event
def on_finalize(event: Any) -> None:
    for callback in list(SUBSCRIBERS):
        try:
            callback(event)
        except Exception:
            log.exception("finalize subscriber %r failed", callback)
