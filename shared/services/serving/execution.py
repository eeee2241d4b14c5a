"""Execution: one view query run under the team's byte cap, its rows JSON-ready from the port."""

from __future__ import annotations

import re
from dataclasses import dataclass

from shared.adapters.warehouse.port import QueryOptions, QueryParam
from shared.services.queries import ConnectionSql
from shared.services.result_cache import CachedResult
from shared.services.serving.loading import LoadedDashboard


@dataclass(frozen=True)
class Job:
    """One view query to run: what, for whom, under which cap, cached for how long."""

    loaded: LoadedDashboard
    sql: ConnectionSql
    text: str
    params: tuple[QueryParam, ...]
    key: str
    ttl: int
    cap: int

    @property
    def flight(self) -> str:
        return f"{self.key}:{self.cap}"  # callers under a different byte cap never share a computation


def run(job: Job, *, row_limit: int, now: float) -> CachedResult:
    """Run ``job`` on its warehouse and return the result as it is cached (columnar, JSON values)."""
    loaded = job.loaded
    labels = {"bridge_team": label(loaded.team.id), "bridge_dashboard": label(loaded.row.slug)}
    options = QueryOptions(max_bytes_billed=job.cap, row_limit=row_limit, labels=labels, json_cells=True)
    res = job.sql.query(job.text, job.params, options)  # cells come JSON-ready: converted once, there
    columns = [{"name": col.name, "type": col.type} for col in res.columns]
    values = [list(col) for col in zip(*res.rows, strict=True)] if res.rows else [[] for _ in columns]
    return CachedResult(
        team_id=loaded.team.id,
        key=job.key,
        columns=columns,
        values=values,
        row_count=len(res.rows),
        truncated=res.truncated,
        bytes_processed=res.bytes_processed,
        cached_at=now,
        expires_at=now + job.ttl,
    )


def label(value: str) -> str:
    return re.sub(r"[^a-z0-9_-]", "_", value.lower())[:63]
