"""Dashboards as code: save (validated, dry-run, versioned, compare-and-swap), read, history, delete.

The YAML is the truth and lives in the object store at ``{team_id}/{slug}.yaml``; the
``Dashboard`` row is a pointer (version, generation). The object write is the commit point: a crash
after it and before the row update is repaired by the next read or save of that slug.

Beside it, each saved generation's compiled dashboard (:mod:`shared.dashboards.artifact`) is
written to ``{team_id}/{slug}.compiled/{generation}.json`` from the model the save validated, so
serving never parses the YAML of a dashboard saved this way; a missing artifact is rebuilt by the
first reader (:mod:`shared.services.serving.loading`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.adapters.identity.port import Principal
from shared.adapters.objectstore.port import ObjectInfo
from shared.db import keyset
from shared.db.models import Connection, Dashboard, DashboardVersion, Team, utcnow
from shared.errors import (
    BridgeError,
    ByteCapExceeded,
    Conflict,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    ValidationFailed,
)
from shared.ports import Ports
from shared.services.queries import ConnectionSql, byte_cap
from shared.services.teams import require_team

DASHBOARDS = "dashboards"
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
REPAIR_AFTER_S = 30.0  # far longer than a save takes between its object write and its row update

log = logging.getLogger("bridge.dashboards")
P = ParamSpec("P")

if TYPE_CHECKING:
    from shared.dashboards.artifact import CompiledArtifact
    from shared.dashboards.model import Dashboard as DashboardModel
    from shared.dashboards.validated import ValidatedDashboard


@dataclass
class SaveResult:
    dashboard: Dashboard
    created: bool
    bytes_by_query: dict[str, int] = field(default_factory=dict)


def yaml_path(team_id: str, slug: str) -> str:
    return f"{team_id}/{slug}.yaml"


def artifact_path(team_id: str, slug: str, generation: int) -> str:
    """Where the compiled dashboard of the YAML object's ``generation`` lives."""
    return f"{team_id}/{slug}.compiled/{generation}.json"


def store_artifact(c: Ports, team_id: str, slug: str, artifact: CompiledArtifact) -> None:
    """Write ``artifact`` beside its YAML; a failure only means the first reader compiles again."""
    try:
        c.store(DASHBOARDS).put(
            artifact_path(team_id, slug, artifact.generation),
            artifact.to_bytes(),
            content_type="application/json",
        )
    except BridgeError as err:
        log.warning("compiled artifact write failed: %s", err.code)


def check_slug(slug: str) -> str:
    if not SLUG.match(slug):
        raise ValidationFailed(
            "invalid slug", details=[{"path": "slug", "message": "lower-case letters, digits and '-', ≤ 80"}]
        )
    return slug


def pick_connection(
    s: Session, team: Team, connection_id: str | None, existing: Dashboard | None
) -> Connection:
    """The dashboard's connection: the one named, the existing one, or the team's only one."""
    if connection_id is None and existing is not None:
        connection_id = existing.connection_id
    query = select(Connection).where(Connection.team_id == team.id)
    if connection_id is not None:
        conn = s.scalar(query.where(Connection.id == connection_id))
        if conn is None:
            raise NotFound("connection not found")
        return conn
    conns = list(s.scalars(query))
    if len(conns) != 1:
        raise ValidationFailed(
            "say which connection this dashboard reads",
            details=[{"path": "connection_id", "message": "required when the team has several connections"}],
        )
    return conns[0]


