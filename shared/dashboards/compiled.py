"""What compiling a dashboard produces: per-view SQL and render specs (plain values, no sqlglot).

:mod:`shared.dashboards.compile` builds these; serving reads them, from a compile or from the
compiled artifact stored beside the YAML (:mod:`shared.dashboards.artifact`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.errors import NotFound

__all__ = ["CompiledDashboard", "CompiledView"]


@dataclass(frozen=True)
class CompiledView:
    """One view ready to serve: the SQL to run (None for text), its @names and its render spec."""

    view_id: str
    type: str
    query_name: str | None
    sql: str | None
    parameter_names: tuple[str, ...]
    spec: dict[str, Any]


@dataclass(frozen=True)
class CompiledDashboard:
    title: str
    theme: str
    refresh_seconds: int
    views: tuple[CompiledView, ...]

    def view(self, view_id: str) -> CompiledView:
        """The compiled view ``view_id``; :class:`NotFound` when there is none."""
        for view in self.views:
            if view.view_id == view_id:
                return view
        raise NotFound(f"dashboard has no view '{view_id}'")

    @property
    def distinct_sql(self) -> tuple[str, ...]:
        """Every SQL text to run, once each (views sharing a query share one)."""
        return tuple(dict.fromkeys(view.sql for view in self.views if view.sql))
