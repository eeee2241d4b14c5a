"""Team knowledge as code: save (validated, every fragment guarded and dry-run), read, history, restore.

The YAML lives in the dashboards bucket at ``{team_id}/_knowledge/knowledge.yaml`` (no dashboard
slug can take that path, and the precompute handler ignores it); the ``TeamKnowledge`` row is the
pointer (version, generation) and ``TeamKnowledgeVersion`` the history. Members read, admins
write with ``If-Match`` (the version replaced; 0 or none for the first save).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.adapters.identity.port import Principal
from shared.bounded_cache import BoundedCache
from shared.db.models import Connection, Dashboard, Dataset, Table, Team, TeamKnowledge, TeamKnowledgeVersion
from shared.errors import (
    BridgeError,
    Conflict,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    ValidationFailed,
)
from shared.ports import Ports
from shared.services.dashboards import DASHBOARDS, pick_connection
from shared.services.queries import ConnectionSql
from shared.services.teams import require_team

_PARSED: BoundedCache[tuple[str, int], Knowledge] = BoundedCache(256)
EMPTY_TEXT = "# yaml-language-server: $schema=https://bridge.dev/schemas/knowledge.schema.json\nversion: 1\n"

if TYPE_CHECKING:
    from shared.knowledge.model import Knowledge
    from shared.knowledge.validate import TableColumns


@dataclass
class Saved:
    row: TeamKnowledge
    created: bool
    metrics: int  # metrics checked and dry-run


def knowledge_path(team_id: str) -> str:
    return f"{team_id}/_knowledge/knowledge.yaml"


def catalog_tables(s: Session, conn: Connection) -> dict[str, TableColumns]:
    """The connection's scanned tables by short name (the first of equal short names wins)."""
    from shared.knowledge.validate import TableColumns

    rows = s.scalars(
        select(Table)
        .join(Dataset, Dataset.id == Table.dataset_id)
        .where(Dataset.connection_id == conn.id)
        .order_by(Table.fully_qualified_name)
    )
    out: dict[str, TableColumns] = {}
    for t in rows:
        short = t.fully_qualified_name.rsplit(".", 1)[-1].lower()
        cols = {str(c["name"]).lower(): str(c.get("type") or "") for c in t.columns or []}
        out.setdefault(short, TableColumns(t.fully_qualified_name, cols))
    return out


def check_knowledge(c: Ports, s: Session, conn: Connection, text: str) -> Knowledge:
    """Load the YAML, check every column and fragment, dry-run every probe; errors at their lines."""
    from shared.knowledge.validate import validate_knowledge

    sql = ConnectionSql.load(c, s, conn)
    report = validate_knowledge(
        text, tables=catalog_tables(s, conn), allowed_tables=sql.allows(), default_project=sql.project
    )
    if report.model is None or report.source is None:
        raise ValidationFailed(_summary(report.errors), details=report.errors)
    errors = []
    live = set(
        s.scalars(
            select(Dashboard.slug).where(Dashboard.team_id == conn.team_id, Dashboard.deleted_at.is_(None))
        )
    )
    for i, answer in enumerate(report.model.verified_answers):
        if answer.dashboard is not None and answer.dashboard not in live:
            loc = report.source.error(("verified_answers", i, "dashboard"), "")
            errors.append({**loc, "message": f"no dashboard '{answer.dashboard}' in this team"})
    for probe in report.probes:
        try:
            sql.dry_run(probe.sql)
        except BridgeError as err:
            errors.append(
                {**report.source.error(probe.path, ""), "message": f"dry run failed: {err.message}"}
            )
    if errors:
        raise ValidationFailed(_summary(errors), details=errors)
    return report.model


def save_knowledge(
    c: Ports,
    s: Session,
    who: Principal,
    team_id: str,
    text: str,
    *,
    if_match: int | None,
    connection_id: str | None = None,
) -> Saved:
    team = require_team(s, who, team_id, role="admin")
    row = s.get(TeamKnowledge, team.id)
    if row is not None and if_match is None:
        raise PreconditionRequired(
            f"the knowledge file is at version {row.version}; send If-Match: {row.version} to replace it",
            details={"current_version": row.version},
        )
    current = row.version if row is not None else 0
    if (if_match or 0) != current:
        raise Conflict(
            f"the knowledge file is at version {current}, not {if_match}",
            details={"current_version": current},
        )
    conn = _connection(s, team, connection_id, row)
    model = check_knowledge(c, s, conn, text)
    version = current + 1
    top = s.scalar(
        select(TeamKnowledgeVersion.version)
        .where(TeamKnowledgeVersion.team_id == team.id)
        .order_by(TeamKnowledgeVersion.version.desc())
        .limit(1)
    )
    version = max(version, (top or 0) + 1)
    try:
        info = c.store(DASHBOARDS).put(
            knowledge_path(team.id),
            text.encode(),
            content_type="application/yaml",
            metadata={
                "version": str(version),
                "team_id": team.id,
                "author": who.user_id,
                "kind": "knowledge",
            },
            if_generation_match=row.generation if row is not None else 0,
        )
    except PreconditionFailed:
        raise Conflict("the knowledge file was saved by someone else meanwhile; reload and retry") from None
    created = row is None
    if row is None:
        row = TeamKnowledge(team_id=team.id, yaml_path=knowledge_path(team.id), version=version, generation=0)
        s.add(row)
    row.version, row.generation, row.connection_id = version, info.generation, conn.id
    s.add(
        TeamKnowledgeVersion(
            team_id=team.id, version=version, generation=info.generation, author_user_id=who.user_id
        )
    )
    s.flush()
    return Saved(row, created, len(model.metrics))


