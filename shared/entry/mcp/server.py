"""The MCP tools: list connections and dashboards, ask for a dashboard, get a dashboard's data.

Every tool calls Bridge's HTTP API as the token's user (see :mod:`shared.entry.mcp.api_client`);
a refused call becomes an MCP tool error carrying Bridge's message.
"""

from __future__ import annotations

from typing import Any

import anyio

from shared.dashboards.visible import visible_data
from shared.entry.mcp.api_client import BridgeApi, q
from shared.errors import BridgeError

INSTRUCTIONS = (
    "Bridge turns questions about a team's BigQuery data into saved dashboards. List connections, "
    "ask for a dashboard in plain words (it explores the catalog, writes capped SQL and saves YAML), "
    "then read its data. Ids of teams you are not a member of are not found."
)


def build_server(api: BridgeApi) -> Any:
    """An ``MCPServer`` whose tools act through ``api``."""
    from mcp.server.mcpserver import MCPServer
    from mcp.server.mcpserver.exceptions import ToolError

    server = MCPServer("bridge", instructions=INSTRUCTIONS)

    async def call(fn: Any, *args: Any) -> Any:
        """Run a blocking API call off the event loop; Bridge's refusals become tool errors."""
        try:
            return await anyio.to_thread.run_sync(fn, *args)
        except BridgeError as err:
            raise ToolError(f"{err.code}: {err.message}") from err
        except ValueError as err:
            raise ToolError(str(err)) from err

    def _teams(team_id: str | None) -> list[dict[str, Any]]:
        teams: list[dict[str, Any]] = api.get_all("/v1/teams", "teams")
        if team_id is None:
            return teams
        chosen = [t for t in teams if t["id"] == team_id]
        if not chosen:
            api.get(f"/v1/teams/{q(team_id)}")  # answers not found for another team's id
        return chosen

    def list_connections_sync(team_id: str | None) -> dict[str, Any]:
        out = []
        for team in _teams(team_id):
            for conn in api.get_all(f"/v1/teams/{q(team['id'])}/connections", "connections"):
                out.append({**conn, "team_name": team["name"]})
        return {"connections": out}

    def list_dashboards_sync(team_id: str | None) -> dict[str, Any]:
        out = []
        for team in _teams(team_id):
            for d in api.get_all(f"/v1/teams/{q(team['id'])}/dashboards", "dashboards"):
                out.append(
                    {
                        k: d.get(k)
                        for k in ("team_id", "slug", "title", "description", "version", "preview_url")
                    }
                )
        return {"dashboards": out}

    def ask_sync(request: str, team_id: str | None, connection_id: str | None, session_id: str | None) -> Any:
        if session_id is None:
            conns = list_connections_sync(team_id)["connections"]
            if connection_id is not None:
                conns = [c for c in conns if c["id"] == connection_id]
            if not conns:
                raise ValueError("no connection found: pass team_id and connection_id (see list_connections)")
            conn = conns[0]
            session_id = api.post(
                "/v1/chat/sessions", {"team_id": conn["team_id"], "connection_id": conn["id"]}
            )["id"]
        assert session_id is not None
        tools, errors, done = [], [], {}
        for kind, data in api.chat_events(session_id, request):
            if kind == "tool_call":
                tools.append(data.get("name"))
            elif kind == "error":
                errors.append(data.get("message"))
            elif kind == "done":
                done = data
        answer: dict[str, Any] = {
            "session_id": session_id,
            "status": done.get("status", "unknown"),
            "message": done.get("message", ""),
            "tools_used": tools,
            "errors": errors,
            "dashboard_slug": done.get("dashboard_slug"),
            "preview_url": done.get("preview_url"),
            "yaml": None,
        }
        slug = done.get("dashboard_slug")
        if slug:
            session = api.get(f"/v1/chat/sessions/{q(session_id)}")
            answer["yaml"] = api.text(
                f"/v1/teams/{q(session['team_id'])}/dashboards/{q(slug)}", format="yaml"
            )
        return answer

    def data_sync(team_id: str, slug: str, view_id: str | None, parameters: dict[str, str] | None) -> Any:
        base = f"/v1/teams/{q(team_id)}/dashboards/{q(slug)}/data"
        data = api.get(base + (f"/{q(view_id)}" if view_id else ""), **(parameters or {}))
        return visible_data(data) if isinstance(data, dict) else data  # no drawing helper columns

    @server.tool()
    async def list_connections(team_id: str | None = None) -> dict[str, Any]:
        """Warehouse connections of your teams (or of one team): id, name, warehouse type, status."""
        result: dict[str, Any] = await call(list_connections_sync, team_id)
        return result

    @server.tool()
    async def list_dashboards(team_id: str | None = None) -> dict[str, Any]:
        """Saved dashboards of your teams (or of one team): slug, title, version, preview link."""
        result: dict[str, Any] = await call(list_dashboards_sync, team_id)
        return result

    @server.tool()
    async def ask_for_dashboard(
        request: str,
        team_id: str | None = None,
        connection_id: str | None = None,
        session_id: str | None = None,
    ) -> dict[str, Any]:
        """Ask Bridge for a dashboard in plain words ("revenue by month by country").

        Runs one chat turn (new session unless ``session_id`` continues one, so follow-ups edit the
        same dashboard) and returns the answer, the preview link and the saved YAML.
        """
        result: dict[str, Any] = await call(ask_sync, request, team_id, connection_id, session_id)
        return result

    @server.tool()
    async def get_dashboard_data(
        team_id: str, slug: str, view_id: str | None = None, parameters: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """The data of a dashboard's views (columnar rows per view), optionally one view and parameters."""
        result: dict[str, Any] = await call(data_sync, team_id, slug, view_id, parameters)
        return result

    return server


def run(base_url: str, token: str) -> None:
    """Serve the tools over stdio until the client disconnects."""
    build_server(BridgeApi(base_url, token)).run("stdio")
