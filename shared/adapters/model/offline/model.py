"""OfflinePlanner: a deterministic, rule-based chat model speaking the same tool protocol as Gemini.

Each :meth:`OfflinePlanner.stream` call reads the conversation (the latest user message, the
session's dashboard and this turn's tool results) and yields the next tool calls, or the final
text, then a :class:`Finish`. New requests go search_catalog → get_table_schema → get_column_values
(filter words) → run_dry_run_query (every query) → validate_dashboard_yaml → save_dashboard_yaml;
follow-ups start from get_dashboard. Catalog text is only matched by words, never obeyed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Any

from pydantic import ValidationError as PydanticError

from shared.adapters.model import protocol as proto
from shared.adapters.model.messages import Finish, ModelEvent, ModelRequest, TextDelta, ToolCallEvent, Usage
from shared.adapters.model.offline import edit_doc, replies
from shared.adapters.model.offline.catalog_match import Catalog
from shared.adapters.model.offline.chart_build import build_dashboard, chart_title
from shared.adapters.model.offline.chart_grammar import ChartSpec
from shared.adapters.model.offline.chart_plan import chart_notes, chart_request
from shared.adapters.model.offline.conversation import Facts, Table, read
from shared.adapters.model.offline.design import (
    Draft,
    design,
    dry_run_params,
    lookups_needed,
    match_filters,
    matched_words,
    resolve,
    slug_for,
)
from shared.adapters.model.offline.editing import (
    EditResult,
    apply_edits,
    asks_change,
    edit_lookups,
    prune_queries,
)
from shared.adapters.model.offline.honesty import Coverage, column_exists, coverage, uncounted
from shared.adapters.model.offline.intent import is_edit, is_greeting, normalize, parse
from shared.adapters.model.offline.knowledge_terms import KnowledgeTerms
from shared.adapters.model.offline.yaml_build import to_yaml
from shared.adapters.model.port import StreamingChatModel
from shared.dashboards.model import Dashboard
from shared.errors import ValidationFailed

MAX_SCHEMAS = 12
VALUE_LIMIT = 10
# Answers to the offer made when a request repeats an existing dashboard (see replies.existing_offer).
CHOICE = re.compile(
    r"^\W*(?:yes|ok|okay|sure)?[\s,]*(?:please\s+)?(?P<choice>update it|update|rebuild it|refresh it|open it|open|"
    r"make a copy|new copy|save a copy|a copy|keep both|create a new one|new one)\W*(?:please)?\W*$",
    re.IGNORECASE,
)

Action = list[tuple[str, dict[str, Any]]] | str  # tool calls to make, or the final text


class OfflinePlanner(StreamingChatModel):
    """Plans dashboards from the catalog and the words of the request; no network, no randomness."""

    def __init__(self, model_name: str = "offline", *, settings: Any = None, region: str | None = None,
                 today: date | None = None) -> None:  # fmt: skip
        self.name = model_name
        self.settings = settings
        self.region = region
        self.today = today

    def stream(self, request: ModelRequest) -> Iterator[ModelEvent]:
        facts = read(request)
        action = self.next_action(facts)
        if isinstance(action, str):
            pieces = replies.chunks(action)
            yield from (TextDelta(p) for p in pieces)
            yield Finish("stop", Usage(input_tokens=_size(request), output_tokens=max(1, len(action) // 4)))
            return
        for i, (name, args) in enumerate(action):
            yield ToolCallEvent(f"call_{facts.step}_{i}", name, args)
        yield Finish("tool_calls", Usage(input_tokens=_size(request), output_tokens=20 * len(action)))

    # -- planning ---------------------------------------------------------------------------

    def next_action(self, facts: Facts) -> Action:
        """The next step of the turn described by ``facts``."""
        choice = CHOICE.match(facts.message.strip())
        if choice and facts.earlier:
            # an answer to the offer of an existing dashboard: plan the request it answered again
            facts.choice = choice.group("choice").lower().split()[0]
            facts.message = facts.earlier[-1]
        if facts.saved is not None:
            return self._closing(facts)
        if facts.save_error is not None:
            return f"I could not save the dashboard: {facts.save_error.message or 'unknown error'}. Nothing was changed."
        editing = facts.session_slug is not None and (is_edit(facts.message) or asks_change(facts.message))
        if facts.tables is None:
            query = facts.message.strip()[:500] or "tables"
            calls: list[tuple[str, dict[str, Any]]] = [(proto.SEARCH_CATALOG, {"query": query, "limit": 12})]
            calls.append(
                (proto.GET_DASHBOARD, {"slug": facts.session_slug})
                if editing
                else (proto.LIST_DASHBOARDS, {})
            )
            return calls
        if editing and facts.existing is None:
            return f"I could not open the dashboard '{facts.session_slug}' to change it; shall I build a new one instead?"
        if not facts.tables:
            return "This connection has no tables yet. Scan the connection's catalog, then ask again."
        wanted = self._schema_targets(facts)
        missing = [t for t in wanted if t not in facts.schemas and t not in facts.schema_errors]
        if missing:
            return [(proto.GET_TABLE_SCHEMA, {"table": t}) for t in missing]
        catalog = Catalog(list(facts.schemas.values()), KnowledgeTerms(facts.knowledge))
        if not editing and (is_greeting(facts.message) or not normalize(facts.message)):
            return replies.clarifying_question(catalog, facts.tables)
        if editing:
            return self._edit(facts, catalog)
        return self._create(facts, catalog)

    def _schema_targets(self, facts: Facts) -> list[str]:
        tables = facts.tables or []
        if len(tables) <= MAX_SCHEMAS:
            return [t.name for t in tables]
        words = set(normalize(facts.message).split())

        def score(t: Table) -> tuple[float, str]:
            name_words = set(t.name.rsplit(".", 1)[-1].lower().split("_"))
            hits = len(words & name_words) + len(words & set(normalize(t.description or "").split())) * 0.2
            return (-(hits + (t.row_count or 0) ** 0.5 / 1e5), t.name)

        return [t.name for t in sorted(tables, key=score)[:MAX_SCHEMAS]]

    def _create(self, facts: Facts, catalog: Catalog) -> Action:
        intent = (
            catalog.terms.rewrite(parse(facts.message, self.today))
            if catalog.terms
            else parse(facts.message, self.today)
        )
        res = resolve(intent, catalog, values=facts.values)
        chart = chart_request(facts.message, catalog, intent, res)
        if chart is not None:
            return self._save_chart(facts, catalog, chart)
        if res is None:  # nothing to measure: name the measure asked for when the request is specific
            split = intent.grain or intent.dimensions or intent.period or intent.years
            asked = intent.measures[0].phrase if split and intent.measures else None
            return replies.clarifying_question(catalog, facts.tables or [], unknown=asked)
        lookups = [
            (w, t, c) for w, t, c in lookups_needed(intent, res, catalog) if (w, t, c) not in facts.values
        ]
        if lookups:
            return [
                (proto.GET_COLUMN_VALUES, {"table": t, "column": c, "search": w, "limit": VALUE_LIMIT})
                for w, t, c in lookups
            ]
        filters = match_filters(intent, res, catalog, facts.values)
        unknown = [w for w in res.unresolved if w not in matched_words(intent, res, filters)]
        counted = (
            res.measures[0] if not res.default_measure and res.measures[0].kind == "count_rows" else None
        )
        if counted is not None and (word := uncounted(intent.text, unknown, catalog, counted)):
            # "customer lifetime value": a count of the entity would answer another question
            return replies.clarifying_question(catalog, facts.tables or [], unknown=word)
        if res.default_measure and unknown:
            return replies.clarifying_question(catalog, facts.tables or [], unknown=unknown[0])
        force_period = any(r.suggestion for r in facts.dry_runs.values())
        draft = design(
            intent, res, catalog, filters, force_period=force_period, resolve_date=self._resolve_date
        )
        dashboard = draft.dashboard
        model = _typed(dashboard)
        if model is None:  # not a valid dashboard: the validate tool says why, nothing is saved
            return self._save_new(facts, catalog, dashboard, draft.title)
        pending = self._dry_runs(facts, model)
        if pending:
            return pending
        failed = _failed(facts, model)
        if failed:
            if len(failed) == len(model.queries):
                return self._failure(facts, model, failed)
            dashboard = prune_queries(dashboard, set(failed))
        return self._save_new(facts, catalog, dashboard, draft.title)

    def _save_new(self, facts: Facts, catalog: Catalog, dashboard: dict[str, Any], title: str) -> Action:
        """Save a new dashboard under a free slug, unless the same request already built this one,
        or the draft answers a different question (then ask, with options from the catalog)."""
        # the chart path places every axis from the request's own words; the designer's draft is
        # checked: a draft that draws none of the groupings asked for answers another question
        model = _typed(dashboard)
        found = (
            None
            if model is None or model.queries.keys() == {"chart"}
            else self._coverage(facts, catalog, model)
        )
        if found is not None and found.different_question:
            word = found.missing_grouping or ""
            return replies.clarifying_question(
                catalog, facts.tables or [], unknown=word, known=column_exists(catalog, word)
            )
        text = to_yaml(dashboard)
        taken = {d.slug: d for d in facts.dashboards or []}
        same = taken.get(slug_for(title, set()))
        copy = facts.choice in ("make", "new", "save", "a", "keep", "create")
        if same is not None and same.title == title and not copy:
            url = same.preview_url or ""
            if facts.choice in ("update", "rebuild", "refresh"):
                return self._validate_and_save(facts, text, same.slug, same.version)
            if facts.existing is None or facts.existing.slug != same.slug:
                return [(proto.GET_DASHBOARD, {"slug": same.slug})]  # is it this very dashboard?
            unchanged = facts.existing.yaml.strip() == text.strip()
            if facts.choice == "open":  # presented as the answer only while it is the one offered
                return replies.opened(title, same.version, url, unchanged)
            if unchanged:
                return replies.existing_offer(title, same.slug, same.version, url)
        return self._validate_and_save(facts, text, slug_for(title, set(taken)), None)

    def _coverage(
        self,
        facts: Facts,
        catalog: Catalog,
        dashboard: Dashboard,
        edit: bool = False,
        said: list[str] | None = None,
    ) -> Coverage:
        """What of the request the dashboard does not show (``edit``: only what a follow-up changes)."""
        intent = parse(facts.message, self.today)
        return coverage(facts.message, intent, dashboard, catalog, values=facts.values, edit=edit, said=said)

    def _save_chart(self, facts: Facts, catalog: Catalog, spec: ChartSpec) -> Action:
        dashboard = build_dashboard(spec)
        model = _typed(dashboard)
        if model is None:  # not a valid dashboard: the validate tool says why, nothing is saved
            return self._save_new(facts, catalog, dashboard, chart_title(spec))
        pending = self._dry_runs(facts, model)
        if pending:
            return pending
        failed = _failed(facts, model)
        if failed:
            return self._failure(facts, model, failed)
        return self._save_new(facts, catalog, dashboard, model.title)

    def _edit(self, facts: Facts, catalog: Catalog) -> Action:
        assert facts.existing is not None
        try:
            doc = edit_doc.load(facts.existing.yaml)  # one parse per step, read as the typed model
        except ValidationFailed as exc:
            return (
                f"I could not read the dashboard '{facts.session_slug}' to change it ({exc.message}). "
                "Fix it in the YAML editor, or ask for a new dashboard."
            )
        lookups = [k for k in edit_lookups(facts.message, doc, catalog) if k not in facts.values]
        if lookups:
            return [
                (proto.GET_COLUMN_VALUES, {"table": t, "column": c, "search": w, "limit": VALUE_LIMIT})
                for w, t, c in lookups
            ]
        result: EditResult = apply_edits(facts.message, doc, catalog, facts.values, self.today)
        if not result.understood and resolve(parse(facts.message, self.today), catalog) is not None:
            if facts.dashboards is None:
                return [
                    (proto.LIST_DASHBOARDS, {})
                ]  # not a change after all: a new dashboard needs a free slug
            return self._create(facts, catalog)
        if not result.changed:
            if result.understood:
                return replies.unchanged(doc.model.title, result.notes)
            return (
                "I could not tell what to change. Try for example: “sort by revenue descending”, "
                "“only the top 5”, “last 90 days”, “make it a line chart”, “only Germany”, "
                "“remove the country filter”, “add a KPI for total orders” or “remove the table”."
            )
        pending = self._dry_runs(facts, result.doc.model)
        if pending:
            return pending
        failed = _failed(facts, result.doc.model)
        if failed:
            return self._failure(facts, result.doc.model, failed)
        return self._validate_and_save(facts, result.text, facts.existing.slug, facts.existing.version)

    def _dry_runs(self, facts: Facts, dashboard: Dashboard) -> list[tuple[str, dict[str, Any]]]:
        """Dry-run calls for the queries of ``dashboard`` not run yet."""
        calls = []
        for query in dashboard.queries.values():
            if query.sql not in facts.dry_runs:
                args: dict[str, Any] = {"sql": query.sql}
                params = [
                    p
                    for p in dry_run_params(dashboard, None, self._resolve_date)
                    if "@" + p["name"] in query.sql
                ]
                if params:
                    args["params"] = params
                calls.append((proto.RUN_DRY_RUN_QUERY, args))
        return calls

    def _validate_and_save(self, facts: Facts, text: str, slug: str, version: int | None) -> Action:
        checked = facts.validations.get(text)
        if checked is None:
            return [(proto.VALIDATE_DASHBOARD_YAML, {"yaml": text})]
        if not checked.valid:
            problems = "; ".join(e.message for e in checked.errors[:3])
            return f"The dashboard I drafted did not validate ({problems}), so I did not save it. Could you rephrase the request?"
        args: dict[str, Any] = {"slug": slug, "yaml": text}
        if version is not None:
            args["expected_version"] = version
        return [(proto.SAVE_DASHBOARD_YAML, args)]

    def _failure(self, facts: Facts, dashboard: Dashboard, failed: list[str]) -> str:
        reasons = []
        for name in failed:
            r = facts.dry_runs[dashboard.queries[name].sql]
            reasons.append(f"{name}: {r.error.message if r.error else 'failed'}")
        return (
            "I could not build a query that passes the dry run (" + "; ".join(reasons)[:400] + "). "
            "Try a shorter date range or a narrower question."
        )

    def _closing(self, facts: Facts) -> str:
        saved = facts.saved
        assert saved is not None
        yaml_text = next((y for y, v in reversed(facts.validations.items()) if v.valid), None)
        dashboard = edit_doc.model_of(yaml_text) if yaml_text else None
        tables = sorted({t for r in facts.dry_runs.values() if r.passed for t in r.referenced_tables or []})
        notes = None
        if facts.choice in ("update", "rebuild", "refresh"):
            notes = ["rebuilt it from the same request"]
        elif facts.existing is not None and facts.schemas and saved.dashboard_slug == facts.existing.slug:
            catalog = Catalog(list(facts.schemas.values()), KnowledgeTerms(facts.knowledge))
            current = edit_doc.load(facts.existing.yaml)
            notes = apply_edits(facts.message, current, catalog, facts.values, self.today).notes
        left_out: list[str] = []
        if facts.schemas and dashboard is not None:
            # one check over the saved model on every path: new (chart or designer), rebuilt, edited
            catalog = Catalog(list(facts.schemas.values()), KnowledgeTerms(facts.knowledge))
            edit = notes is not None and facts.choice is None
            if not edit:
                left_out = chart_notes(facts.message, catalog, parse(facts.message, self.today), dashboard)
            found = self._coverage(facts, catalog, dashboard, edit=edit, said=notes)
            left_out += [n for n in found.notes if n not in left_out]
        text = replies.summary(dashboard, tables, saved, notes, left_out)
        sql = " ".join(q.sql for q in dashboard.queries.values()) if dashboard is not None else ""
        defined = KnowledgeTerms(facts.knowledge).used(facts.message, sql)
        if defined:
            text += "\n\nI used " + "; ".join(defined) + ", as defined by your team."
        return text

    def _resolve_date(self, value: str) -> date:
        from shared.dashboards.params import resolve_date

        return resolve_date(value, today=self.today)


def _typed(data: dict[str, Any]) -> Dashboard | None:
    """The typed model of a draft's plain data; None when the draft is not a valid dashboard."""
    try:
        return Dashboard.model_validate(data)
    except PydanticError:
        return None


def _failed(facts: Facts, dashboard: Dashboard) -> list[str]:
    """The queries of ``dashboard`` whose dry run did not pass."""
    return [n for n, q in dashboard.queries.items() if not facts.dry_runs[q.sql].passed]


def _size(request: ModelRequest) -> int:
    return sum(len(getattr(m, "text", "") or "") for m in request.messages) // 4 + 1


__all__ = ["Draft", "OfflinePlanner"]
