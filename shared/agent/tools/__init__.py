"""Bridge's agent tools, by concern, and the registry that checks and runs them.

``catalog`` (datasets, paged tables, schemas, column values), ``search`` (ranked catalog search), ``queries`` (the guarded dry run) and
``dashboards`` (validate, save, list, read). Each tool body runs in one :class:`~.scope.Scope`:
one DB session and the turn's team and connection, resolved once per call. Tool names and result
types are the agent↔model protocol (:mod:`shared.adapters.model.protocol`).
"""

from __future__ import annotations

from shared.agent.tools.registry import Tool, ToolError, ToolOutcome, ToolRegistry, tool

__all__ = ["Tool", "ToolError", "ToolOutcome", "ToolRegistry", "bridge_tools", "build_registry", "tool"]


def bridge_tools() -> tuple[Tool, ...]:
    """Every Bridge tool (their modules are imported here, not when this package is)."""
    from shared.agent.tools import catalog, dashboards, queries, search

    return (
        catalog.list_datasets,
        catalog.list_tables,
        search.search_catalog,
        catalog.get_table_schema,
        catalog.get_column_values,
        queries.run_dry_run_query,
        dashboards.validate_dashboard_yaml,
        dashboards.save_dashboard_yaml,
        dashboards.list_dashboards,
        dashboards.get_dashboard,
    )


def build_registry() -> ToolRegistry:
    """A registry holding Bridge's agent tools."""
    return ToolRegistry(bridge_tools())
