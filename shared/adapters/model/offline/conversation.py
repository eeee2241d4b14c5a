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


@dataclass
class Facts:
    message: str = ""
    earlier: list[str] = field(default_factory=list)  # the session's previous user messages, oldest first
    choice: str | None = None  # update/open/make: this message answers the offer of an existing dashboard
    step: int = 0  # assistant messages so far in this turn
    session_slug: str | None = None
    tables: list[dict[str, Any]] | None = None
    dashboards: list[dict[str, Any]] | None = None
    existing: dict[str, Any] | None = None  # get_dashboard result
    existing_error: dict[str, Any] | None = None
    schemas: dict[str, TableSchema] = field(default_factory=dict)
    schema_errors: set[str] = field(default_factory=set)
    values: dict[tuple[str, str, str], list[dict[str, Any]]] = field(default_factory=dict)
    dry_runs: dict[str, dict[str, Any]] = field(default_factory=dict)  # sql -> result
    validations: dict[str, dict[str, Any]] = field(default_factory=dict)  # yaml -> result
    saved: dict[str, Any] | None = None
    save_error: dict[str, Any] | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)
    knowledge: Knowledge | None = None  # the team's definitions relevant to this turn


def read(request: ModelRequest) -> Facts:
    """Facts of the current turn (everything after the last user message)."""
    facts = Facts(
        session_slug=request.dashboard.slug if request.dashboard else None, knowledge=request.knowledge
    )
    messages = list(request.messages)
    last_user = max((i for i, m in enumerate(messages) if isinstance(m, UserMessage)), default=-1)
    for m in messages[:last_user]:
        if isinstance(m, ToolResultMessage) and m.name == proto.SAVE_DASHBOARD_YAML and m.ok:
            facts.session_slug = m.result.get("dashboard_slug") or facts.session_slug
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
            _record(facts, name, args, m)
    return facts


def _record(facts: Facts, name: str, args: dict[str, Any], m: ToolResultMessage) -> None:
    result: Any = m.result
    if not m.ok:
        facts.errors.append({"tool": name, **(m.error or {})})
    if name in (proto.SEARCH_CATALOG, proto.LIST_TABLES) and m.ok:
        facts.tables = list(result["tables"])  # the ranked matches (search) or one page of names
    elif name == proto.LIST_DASHBOARDS and m.ok:
        facts.dashboards = list(result["dashboards"])
    elif name == proto.GET_DASHBOARD:
        if m.ok:
            facts.existing = dict(result)
        else:
            facts.existing_error = m.error
    elif name == proto.GET_TABLE_SCHEMA:
        if m.ok:
            facts.schemas[result["name"]] = TableSchema.from_result(result)
        else:
            facts.schema_errors.add(str(args.get("table")))
    elif name == proto.GET_COLUMN_VALUES:
        key = (str(args.get("search", "")), str(args.get("table")), str(args.get("column")))
        facts.values[key] = list(result["values"]) if m.ok else []
    elif name == proto.RUN_DRY_RUN_QUERY:
        sql = str(args.get("sql", ""))
        facts.dry_runs[sql] = dict(result) if m.ok else {"passed": False, "error": m.error, "schema": []}
    elif name == proto.VALIDATE_DASHBOARD_YAML:
        yaml = str(args.get("yaml", ""))
        facts.validations[yaml] = dict(result) if m.ok else {"valid": False, "errors": [m.error]}
    elif name == proto.SAVE_DASHBOARD_YAML:
        if m.ok:
            facts.saved = dict(result)
        else:
            facts.save_error = m.error