def _connection(s: Session, team: Team, connection_id: str | None, row: TeamKnowledge | None) -> Connection:
    if connection_id is None and row is not None and row.connection_id:
        conn = s.get(Connection, row.connection_id)
        if conn is not None and conn.team_id == team.id:
            return conn
    return team_connection(s, team, connection_id)


def team_connection(s: Session, team: Team, connection_id: str | None) -> Connection:
    """The connection named, or the team's only one (ValidationFailed when it has none)."""
    has_any = s.scalar(select(Connection.id).where(Connection.team_id == team.id).limit(1))
    if has_any is None:
        raise ValidationFailed(
            "connect and scan a warehouse first: the knowledge file is checked against its catalog",
            details=[{"path": "connection_id", "message": "the team has no connection"}],
        )
    return pick_connection(s, team, connection_id, None)


def get_knowledge(c: Ports, s: Session, who: Principal, team_id: str) -> tuple[TeamKnowledge | None, str]:
    """The live pointer (None before the first save) and the YAML (an empty file before it)."""
    team = require_team(s, who, team_id)
    row = s.get(TeamKnowledge, team.id)
    if row is None:
        return None, EMPTY_TEXT
    return row, c.store(DASHBOARDS).get(row.yaml_path, generation=row.generation).data.decode()


def team_knowledge(c: Ports, s: Session, team_id: str) -> Knowledge | None:
    """The team's parsed knowledge file for the agent (None when there is none or it no longer loads)."""
    from shared.knowledge.validate import validate_knowledge

    row = s.get(TeamKnowledge, team_id)
    if row is None:
        return None
    key = (row.yaml_path, row.generation)  # a generation's bytes never change: parsed once per instance
    cached = _PARSED.get(key)
    if cached is not None:
        return cached
    try:
        text = c.store(DASHBOARDS).get(row.yaml_path, generation=row.generation).data.decode()
    except NotFound:
        return None
    model = validate_knowledge(text).model
    if model is not None:
        _PARSED.put(key, model)
    return model


def versions(
    s: Session, who: Principal, team_id: str, *, after: int | None = None, limit: int | None = None
) -> list[TeamKnowledgeVersion]:
    """The file's versions, oldest first; ``limit`` of those after version ``after``."""
    team = require_team(s, who, team_id)
    q = select(TeamKnowledgeVersion).where(TeamKnowledgeVersion.team_id == team.id)
    if after is not None:
        q = q.where(TeamKnowledgeVersion.version > after)
    q = q.order_by(TeamKnowledgeVersion.version)
    return list(s.scalars(q if limit is None else q.limit(limit)))


def version_text(
    c: Ports, s: Session, who: Principal, team_id: str, n: int
) -> tuple[TeamKnowledgeVersion, str]:
    team = require_team(s, who, team_id)
    v = s.get(TeamKnowledgeVersion, (team.id, n))
    if v is None:
        raise NotFound(f"version {n} of the knowledge file not found")
    return v, c.store(DASHBOARDS).get(knowledge_path(team.id), generation=v.generation).data.decode()


def restore(c: Ports, s: Session, who: Principal, team_id: str, n: int, *, if_match: int | None) -> Saved:
    """Version ``n`` saved again (checked again) as the newest version (``if_match``: the one replaced)."""
    _, text = version_text(c, s, who, team_id, n)
    row = s.get(TeamKnowledge, team_id)
    current = (row.version if row else 0) if if_match is None else if_match
    return save_knowledge(c, s, who, team_id, text, if_match=current)


def _summary(errors: list[dict[str, Any]]) -> str:
    first = errors[0]
    where = f" (line {first['line']})" if first.get("line") else ""
    more = f"; and {len(errors) - 1} more" if len(errors) > 1 else ""
    return f"{first['path'] or 'document'}{where}: {first['message']}{more}"
