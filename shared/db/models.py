"""SQLAlchemy 2 models of the directory database. Alembic migrations in migrations/ create them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id(prefix: str) -> str:
    """A random, URL-safe id with a readable prefix, e.g. ``tm_5f0c...``."""
    return f"{prefix}_{uuid.uuid4().hex}"


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class Timestamped:
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class Team(Timestamped, Base):
    __tablename__ = "teams"
    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("tm"))
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    admin_user_id: Mapped[str] = mapped_column(String(320))
    byte_cap: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    cache_ttl_seconds: Mapped[int | None] = mapped_column(Integer, nullable=True)
    model: Mapped[str | None] = mapped_column(String(100), nullable=True)
    model_region: Mapped[str | None] = mapped_column(String(50), nullable=True)


class TeamMember(Base):
    __tablename__ = "team_members"
    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(320), primary_key=True)  # lower-cased email
    role: Mapped[str] = mapped_column(String(20))  # admin | member
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    __table_args__ = (Index("ix_team_members_user", "user_id"),)


class Connection(Timestamped, Base):
    __tablename__ = "connections"
    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("cn"))
    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    warehouse_type: Mapped[str] = mapped_column(String(20))  # bigquery | duckdb
    credentials_path: Mapped[str | None] = mapped_column(String(500), nullable=True)
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)  # project, location, path (no secrets)
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending | valid | invalid
    validated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    scanned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    __table_args__ = (UniqueConstraint("team_id", "name", name="uq_connections_team_name"),)


class Dataset(Base):
    __tablename__ = "datasets"
    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("ds"))
    connection_id: Mapped[str] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"), index=True)
    fully_qualified_name: Mapped[str] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    location: Mapped[str | None] = mapped_column(String(100), nullable=True)
    last_modified: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    __table_args__ = (UniqueConstraint("connection_id", "fully_qualified_name", name="uq_datasets_fqn"),)


class Table(Base):
    __tablename__ = "tables"
    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("tb"))
    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"), index=True)
    fully_qualified_name: Mapped[str] = mapped_column(String(500))
    table_type: Mapped[str] = mapped_column(String(40))
    row_count: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    size_bytes: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    partitioning: Mapped[str | None] = mapped_column(String(300), nullable=True)
    clustering: Mapped[list[Any]] = mapped_column(default=list)
    columns: Mapped[list[Any]] = mapped_column(default=list)  # [{name, type, description}]
    last_modified: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    __table_args__ = (UniqueConstraint("dataset_id", "fully_qualified_name", name="uq_tables_fqn"),)


class Dashboard(Timestamped, Base):
    __tablename__ = "dashboards"
    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("db"))
    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    connection_id: Mapped[str] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    yaml_path: Mapped[str] = mapped_column(String(500))
    owner_user_id: Mapped[str] = mapped_column(String(320))
    version: Mapped[int] = mapped_column(Integer)
    generation: Mapped[int] = mapped_column(BigInteger)  # object generation of ``version``
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    __table_args__ = (
        UniqueConstraint("team_id", "slug", name="uq_dashboards_team_slug"),
        Index("ix_dashboards_team", "team_id"),
        Index("ix_dashboards_slug", "slug"),
    )


class DashboardVersion(Base):
    __tablename__ = "dashboard_versions"
    dashboard_id: Mapped[str] = mapped_column(
        ForeignKey("dashboards.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    generation: Mapped[int] = mapped_column(BigInteger)
    title: Mapped[str] = mapped_column(String(300))
    author_user_id: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ChatSession(Timestamped, Base):
    __tablename__ = "chat_sessions"
    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("cs"))
    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    connection_id: Mapped[str] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(320))
    title: Mapped[str | None] = mapped_column(String(300), nullable=True)
    dashboard_slug: Mapped[str | None] = mapped_column(String(80), nullable=True)
    transcript_path: Mapped[str | None] = mapped_column(String(500), nullable=True)


class Turn(Timestamped, Base):
    __tablename__ = "chat_turns"
    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("tu"))
    session_id: Mapped[str] = mapped_column(ForeignKey("chat_sessions.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="queued")  # queued|running|done|failed
    user_message: Mapped[str] = mapped_column(Text)
    step: Mapped[int] = mapped_column(Integer, default=0)  # next step to run
    state: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    lease_owner: Mapped[str | None] = mapped_column(String(40), nullable=True)  # who runs ``step`` now
    lease_until: Mapped[float | None] = mapped_column(Float, nullable=True)  # epoch seconds
    row_version: Mapped[int] = mapped_column(Integer, default=1)
    __table_args__ = (UniqueConstraint("session_id", "seq", name="uq_turns_session_seq"),)
    __mapper_args__ = {"version_id_col": row_version}


class ChatEvent(Base):
    """One server-sent event of a session; ``seq`` is the SSE ``id``."""

    __tablename__ = "chat_events"
    session_id: Mapped[str] = mapped_column(
        ForeignKey("chat_sessions.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    turn_id: Mapped[str] = mapped_column(String(40))
    step: Mapped[int] = mapped_column(Integer)
    idx: Mapped[int] = mapped_column(Integer)  # position within the step
    type: Mapped[str] = mapped_column(String(30))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    __table_args__ = (UniqueConstraint("turn_id", "step", "idx", name="uq_chat_events_step_idx"),)


class LiveToken(Base):
    """Text a model is writing right now, before its step commits (shown live, then superseded by the
    step's committed ``token`` events; deleted in the same transaction)."""

    __tablename__ = "live_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(String(40), index=True)
    turn_id: Mapped[str] = mapped_column(String(40))
    step: Mapped[int] = mapped_column(Integer)
    attempt: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PromptBlockRow(Base):
    __tablename__ = "prompt_blocks"
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    content: Mapped[str] = mapped_column(Text)
    cache_hint: Mapped[str] = mapped_column(String(20), default="stable")  # stable | volatile


class ProcessedEvent(Base):
    """Idempotency keys of at-least-once deliveries (CloudEvents, tasks) already handled."""

    __tablename__ = "processed_events"
    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class TeamKnowledge(Timestamped, Base):
    """Pointer to a team's knowledge file (``{team_id}/_knowledge/knowledge.yaml``, versioned like dashboards)."""

    __tablename__ = "team_knowledge"
    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True)
    connection_id: Mapped[str | None] = mapped_column(String(40), nullable=True)  # checked against
    yaml_path: Mapped[str] = mapped_column(String(500))
    version: Mapped[int] = mapped_column(Integer)
    generation: Mapped[int] = mapped_column(BigInteger)