def check_dashboard(
    c: Ports, s: Session, team: Team, conn: Connection, document: str | ValidatedDashboard
) -> tuple[ValidatedDashboard, dict[str, int]]:
    """Load the YAML (parsed and validated once) and dry-run every query under the team's cap.

    A :class:`ValidatedDashboard` checked with this connection's tables is used as it is (no
    second parse or schema run); text, or a value checked with other tables, is loaded here.
    Every error is reported at once, located in the YAML.
    """
    from shared.dashboards.params import bind_parameters

    sql = ConnectionSql.load(c, s, conn)
    if isinstance(document, str) or document.checked_with != sql.guard_key:
        report, loaded = sql.validate(document if isinstance(document, str) else document.text)
        if loaded is None:
            raise ValidationFailed(_summary(report.errors), details=report.errors)
        document = loaded
    dashboard, source = document.model, document.source
    sql.adopt(document)  # the loader guarded every query: its dry run takes that tree
    params = bind_parameters(dashboard, {})
    cap = byte_cap(c, team)
    errors: list[dict[str, Any]] = []
    bytes_by_query: dict[str, int] = {}
    columns: dict[str, list[str]] = {}
    for name, query in dashboard.queries.items():
        loc = source.error(("queries", name, "sql"), "")
        try:
            dry = sql.dry_run(query.sql, params)
        except BridgeError as err:
            errors.append({**loc, "message": f"dry run failed: {err.message}"})
            continue
        bytes_by_query[name] = dry.total_bytes_processed
        columns[name] = [col.name for col in dry.schema]
        if dry.total_bytes_processed > cap:
            errors.append(
                {
                    **loc,
                    "message": f"query would scan {dry.total_bytes_processed:,} bytes, over the "
                    f"team's cap of {cap:,} bytes",
                }
            )
    if not errors:
        errors.extend(document.column_errors(columns))
    if errors:
        err_cls = (
            ByteCapExceeded
            if all("over the team's cap" in e["message"] for e in errors)
            else ValidationFailed
        )
        raise err_cls(_summary(errors), details=errors)
    return document, bytes_by_query


@dataclass(frozen=True)
class PreparedSave:
    """A save checked against the rows as :func:`prepare_save` read them: the work outside the write."""

    team_id: str
    slug: str
    if_match: int | None
    connection_id: str
    checked: ValidatedDashboard
    bytes_by_query: dict[str, int]
    artifact: CompiledArtifact  # compiled for generation 0; the save's own is set when stored


def prepare_save(
    c: Ports,
    s: Session,
    who: Principal,
    team_id: str,
    slug: str,
    text: str | ValidatedDashboard,
    *,
    if_match: int | None,
    connection_id: str | None = None,
) -> PreparedSave:
    """Everything a save checks before it writes: the version precondition as read now, the YAML
    validated, every query dry-run under the cap, the dashboard compiled. It writes only to repair
    the pointer row (:func:`repair`), so it suits :meth:`~shared.db.engine.Database.read_or_repair`."""
    from shared.dashboards.artifact import build

    team = require_team(s, who, team_id)
    check_slug(slug)
    existing = repair(c, s, team.id, slug)
    _check_precondition(slug, existing, if_match)
    conn = pick_connection(s, team, connection_id, existing)
    checked, bytes_by_query = check_dashboard(c, s, team, conn, text)
    tables = {name: guarded.tables for name, guarded in checked.queries.items()}
    return PreparedSave(
        team.id, slug, if_match, conn.id, checked, bytes_by_query, build(checked.model, tables, 0)
    )


def _in_one_transaction(
    prepare: Callable[Concatenate[Ports, Session, Principal, P], PreparedSave],
) -> Callable[Concatenate[Ports, Session, Principal, P], SaveResult]:
    def save(c: Ports, s: Session, who: Principal, *args: P.args, **kwargs: P.kwargs) -> SaveResult:
        """Validate, dry-run and store a new version in ``s``; ``if_match`` is the version being
        replaced. ``text`` is the YAML, or a :class:`ValidatedDashboard` already loaded from it (then
        it is not parsed or validated again). A caller on SQLite that can afford two transactions
        runs :func:`prepare_save` in a read one and :func:`commit_save` in a short write one."""
        return commit_save(c, s, who, prepare(c, s, who, *args, **kwargs))

    return save


