"""Warehouse connections: register (credentials encrypted at rest), validate, open."""

from __future__ import annotations

import contextlib
import json
import logging
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.adapters.identity.port import Principal
from shared.adapters.keys.port import connection_aad
from shared.adapters.warehouse.duckdb_files import UNAVAILABLE, DuckDBFilePolicy
from shared.db import keyset
from shared.db.models import Connection, TeamMember, new_id, utcnow
from shared.errors import BadRequest, BridgeError, Conflict, NotFound, ValidationFailed
from shared.ports import Ports
from shared.services.teams import require_team

if TYPE_CHECKING:
    from shared.adapters.warehouse.port import Warehouse

log = logging.getLogger("bridge.connections")

SECRETS = "secrets"


def secret_path(team_id: str, connection_id: str) -> str:
    return f"{team_id}/{connection_id}.json.enc"


def create_connection(c: Ports, s: Session, who: Principal, team_id: str, body: dict[str, Any]) -> Connection:
    """Register a connection: a service-account key (encrypted, stored as an object) or keyless."""
    require_team(s, who, team_id, role="admin")
    if s.scalar(select(Connection.id).where(Connection.team_id == team_id, Connection.name == body["name"])):
        raise Conflict(f"a connection named {body['name']!r} already exists")
    kind = body["warehouse_type"]
    conn = Connection(
        id=new_id("cn"), team_id=team_id, name=body["name"], warehouse_type=kind, status="pending"
    )
    if kind == "bigquery" and body.get("auth") == "keyless":
        _keyless(c, conn, team_id, body)
    elif kind == "bigquery":
        creds = body.get("credentials")
        if not isinstance(creds, dict):
            raise ValidationFailed(
                "credentials are required for bigquery",
                details=[{"path": "credentials", "message": "required for bigquery"}],
            )
        project = body.get("project") or creds.get("project_id")
        if not project:
            raise ValidationFailed(
                "project is required", details=[{"path": "project", "message": "required"}]
            )
        # BigQuery places each job where the tables it reads live; location only places SELECT 1.
        conn.config = {"project": project, "location": body.get("location") or None}
        envelope = c.key_manager.encrypt(json.dumps(creds).encode(), aad=connection_aad(team_id, conn.id))
        path = secret_path(team_id, conn.id)
        c.store(SECRETS).put(path, envelope, content_type="application/json", if_generation_match=0)
        conn.credentials_path = path
    else:
        if c.settings.cloud == "gcp":
            raise BadRequest("duckdb connections are only available when Bridge runs locally")
        raw = body.get("path")
        if not raw:
            raise ValidationFailed(
                "path is required for duckdb", details=[{"path": "path", "message": "required"}]
            )
        resolved = duckdb_policy(c).resolve(raw)
        if resolved is None:  # existence is checked on open, with the same message
            raise ValidationFailed(UNAVAILABLE, details=[{"path": "path", "message": UNAVAILABLE}])
        conn.config = {"path": str(resolved), "project": body.get("project") or "demo"}
    s.add(conn)
    s.flush()
    return conn


def _keyless(c: Ports, conn: Connection, team_id: str, body: dict[str, Any]) -> None:
    """A keyless connection: the team's Bridge-owned reader account, created on first use."""
    from shared.adapters.warehouse.keyless import connector_account, ensure_account

    project = body.get("project")
    if not project:
        raise ValidationFailed("project is required", details=[{"path": "project", "message": "required"}])
    account = connector_account(team_id, project=c.settings.gcp_project, prefix=c.settings.connector_prefix)
    if c.settings.cloud == "gcp":
        ensure_account(account, display_name=f"Bridge reader for team {team_id}")
    conn.config = {"project": project, "location": body.get("location") or None, "service_account": account}


CONNECTION_ORDER = (keyset.Key(Connection.created_at), keyset.Key(Connection.id))


def connection_key(conn: Connection) -> tuple[Any, ...]:
    return (conn.created_at, conn.id)


