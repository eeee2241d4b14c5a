"""Warm a dashboard's cache when its YAML object is finalized (GCS event, or the local store's).

At-least-once delivery: an event is claimed by inserting its key (bucket, object, generation) into
``processed_events``; a duplicate finds the key and does nothing. An event for a generation older
than the live one is ignored. A failed warm releases its claim so the redelivery can retry.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from shared.db.models import Dashboard, ProcessedEvent, Team
from shared.errors import RetryLater
from shared.services.dashboards import DASHBOARDS

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from shared.services.serving import ServingPorts

log = logging.getLogger("bridge.precompute")
_PATH = re.compile(r"^(?P<team>[A-Za-z0-9_-]+)/(?P<slug>[a-z0-9][a-z0-9-]{0,79})\.yaml$")


def event_fields(event: Any) -> tuple[str, str, int]:
    """(bucket, object name, generation) of a GCS object-finalize CloudEvent or its dict form."""
    data = event.data if hasattr(event, "data") else event.get("data", {})
    if isinstance(data, bytes | str):
        import json

        data = json.loads(data)
    return str(data["bucket"]), str(data["name"]), int(data["generation"])


def handle_finalize(c: ServingPorts, event: Any) -> str:
    """Handle one finalize event; returns what happened (warmed / duplicate / stale / ignored)."""
    try:
        bucket, name, generation = event_fields(event)
    except (KeyError, TypeError, ValueError):
        log.warning("ignoring a malformed finalize event")
        return "ignored"
    match = _PATH.match(name)
    if bucket != c.settings.bucket(DASHBOARDS) or match is None:
        return "ignored"
    head = c.store(DASHBOARDS).head(name)
    if head is None or head.generation > generation:
        return "stale"
    key = f"finalize:{bucket}/{name}#{generation}"
    try:
        with c.db.session() as s:
            s.add(ProcessedEvent(key=key))
    except IntegrityError:
        return "duplicate"
    try:
        from shared.services.serving import warm

        def run(s: Session) -> str:
            team = s.scalar(select(Team).where(Team.id == match["team"]))
            if team is None:
                return "ignored"
            row = s.scalar(
                select(Dashboard).where(Dashboard.team_id == team.id, Dashboard.slug == match["slug"])
            )
            if row is None or row.generation < generation:
                # the save that wrote this object has not committed its pointer row yet
                raise RetryLater("waiting for the save to record this version; the event is retried shortly")
            if row.generation > generation or row.deleted_at is not None:
                return "stale"
            warm(c, s, team, match["slug"])
            return "warmed"

        outcome = c.db.read_or_repair(run)  # the warehouse runs while other writers go on
    except Exception:
        with c.db.session() as s:
            s.execute(delete(ProcessedEvent).where(ProcessedEvent.key == key))
        raise
    return outcome


def handle_task(c: ServingPorts, payload: dict[str, Any]) -> None:
    """Task-queue entry (local): the payload carries the CloudEvent as a dict."""
    handle_finalize(c, payload["event"])