def commit_save(c: Ports, s: Session, who: Principal, prepared: PreparedSave) -> SaveResult:
    """Store a prepared save as the next version if the precondition still holds (a write transaction)."""
    team = require_team(s, who, prepared.team_id)
    slug = prepared.slug
    existing = repair(c, s, team.id, slug)
    live = _check_precondition(slug, existing, prepared.if_match)
    conn = pick_connection(s, team, prepared.connection_id, existing)
    version = _next_version(s, existing)
    path = yaml_path(team.id, slug)
    try:
        info = c.store(DASHBOARDS).put(
            path,
            prepared.checked.text.encode(),
            content_type="application/yaml",
            metadata={
                "version": str(version),
                "team_id": team.id,
                "slug": slug,
                "connection_id": conn.id,
                "author": who.user_id,
            },
            if_generation_match=live.generation if live is not None else 0,
        )
    except PreconditionFailed:
        head = c.store(DASHBOARDS).head(path)
        current = int(head.metadata.get("version", 0)) if head else None
        raise Conflict(
            f"dashboard '{slug}' was saved by someone else meanwhile (now version {current})",
            details={"current_version": current},
        ) from None
    store_artifact(c, team.id, slug, prepared.artifact.model_copy(update={"generation": info.generation}))
    row = _record(s, team.id, slug, info, prepared.checked.model, conn.id, who.user_id, existing)
    return SaveResult(row, created=live is None, bytes_by_query=prepared.bytes_by_query)


save_dashboard = _in_one_transaction(prepare_save)


def _check_precondition(slug: str, existing: Dashboard | None, if_match: int | None) -> Dashboard | None:
    """The live row ``if_match`` may replace (None: the slug is free); else why not."""
    live = existing if existing is not None and existing.deleted_at is None else None
    if live is not None and if_match is None:
        raise PreconditionRequired(
            f"dashboard '{slug}' exists at version {live.version}; send If-Match: {live.version} to replace it",
            details={"current_version": live.version},
        )
    if live is None and if_match not in (None, 0):
        raise Conflict("dashboard does not exist (If-Match given)", details={"current_version": None})
    if live is not None and if_match != live.version:
        raise Conflict(
            f"dashboard '{slug}' is at version {live.version}, not {if_match}",
            details={"current_version": live.version},
        )
    return live


def _next_version(s: Session, existing: Dashboard | None) -> int:
    if existing is None:
        return 1
    top = s.scalar(
        select(DashboardVersion.version)
        .where(DashboardVersion.dashboard_id == existing.id)
        .order_by(DashboardVersion.version.desc())
        .limit(1)
    )
    return max(existing.version, top or 0) + 1


def _record(
    s: Session,
    team_id: str,
    slug: str,
    info: ObjectInfo,
    dashboard: DashboardModel | None,
    connection_id: str,
    author: str,
    existing: Dashboard | None,
) -> Dashboard:
    version = int(info.metadata["version"])
    row = existing or Dashboard(team_id=team_id, slug=slug, yaml_path=yaml_path(team_id, slug))
    if existing is None:
        row.owner_user_id = author
        s.add(row)
    from shared.dashboards.templates import render_defaults

    # the list shows the title as it reads with the parameters' defaults ({{ name }} rendered)
    row.title = (render_defaults(dashboard, dashboard.title) if dashboard is not None else slug)[:300]
    row.description = render_defaults(dashboard, dashboard.description) if dashboard is not None else None
    row.connection_id, row.version, row.generation, row.deleted_at = (
        connection_id,
        version,
        info.generation,
        None,
    )
    s.flush()
    if s.get(DashboardVersion, (row.id, version)) is None:
        s.add(
            DashboardVersion(
                dashboard_id=row.id,
                version=version,
                generation=info.generation,
                title=row.title,
                author_user_id=author,
            )
        )
        s.flush()
    return row


def repair(c: Ports, s: Session, team_id: str, slug: str) -> Dashboard | None:
    """Bring the pointer row in line with the live object (after a crash between the two writes).

    An object younger than ``REPAIR_AFTER_S`` may belong to a save still in flight, whose own
    transaction will record it: it is left alone, and readers see the previous version meanwhile.
    """
    row = s.scalar(select(Dashboard).where(Dashboard.team_id == team_id, Dashboard.slug == slug))
    head = c.store(DASHBOARDS).head(yaml_path(team_id, slug))
    if head is None:
        if row is not None and row.deleted_at is None:  # deleted in the store, crash before the row
            row.deleted_at = utcnow()
            s.flush()
        return row
    if row is not None and row.generation == head.generation and row.deleted_at is None:
        return row
    if row is not None and row.generation > head.generation:
        return row
    if (utcnow() - head.updated).total_seconds() < REPAIR_AFTER_S:
        return row
    from shared.dashboards.validate import validate_dashboard

    meta = head.metadata
    connection_id = meta.get("connection_id") or (row.connection_id if row else None)
    conn = s.get(Connection, connection_id) if connection_id else None
    if conn is None or conn.team_id != team_id:
        return row
    text = c.store(DASHBOARDS).get(head.path, generation=head.generation).data.decode()
    report = validate_dashboard(text, default_project=conn.config.get("project"))
    return _record(
        s,
        team_id,
        slug,
        head,
        report.model,
        conn.id,
        meta.get("author", "unknown"),
        row,
    )


