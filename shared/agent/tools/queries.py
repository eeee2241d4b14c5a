"""The dry-run tool: bytes, result columns and pass/fail under the team's byte cap.

A query that passes is remembered in the turn's state by its SQL fingerprint; the save tool
refuses SQL that has not passed here in this turn. Dry runs over :data:`PARTITION_HINT_BYTES` that
read a partitioned table without a partition filter get a suggestion, and so do dry runs refused
because a table requires a partition filter.
"""

from __future__ import annotations

from typing import Any

from shared.adapters.model import protocol as p
from shared.adapters.warehouse.port import QueryParam
from shared.agent.context import sql_fingerprint
from shared.agent.tools.registry import tool
from shared.agent.tools.scope import Scope, scoped
from shared.errors import BridgeError

GB = 1_000_000_000
PARTITION_HINT_BYTES = 1 * GB  # dry runs above this that scan a partitioned table whole get a hint
PARAM_TYPES = ["STRING", "INT64", "FLOAT64", "BOOL", "DATE", "TIMESTAMP"]
_PARAMS_ARG = {
    "type": "array",
    "description": "Values for the @name parameters the SQL uses.",
    "items": {
        "type": "object",
        "properties": {
            "name": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$"},
            "type": {"enum": PARAM_TYPES},
            "value": {"type": ["string", "number", "boolean", "null"]},
        },
        "required": ["name", "type", "value"],
        "additionalProperties": False,
    },
}


@tool(
    p.RUN_DRY_RUN_QUERY,
    "Check one BigQuery SELECT without running it: the bytes it would scan, its result columns, "
    "and whether it passed under the team's byte cap. Every query of a dashboard must pass here, "
    "with this exact SQL text, before save_dashboard_yaml accepts it. Failures come back as data "
    "(passed=false with an error); act on 'suggestion' when present.",
    parameters={
        "type": "object",
        "properties": {
            "sql": {"type": "string", "minLength": 1, "maxLength": 100_000},
            "params": _PARAMS_ARG,
        },
        "required": ["sql"],
        "additionalProperties": False,
    },
    result=p.DryRunResult,
)
@scoped
def run_dry_run_query(scope: Scope, sql: str, params: list[dict[str, Any]] | None = None) -> p.DryRunResult:
    bound = tuple(QueryParam(q["name"], q["type"], q["value"]) for q in params or ())
    cap = scope.byte_cap
    try:
        dry = scope.sql.dry_run(sql, bound)
    except BridgeError as err:
        failed = p.DryRunResult(
            passed=False,
            bytes_processed=None,
            byte_cap=cap,
            schema_=[],
            error=p.ToolProblem(code=err.code, message=err.message),
        )
        details = err.details if isinstance(err.details, dict) else {}
        columns = details.get("partition_columns")
        if columns:  # a table created with require_partition_filter (partition_rule.py)
            failed.suggestion = (
                f"{details.get('table')} requires a filter on its partition column "
                f"{', '.join(map(str, columns))}: add a WHERE condition on it "
                f"(e.g. DATE({columns[0]}) >= @period_start) and dry-run again."
            )
        return failed
    passed = dry.total_bytes_processed <= cap
    out = p.DryRunResult(
        passed=passed,
        bytes_processed=dry.total_bytes_processed,
        byte_cap=cap,
        schema_=[p.Column(name=c.name, type=c.type, description=None) for c in dry.schema],
        referenced_tables=list(dry.referenced_tables),
        error=None
        if passed
        else p.ToolProblem(
            code="byte_cap_exceeded",
            message=f"the query would scan {dry.total_bytes_processed:,} bytes, over the "
            f"team's cap of {cap:,} bytes",
        ),
    )
    if dry.total_bytes_processed > PARTITION_HINT_BYTES:
        hint = _partition_hint(scope, sql)
        if hint:
            out.suggestion = hint
    if passed:
        scope.ctx.state.dry_run_passed[sql_fingerprint(sql)] = int(dry.total_bytes_processed)
    return out


def _partition_hint(scope: Scope, sql: str) -> str | None:
    """A suggestion naming partitioned tables that ``sql`` reads without a partition filter."""
    from sqlglot.errors import SqlglotError

    from shared.adapters.warehouse.bytes_estimate import analyze_reads
    from shared.adapters.warehouse.dialect import parse_bigquery

    project = str(scope.conn.config.get("project") or "")
    schema: dict[tuple[str, str], dict[str, str]] = {}
    partitioning: dict[tuple[str, str], str] = {}
    for _, t in scope.tables():
        parts = t.fully_qualified_name.lower().split(".")
        key = (parts[-2], parts[-1])
        schema[key] = {c["name"].lower(): c["type"] for c in t.columns or []}
        if t.partitioning:
            partitioning[key] = t.partitioning.lower()
    try:
        reads = analyze_reads(parse_bigquery(sql), schema, project.lower(), partitioning)
    except (SqlglotError, BridgeError):
        return None
    unfiltered = [
        f"{ds}.{name} (partitioned by {partitioning[(ds, name)]})"
        for (ds, name), read in sorted(reads.items())
        if (ds, name) in partitioning and read.partition_filters is None
    ]
    if not unfiltered:
        return None
    return (
        "This query scans more than 1 GB and reads "
        + ", ".join(unfiltered)
        + " without filtering the partition column; add a WHERE filter on it "
        "(e.g. DATE(created_at) >= @start_date) so BigQuery prunes partitions."
    )