class TeamKnowledgeVersion(Base):
    __tablename__ = "team_knowledge_versions"
    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    generation: Mapped[int] = mapped_column(BigInteger)
    author_user_id: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Feedback(Timestamped, Base):
    """A thumbs up/down on an assistant turn or a saved dashboard, one per user and target (re-sent: updated)."""

    __tablename__ = "feedback"
    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("fb"))
    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(320))
    target_type: Mapped[str] = mapped_column(String(20))  # turn | dashboard
    target_id: Mapped[str] = mapped_column(String(80))  # turn id, or dashboard slug
    rating: Mapped[str] = mapped_column(String(10))  # up | down
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    correction: Mapped[str | None] = mapped_column(Text, nullable=True)
    question: Mapped[str | None] = mapped_column(Text, nullable=True)  # what was asked (turn) or the title
    dashboard_slug: Mapped[str | None] = mapped_column(String(80), nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | accepted
    accepted_version: Mapped[int | None] = mapped_column(Integer, nullable=True)  # knowledge version it made
    __table_args__ = (
        UniqueConstraint("team_id", "user_id", "target_type", "target_id", name="uq_feedback_target"),
        Index("ix_feedback_team", "team_id", "created_at"),
    )


class UserIdentity(Timestamped, Base):
    """An email bound to the identity provider account (``sub``) that first signed in with it.

    Memberships are keyed by email (teams invite by email); the binding stops a deleted-and-re-created
    account with the same email from inheriting them. ``bridge rebind EMAIL`` clears or moves it.
    """

    __tablename__ = "user_identities"
    email: Mapped[str] = mapped_column(String(320), primary_key=True)  # lower-cased
    subject: Mapped[str] = mapped_column(String(255))
