"""Data serving: compile a dashboard, answer each view from cache or the warehouse (capped).

Views of a dashboard run concurrently; views sharing SQL and parameters share one result. A view
that fails (byte cap, warehouse error) reports its own error while the others still return.

Modules, along the request: ``access`` (membership and the live pointer), ``loading`` (the compiled
artifact read, or the YAML parsed, validated and compiled, once per generation), ``execution`` (one view query under the byte
cap), ``payload`` (the JSON the web app reads), ``versions`` (data versions shared by instances)
and ``service`` (the per-instance state).
"""

from __future__ import annotations

from shared.services.serving.access import POINTER_TTL_S
from shared.services.serving.loading import LoadedDashboard, cross_filtered
from shared.services.serving.service import (
    DATA_VERSION_TTL_S,
    STALE_FACTOR,
    DataService,
    ServingPorts,
    dashboard_data,
    warm,
)

__all__ = [
    "DATA_VERSION_TTL_S",
    "POINTER_TTL_S",
    "STALE_FACTOR",
    "DataService",
    "LoadedDashboard",
    "ServingPorts",
    "cross_filtered",
    "dashboard_data",
    "warm",
]