def connections_of(
    s: Session,
    who: Principal,
    team_id: str,
    *,
    after: tuple[Any, ...] | None = None,
    limit: int | None = None,
) -> list[Connection]:
    """The team's connections, oldest first; ``limit`` of those after the key ``after`` when given."""
    require_team(s, who, team_id)
    q = select(Connection).where(Connection.team_id == team_id).order_by(*keyset.order_by(CONNECTION_ORDER))
    if after is not None:
        q = q.where(keyset.after(CONNECTION_ORDER, after))
    return list(s.scalars(q if limit is None else q.limit(limit)))


def require_connection(s: Session, who: Principal, connection_id: str) -> Connection:
    """The connection if ``who`` is a member of its team; NotFound otherwise."""
    conn = s.scalar(
        select(Connection)
        .join(TeamMember, TeamMember.team_id == Connection.team_id)
        .where(Connection.id == connection_id, TeamMember.user_id == who.user_id)
    )
    if conn is None:
        raise NotFound("connection not found")
    return conn


def open_warehouse(c: Ports, conn: Connection) -> Warehouse:
    """The warehouse adapter of a connection, cached per instance."""
    key = f"warehouse:{conn.id}:{conn.credentials_path}:{json.dumps(conn.config, sort_keys=True)}"
    return c.warehouses.get(key, lambda: _build_warehouse(c, conn))


def duckdb_policy(c: Ports) -> DuckDBFilePolicy:
    """Where local connections' DuckDB files may come from (``BRIDGE_DUCKDB_ROOTS``)."""
    settings = c.settings
    return DuckDBFilePolicy(settings.duckdb_root_paths, settings.data_dir, settings.demo_warehouse_path)


def _build_warehouse(c: Ports, conn: Connection) -> Warehouse:
    if conn.warehouse_type == "duckdb":
        from shared.adapters.warehouse.duckdb_adapter import DuckDBWarehouse

        return DuckDBWarehouse(
            conn.config["path"],
            project=conn.config.get("project", "demo"),
            allow=duckdb_policy(c).resolve,
            memory_limit_mb=c.settings.duckdb_memory_limit_mb,
            timeout_s=c.settings.warehouse_timeout_s,
        )
    from shared.adapters.warehouse.bigquery import BigQueryWarehouse

    if conn.config.get("service_account"):
        return BigQueryWarehouse(
            project=conn.config["project"],
            location=conn.config.get("location"),
            impersonate=conn.config["service_account"],
        )
    assert conn.credentials_path
    envelope = c.store(SECRETS).get(conn.credentials_path).data
    info = json.loads(c.key_manager.decrypt(envelope, aad=connection_aad(conn.team_id, conn.id)))
    return BigQueryWarehouse(
        project=conn.config["project"], location=conn.config.get("location"), service_account_info=info
    )


def validate_connection(c: Ports, s: Session, conn: Connection) -> Connection:
    """Dry-run ``SELECT 1`` and record the outcome on the row."""
    try:
        open_warehouse(c, conn).validate()
    except BridgeError as err:
        conn.status, conn.last_error = "invalid", err.message
    except Exception as err:  # an adapter bug must not leave the row pending
        log.warning("validate failed for %s: %s", conn.id, type(err).__name__)
        conn.status, conn.last_error = "invalid", f"connection check failed ({type(err).__name__})"
    else:
        conn.status, conn.last_error = "valid", None
    conn.validated_at = utcnow()
    s.flush()
    return conn


def delete_connection(c: Ports, s: Session, who: Principal, team_id: str, connection_id: str) -> None:
    """Remove a connection (admin only) with its catalog, chats and encrypted credentials.

    Refused (Conflict) while live dashboards read from it: delete those first.
    """
    from shared.db.models import Dashboard

    require_team(s, who, team_id, role="admin")
    conn = s.scalar(select(Connection).where(Connection.id == connection_id, Connection.team_id == team_id))
    if conn is None:
        raise NotFound("connection not found")
    used_by = sorted(
        s.scalars(
            select(Dashboard.slug).where(Dashboard.connection_id == conn.id, Dashboard.deleted_at.is_(None))
        )
    )
    if used_by:
        raise Conflict(
            f"dashboards still use connection {conn.name!r}: {', '.join(used_by)}",
            details={"dashboards": used_by},
        )
    if conn.credentials_path:
        with contextlib.suppress(NotFound):
            c.store(SECRETS).delete(conn.credentials_path)
    s.delete(conn)
    s.flush()
