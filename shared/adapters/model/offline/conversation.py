"""Read a model request back into facts: the latest message, this turn's tool results, the session's dashboard.

Tool names and the session's dashboard come from the agent↔model protocol
(:mod:`shared.adapters.model.protocol`), never from the prompt's prose.

The planner is stateless; every step re-reads the conversation, so a retried step plans the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shared.adapters.model import protocol as proto
from shared.adapters.model.messages import AssistantMessage, ModelRequest, ToolResultMessage, UserMessage
from shared.adapters.model.offline.catalog_match import TableSchema
from shared.knowledge.model import Knowledge

Values = dict[tuple[str, str, str], list[proto.ColumnValue]]  # (word, table, column) -> values found
Table = proto.TableInfo | proto.TableMatch  # a listed table, or a ranked search match


@dataclass
class Facts:
    message: str = ""
    earlier: list[str] = field(default_factory=list)  # the session's previous user messages, oldest first
    choice: str | None = None  # update/open/make: this message answers the offer of an existing dashboard
    step: int = 0  # assistant messages so far in this turn
    session_slug: str | None = None
    tables: list[Table] | None = None
    dashboards: list[proto.DashboardSummary] | None = None
    existing: proto.DashboardText | None = None  # get_dashboard result
    schemas: dict[str, TableSchema] = field(default_factory=dict)
    schema_errors: set[str] = field(default_factory=set)
    values: Values = field(default_factory=dict)
    dry_runs: dict[str, proto.DryRunResult] = field(default_factory=dict)  # sql -> result
    validations: dict[str, proto.ValidationResult] = field(default_factory=dict)  # yaml -> result
    saved: proto.SavedDashboard | None = None
    save_error: proto.ToolFailure | None = None
    knowledge: Knowledge | None = None  # the team's definitions relevant to this turn


def read(request: ModelRequest) -> Facts:
    """Facts of the current turn (everything after the last user message)."""
    facts = Facts(
        session_slug=request.dashboard.slug if request.dashboard else None, knowledge=request.knowledge
    )
    messages = list(request.messages)
    last_user = max((i for i, m in enumerate(messages) if isinstance(m, UserMessage)), default=-1)
    facts.earlier = [m.text for m in messages[:last_user] if isinstance(m, UserMessage)]
    if last_user >= 0:
        facts.message = messages[last_user].text  # type: ignore[union-attr]
    calls: dict[str, tuple[str, dict[str, Any]]] = {}
    for m in messages[last_user + 1 :]:
        if isinstance(m, AssistantMessage):
            facts.step += 1
            for c in m.tool_calls:
                calls[c.id] = (c.name, dict(c.arguments))
        elif isinstance(m, ToolResultMessage):
            name, args = calls.get(m.call_id, (m.name, {}))
            if name in proto.RESULTS:
                _record(facts, name, args, m)
    return facts


def _record(facts: Facts, name: str, args: dict[str, Any], m: ToolResultMessage) -> None:
    """Keep one tool result, parsed once into its protocol model (a failure as ``ToolFailure``)."""
    result = proto.parse_result(name, m.result) if m.ok else None
    failure = None if m.ok else proto.parse_error(m.error)
    if isinstance(result, proto.SearchCatalogResult | proto.ListTablesResult):
        facts.tables = list(result.tables)  # the ranked matches (search) or one page of names
    elif isinstance(result, proto.ListDashboardsResult):
        facts.dashboards = list(result.dashboards)
    elif isinstance(result, proto.DashboardText):
        facts.existing = result
    elif isinstance(result, proto.TableSchemaResult):
        facts.schemas[result.name] = TableSchema.from_result(result)
    elif name == proto.GET_TABLE_SCHEMA:
        facts.schema_errors.add(str(args.get("table")))
    elif name == proto.GET_COLUMN_VALUES:
        key = (str(args.get("search", "")), str(args.get("table")), str(args.get("column")))
        facts.values[key] = list(result.values) if isinstance(result, proto.ColumnValuesResult) else []
    elif name == proto.RUN_DRY_RUN_QUERY:
        sql = str(args.get("sql", ""))
        facts.dry_runs[sql] = result if isinstance(result, proto.DryRunResult) else _failed_dry_run(failure)
    elif name == proto.VALIDATE_DASHBOARD_YAML:
        yaml = str(args.get("yaml", ""))
        facts.validations[yaml] = (
            result if isinstance(result, proto.ValidationResult) else _failed_validation(failure)
        )
    elif isinstance(result, proto.SavedDashboard):
        facts.saved = result
    elif name == proto.SAVE_DASHBOARD_YAML:
        facts.save_error = failure


def _failed_dry_run(failure: proto.ToolFailure | None) -> proto.DryRunResult:
    """A dry-run call that failed as a tool call, read as a dry run that did not pass."""
    message = (failure.message if failure else None) or "failed"
    return proto.DryRunResult(
        passed=False,
        bytes_processed=None,
        byte_cap=0,
        schema_=[],
        error=proto.ToolProblem(code=failure.code if failure else "error", message=message),
    )


def _failed_validation(failure: proto.ToolFailure | None) -> proto.ValidationResult:
    """A validate call that failed as a tool call, read as a document that did not validate."""
    message = str(failure.message if failure else None)
    return proto.ValidationResult(
        valid=False, errors=[proto.YamlError(message=message)], warnings=[], not_dry_run=[]
    )
