"""The knowledge loader: YAML text → typed file, located errors and one probe SELECT per fragment.

Parsing is the dashboards' strict loader (:func:`shared.dashboards.yaml_source.load_source`), so
every error carries its YAML line and column. With the connection's tables (short name → columns)
every column is checked, and every metric's SQL and filter becomes a probe
``SELECT <sql> AS value FROM <its tables> WHERE <filters>`` that has passed the SQL guard; the save
dry-runs the probes and reports a failure at the fragment's line.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from pydantic import ValidationError as ModelError

from shared.dashboards.yaml_source import Path, SourceDocument, key_errors, load_source
from shared.errors import UnsafeSql
from shared.knowledge.fragments import FragmentError, expand_metric, parse_fragment, qualified_columns
from shared.knowledge.model import Knowledge
from shared.knowledge.schema import knowledge_schema
from shared.sqlguard import guard_select

__all__ = ["KnowledgeReport", "Probe", "TableColumns", "validate_knowledge"]


@dataclass(frozen=True)
class TableColumns:
    """One scanned table: its fully qualified name and its columns (lower-cased name → type)."""

    name: str
    columns: Mapping[str, str]


@dataclass(frozen=True)
class Probe:
    """A guarded SELECT that evaluates the fragment written at ``path``."""

    path: Path
    sql: str


@dataclass
class KnowledgeReport:
    errors: list[dict[str, Any]]
    model: Knowledge | None = None
    source: SourceDocument | None = None
    probes: list[Probe] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(knowledge_schema())


def validate_knowledge(
    text: str,
    *,
    tables: Mapping[str, TableColumns] | None = None,
    allowed_tables: Callable[[str], bool] | None = None,
    default_project: str | None = None,
) -> KnowledgeReport:
    """Check knowledge YAML ``text``; with ``tables`` (short name → table) also every column and fragment."""
    source = load_source(text)
    if source.data is None:
        return KnowledgeReport(_ordered(source.errors), source=source)
    errors = list(source.errors)
    if not isinstance(source.data, dict):
        errors.append(source.error((), "a knowledge file must be a mapping with version: 1"))
        return KnowledgeReport(_ordered(errors), source=source)
    errors.extend(e for err in _validator().iter_errors(source.data) for e in _describe(err, source))
    if errors:
        return KnowledgeReport(_ordered(errors), source=source)
    try:
        model = Knowledge.model_validate(source.data)
    except ModelError as error:  # the schema is generated from the model: only a bug lands here
        return KnowledgeReport(
            [source.error(tuple(e["loc"]), e["msg"]) for e in error.errors()], source=source
        )
    checker = _Checker(model, source, tables, allowed_tables, default_project)
    checker.check()
    if checker.errors:
        return KnowledgeReport(_ordered(checker.errors), source=source)
    return KnowledgeReport([], model, source, checker.probes)


def _describe(error: ValidationError, source: SourceDocument) -> list[dict[str, Any]]:
    path: Path = tuple(error.absolute_path)
    instance = error.instance
    keys = key_errors(path, str(error.validator), error.schema, error.validator_value, instance, source)
    if keys is not None:
        return keys
    if error.validator == "pattern":
        hint = (
            "table.column (the table's short name)"
            if "\\." in str(error.validator_value)
            else "a name of lowercase letters, digits and _"
        )
        return [source.error(path, f"{str(instance)[:80]!r} is not {hint}")]
    if error.validator == "enum":
        return [
            source.error(path, f"{instance!r} is not one of: {', '.join(map(str, error.validator_value))}")
        ]
    if error.validator == "const" and path == ("version",):
        return [source.error(path, f"version must be 1, not {instance!r}")]
    return [source.error(path, error.message[:300])]


class _Checker:
    """Names unique, columns real, fragments single safe expressions, probes guarded."""

    def __init__(
        self,
        model: Knowledge,
        source: SourceDocument,
        tables: Mapping[str, TableColumns] | None,
        allowed: Callable[[str], bool] | None,
        project: str | None,
    ) -> None:
        self.model, self.source, self.tables = model, source, tables
        self.allowed, self.project = allowed, project
        self.errors: list[dict[str, Any]] = []
        self.probes: list[Probe] = []

    def check(self) -> None:
        seen: dict[str, str] = {}
        for i, m in enumerate(self.model.metrics):
            for word, path in [(m.name.replace("_", " "), ("metrics", i, "name"))] + [
                (s.lower().strip(), ("metrics", i, "synonyms", j)) for j, s in enumerate(m.synonyms)
            ]:
                if word in seen and seen[word] != m.name:
                    self._error(path, f"'{word}' already names metric '{seen[word]}'")
                seen.setdefault(word, m.name)
        for i, d in enumerate(self.model.dimensions):
            self._column(d.column, ("dimensions", i, "column"))
        for i, j in enumerate(self.model.joins):
            self._column(j.from_, ("joins", i, "from"))
            self._column(j.to, ("joins", i, "to"))
        for i in range(len(self.model.metrics)):
            self._metric(i)
        for i, answer in enumerate(self.model.verified_answers):
            if answer.dashboard is None and answer.sql is None:
                self._error(
                    ("verified_answers", i), "name the dashboard or the sql that answers the question"
                )
            if answer.sql is not None and self.tables is not None:
                try:
                    guard_select(answer.sql, allowed_tables=self.allowed, default_project=self.project)
                except UnsafeSql as error:
                    self._error(("verified_answers", i, "sql"), error.message)
                    continue
                self.probes.append(Probe(("verified_answers", i, "sql"), answer.sql))

    def _error(self, path: Path, message: str) -> None:
        self.errors.append(self.source.error(path, message))

    def _column(self, ref: str, path: Path) -> bool:
        if self.tables is None:
            return True
        table, column = ref.split(".", 1)
        found = self.tables.get(table.lower())
        if found is None:
            self._error(path, f"no table '{table}' in this connection's catalog")
            return False
        if column.lower() not in found.columns:
            self._error(path, f"table '{table}' has no column '{column}'")
            return False
        return True

    def _metric(self, i: int) -> None:
        metric = self.model.metrics[i]
        ok = True
        for key in ("sql", "filter"):
            text = getattr(metric, key)
            if text is None:
                continue
            try:
                pairs, bare = qualified_columns(parse_fragment(text))
            except FragmentError as error:
                self._error(("metrics", i, key), str(error))
                ok = False
                continue
            if key == "filter" and bare:
                self._error(("metrics", i, key), f"write '{bare[0]}' as table.column")
                ok = False
            ok = all([self._column(f"{t}.{c}", ("metrics", i, key)) for t, c in pairs]) and ok
        if not ok:
            return
        try:
            expanded = expand_metric(self.model, metric.name)
        except FragmentError as error:
            self._error(("metrics", i, "sql"), str(error))
            return
        if self.tables is None:
            return
        probe = probe_sql(expanded.sql, expanded.filters, self.tables, self.model)
        if isinstance(probe, str) and probe.startswith("!"):
            self._error(("metrics", i, "sql"), probe[1:])
            return
        try:
            guard_select(probe, allowed_tables=self.allowed, default_project=self.project)
        except UnsafeSql as error:
            self._error(("metrics", i, "sql"), error.message)
            return
        self.probes.append(Probe(("metrics", i, "sql"), probe))


def probe_sql(
    sql: str, filters: tuple[str, ...], tables: Mapping[str, TableColumns], model: Knowledge
) -> str:
    """``SELECT sql AS value FROM … WHERE filters`` over the tables it names; ``"!why"`` when no path joins them."""
    names: list[str] = []
    for text in (sql, *filters):
        for t, _ in qualified_columns(parse_fragment(text))[0]:
            if t.lower() not in names:
                names.append(t.lower())
    if not names:
        return "!name at least one column as table.column"
    base, joined = names[0], [f"FROM `{tables[names[0]].name}` AS {names[0]}"]
    reached = {base}
    for goal in names[1:]:
        path = join_path(base, goal, tables, model)
        if path is None:
            return f"!no join path from {base} to {goal}: add one under joins"
        for frm, to in path:
            (ft, fc), (tt, tc) = frm.split("."), to.split(".")
            other = (tt if ft.lower() in reached else ft).lower()
            if other in reached:
                continue
            joined.append(f"JOIN `{tables[other].name}` AS {other} ON {tt.lower()}.{tc} = {ft.lower()}.{fc}")
            reached.add(other)
    where = f"\nWHERE {' AND '.join(f'({f})' for f in filters)}" if filters else ""
    return f"SELECT {sql} AS value\n" + "\n".join(joined) + where


def join_path(
    start: str, goal: str, tables: Mapping[str, TableColumns], model: Knowledge, max_hops: int = 3
) -> list[tuple[str, str]] | None:
    """Edges ``(many.key, one.key)`` from ``start`` to ``goal``: the file's joins first, then ``x_id`` → ``x(s).id``."""
    edges: dict[str, list[tuple[str, str, str]]] = {}

    def add(frm: str, to: str) -> None:
        ft, tt = frm.split(".")[0].lower(), to.split(".")[0].lower()
        edges.setdefault(ft, []).append((tt, frm, to))
        edges.setdefault(tt, []).append((ft, frm, to))

    for j in model.joins:
        add(j.from_, j.to)
    for short, table in tables.items():
        for col in table.columns:
            if col.endswith("_id") and col != "id":
                stem = col[:-3]
                for target in (stem, stem + "s", stem + "es"):
                    if target in tables and target != short and "id" in tables[target].columns:
                        add(f"{short}.{col}", f"{target}.id")
    queue: deque[tuple[str, list[tuple[str, str]]]] = deque([(start, [])])
    seen = {start}
    while queue:
        node, path = queue.popleft()
        if node == goal:
            return path
        if len(path) >= max_hops:
            continue
        for nxt, frm, to in edges.get(node, []):
            if nxt not in seen:
                seen.add(nxt)
                queue.append((nxt, [*path, (frm, to)]))
    return None


def _ordered(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(errors, key=lambda e: (e.get("line") or 0, e.get("column") or 0, e.get("path", "")))
