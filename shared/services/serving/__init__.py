"""Data serving: compile a dashboard, answer each view from cache or the warehouse (capped).

Views of a dashboard run concurrently; views sharing SQL and parameters share one result. A view
that fails (byte cap, warehouse error) reports its own error while the others still return.

Modules, along the request: ``access`` (membership and the live pointer), ``loading`` (the compiled
artifact read, or the YAML parsed, validated and compiled, once per generation), ``execution`` (one view query under the byte
cap), ``payload`` (the JSON the web app reads), ``versions`` (data versions shared by instances),
``service`` (the per-instance state), ``shared_responses`` (hit responses shared through the cache
bucket) and ``cold_hit`` (a hit answered from those without the rest).

The names below are imported on first use, so ``cold_hit`` loads neither SQLAlchemy nor pydantic.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from shared.services.serving.access import POINTER_TTL_S
    from shared.services.serving.loading import LoadedDashboard, cross_filtered
    from shared.services.serving.service import (
        STALE_FACTOR,
        DataService,
        ServingPorts,
        dashboard_data,
        warm,
    )
    from shared.services.serving.versions import DATA_VERSION_TTL_S

_HOMES = {
    "DATA_VERSION_TTL_S": "versions",
    "POINTER_TTL_S": "access",
    "STALE_FACTOR": "service",
    "DataService": "service",
    "LoadedDashboard": "loading",
    "ServingPorts": "service",
    "cross_filtered": "loading",
    "dashboard_data": "service",
    "warm": "service",
}
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


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value