def get_dashboard(c: Ports, s: Session, who: Principal, team_id: str, slug: str) -> tuple[Dashboard, str]:
    """The live dashboard row and its YAML text."""
    require_team(s, who, team_id)
    row = repair(c, s, team_id, slug)
    if row is None or row.deleted_at is not None:
        raise NotFound(f"dashboard '{slug}' not found")
    obj = c.store(DASHBOARDS).get(row.yaml_path, generation=row.generation)
    return row, obj.data.decode()


# Most recently updated first; slug and id break ties (keyset paging: shared.db.keyset).
DASHBOARD_ORDER = (
    keyset.Key(Dashboard.updated_at, descending=True),
    keyset.Key(Dashboard.slug),
    keyset.Key(Dashboard.id),
)


def dashboard_key(row: Dashboard) -> tuple[Any, ...]:
    return (row.updated_at, row.slug, row.id)


def list_dashboards(
    s: Session,
    who: Principal,
    team_id: str,
    *,
    after: tuple[Any, ...] | None = None,
    limit: int | None = None,
) -> list[Dashboard]:
    """Live dashboards, most recently updated first; ``limit`` of those after the key ``after``.

    A dashboard saved while a client pages moves to the front: pages already read do not show it
    again, pages still to come do not show it (it was updated after the listing began)."""
    require_team(s, who, team_id)
    q = (
        select(Dashboard)
        .where(Dashboard.team_id == team_id, Dashboard.deleted_at.is_(None))
        .order_by(*keyset.order_by(DASHBOARD_ORDER))
    )
    if after is not None:
        q = q.where(keyset.after(DASHBOARD_ORDER, after))
    return list(s.scalars(q if limit is None else q.limit(limit)))


def versions(
    c: Ports,
    s: Session,
    who: Principal,
    team_id: str,
    slug: str,
    *,
    after: int | None = None,
    limit: int | None = None,
) -> list[DashboardVersion]:
    """The dashboard's versions, oldest first; ``limit`` of those after version ``after``."""
    row, _ = get_dashboard(c, s, who, team_id, slug)
    q = select(DashboardVersion).where(DashboardVersion.dashboard_id == row.id)
    if after is not None:
        q = q.where(DashboardVersion.version > after)
    q = q.order_by(DashboardVersion.version)
    return list(s.scalars(q if limit is None else q.limit(limit)))


def version_text(
    c: Ports, s: Session, who: Principal, team_id: str, slug: str, n: int
) -> tuple[DashboardVersion, str]:
    row, _ = get_dashboard(c, s, who, team_id, slug)
    v = s.get(DashboardVersion, (row.id, n))
    if v is None:
        raise NotFound(f"version {n} of '{slug}' not found")
    return v, c.store(DASHBOARDS).get(row.yaml_path, generation=v.generation).data.decode()


def delete_dashboard(c: Ports, s: Session, who: Principal, team_id: str, slug: str) -> None:
    """Remove the live dashboard; its versions stay in the store's history."""

    row, _ = get_dashboard(c, s, who, team_id, slug)
    try:
        c.store(DASHBOARDS).delete(row.yaml_path, if_generation_match=row.generation)
    except PreconditionFailed:
        raise Conflict("dashboard changed while deleting; reload and retry") from None
    row.deleted_at = utcnow()
    s.flush()


def _summary(errors: list[dict[str, Any]]) -> str:
    first = errors[0]
    where = f" (line {first['line']})" if first.get("line") else ""
    more = f"; and {len(errors) - 1} more" if len(errors) > 1 else ""
    return f"{first['path']}{where}: {first['message']}{more}"
