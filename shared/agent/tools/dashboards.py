"""Dashboard tools: validate YAML, save it (new or a new version), list and read dashboards.

Invalid YAML never reaches the object store; a save refuses SQL whose exact text has not passed
the dry run in this turn; a dashboard without a theme is saved with ``theme: monotone``.

A YAML text is loaded once per turn: the validate tool keeps the loader's
:class:`~shared.dashboards.validated.ValidatedDashboard` per (turn, team, connection, text hash)
on this instance, and the save tool and the save service use it instead of parsing again.
"""

from __future__ import annotations

import re
from collections.abc import Hashable
from typing import TYPE_CHECKING, Any, Final

from shared.adapters.model import protocol as p
from shared.agent.context import sql_fingerprint
from shared.agent.tools.registry import tool
from shared.agent.tools.scope import Scope, scoped, scoped_repairing
from shared.bounded_cache import BoundedCache
from shared.dashboards.chart_rules import ERROR, check_dashboard_views
from shared.errors import Conflict, PreconditionRequired, ValidationFailed

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from shared.agent.context import AgentContext
    from shared.dashboards.model import Dashboard
    from shared.dashboards.validated import ValidatedDashboard
    from shared.services.dashboards import PreparedSave

DEFAULT_THEME: Final = "monotone"
DEFAULT_THEME_LINE = f"theme: {DEFAULT_THEME}"
_YAML_ARG = {"type": "string", "minLength": 1, "maxLength": 262_144}
_SLUG = {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,79}$"}
# (turn, team, connection, text hash) -> (the guard key it was checked with, errors, the value when valid)
_Loaded = tuple[Hashable, list[dict[str, Any]], "ValidatedDashboard | None"]
_LOADED: BoundedCache[tuple[str, str, str, str], _Loaded] = BoundedCache(64)


def with_default_theme(text: str, model: Dashboard) -> str:
    """``text`` with ``theme: monotone`` added when the document (already loaded as ``model``) sets none."""
    if "theme" in model.model_fields_set:
        return text
    lines = text.splitlines(keepends=True)
    for i, line in enumerate(lines):
        if re.match(r"^version\s*:", line):
            end = "" if line.endswith("\n") else "\n"
            return "".join([*lines[: i + 1], end, DEFAULT_THEME_LINE + "\n", *lines[i + 1 :]])
    return DEFAULT_THEME_LINE + "\n" + text


def preview_url(scope: Scope, slug: str) -> str:
    """Where the web app shows dashboard ``slug`` of this scope's team."""
    return _preview(scope.ctx, slug)


def _preview(ctx: AgentContext, slug: str) -> str:
    return f"{ctx.ports.settings.public_url}/d/{ctx.team_id}/{slug}"


def load_yaml(scope: Scope, text: str) -> tuple[list[dict[str, Any]], ValidatedDashboard | None]:
    """The loader's errors and value for ``text``: loaded once per turn (one parse, one schema run)."""
    from shared.dashboards.validated import text_hash

    ctx, sql = scope.ctx, scope.sql
    key = (ctx.turn_id, ctx.team_id, scope.conn.id, text_hash(text))
    hit = _LOADED.get(key)
    if hit is not None and hit[0] == sql.guard_key:
        return hit[1], hit[2]
    report, loaded = sql.validate(text)
    _LOADED.put(key, (sql.guard_key, report.errors, loaded))
    return report.errors, loaded


def _check(scope: Scope, text: str) -> tuple[p.ValidationResult, ValidatedDashboard | None]:
    """Load ``text`` (once per turn) and check it; the validated dashboard when valid."""
    loaded_errors, loaded = load_yaml(scope, text)
    errors = [
        p.YamlError(path=e.get("path"), line=e.get("line"), column=e.get("column"), message=e["message"])
        for e in loaded_errors
    ]
    findings: list[p.ChartWarning] = []
    not_dry_run: list[str] = []
    if loaded is not None:
        for f in check_dashboard_views(loaded.model):
            findings.append(p.ChartWarning(view=f.view, level=f.level, message=f.message))
            if f.level == ERROR:
                errors.append(p.YamlError(path=f"views.{f.view}", line=None, column=None, message=f.message))
        not_dry_run = [
            name
            for name, query in loaded.model.queries.items()
            if sql_fingerprint(query.sql) not in scope.ctx.state.dry_run_passed
        ]
    result = p.ValidationResult(valid=not errors, errors=errors, warnings=findings, not_dry_run=not_dry_run)
    return result, loaded


def themed(loaded: ValidatedDashboard) -> str | ValidatedDashboard:
    """What to save: ``loaded`` itself when it sets a theme, else with ``theme: monotone`` added
    (its positions moved as a parse of the new text would place them; the text when they cannot be)."""
    if "theme" in loaded.model.model_fields_set:
        return loaded
    moved = loaded.with_theme_line(DEFAULT_THEME)
    return moved if moved is not None else with_default_theme(loaded.text, loaded.model)


def check_yaml(scope: Scope, text: str) -> p.ValidationResult:
    """Schema + semantic errors (with lines), chart-rule findings and queries not yet dry-run."""
    return _check(scope, text)[0]


@tool(
    p.VALIDATE_DASHBOARD_YAML,
    "Validate dashboard YAML against the dashboard JSON Schema, the SQL guard and the chart rules "
    "without saving. Errors carry the YAML line; warnings are chart-type advice; not_dry_run lists "
    "queries whose exact SQL has not passed run_dry_run_query in this turn.",
    parameters={
        "type": "object",
        "properties": {"yaml": _YAML_ARG},
        "required": ["yaml"],
        "additionalProperties": False,
    },
    result=p.ValidationResult,
)
@scoped
def validate_dashboard_yaml(scope: Scope, yaml: str) -> p.ValidationResult:
    return check_yaml(scope, yaml)


@tool(
    p.SAVE_DASHBOARD_YAML,
    "Save dashboard YAML as a new dashboard (slug not taken) or a new version of an existing one "
    "(pass expected_version = the version you read with get_dashboard). Refused unless the YAML is "
    "valid and every query's exact SQL passed run_dry_run_query under the byte cap in this turn. "
    "A YAML without theme is saved with theme: monotone.",
    parameters={
        "type": "object",
        "properties": {
            "slug": {**_SLUG, "description": "lower-case words joined by '-', e.g. monthly-revenue"},
            "yaml": _YAML_ARG,
            "expected_version": {"type": "integer", "minimum": 1},
        },
        "required": ["slug", "yaml"],
        "additionalProperties": False,
    },
    result=p.SavedDashboard,
)
def save_dashboard_yaml(
    ctx: AgentContext, slug: str, yaml: str, expected_version: int | None = None
) -> p.SavedDashboard:
    """Checked, dry-run and compiled in a read transaction; stored in a short write one (on
    SQLite the writer lock is not held while the warehouse dry-runs)."""
    from shared.services.dashboards import commit_save, get_dashboard, prepare_save

    db = ctx.ports.db
    written = ""  # the text saved (the model's, with the default theme when it set none)
    warnings: list[p.ChartWarning] = []

    def prepare(s: Session) -> PreparedSave:
        nonlocal written, warnings
        scope = Scope.open(ctx, s)
        checked, loaded = _check(scope, yaml)  # lines as the model wrote them
        _refuse_unchecked(checked)
        warnings = checked.warnings
        assert loaded is not None  # valid
        document = themed(loaded)
        written = document if isinstance(document, str) else document.text
        return prepare_save(
            ctx.ports,
            s,
            ctx.user,
            ctx.team_id,
            slug,
            document,
            if_match=expected_version,
            connection_id=scope.conn.id,
        )

    try:
        prepared = db.read_or_repair(prepare)
        with db.session() as s:
            row = commit_save(ctx.ports, s, ctx.user, prepared).dashboard
    except (Conflict, PreconditionRequired):
        # A retried step may replay a save that already happened: the same text at the head is success.
        row, current = db.read_or_repair(lambda s: get_dashboard(ctx.ports, s, ctx.user, ctx.team_id, slug))
        if current != written:
            raise
    saved = p.SavedDashboard(
        dashboard_slug=slug, version=row.version, yaml_path=row.yaml_path, preview_url=_preview(ctx, slug)
    )
    record = saved.to_json()
    ctx.emit("yaml_artifact", {"dashboard_slug": slug, "version": row.version, "yaml": written})
    ctx.emit("dashboard_saved", dict(record))
    ctx.state.saved = dict(record)
    ctx.state.dashboard_slug, ctx.state.dashboard_version = slug, row.version
    saved.warnings = warnings
    return saved


def _refuse_unchecked(checked: p.ValidationResult) -> None:
    """Nothing is saved while the YAML has errors or a query has not passed its dry run this turn."""
    if checked.errors:
        raise ValidationFailed(
            f"the dashboard YAML is invalid ({len(checked.errors)} errors); nothing was saved",
            details=[e.to_json() for e in checked.errors],
        )
    if checked.not_dry_run:
        names = ", ".join(f"'{n}'" for n in checked.not_dry_run)
        raise ValidationFailed(
            f"query {names} has not passed run_dry_run_query under the byte cap in this turn; "
            "dry-run the exact SQL of every query, then save again",
            details=[
                {"path": f"queries.{n}.sql", "line": None, "column": None, "message": "not dry-run"}
                for n in checked.not_dry_run
            ],
        )


@tool(
    p.LIST_DASHBOARDS,
    "The team's saved dashboards (slug, title, description, version), most recently changed first.",
    parameters={"type": "object", "properties": {}, "additionalProperties": False},
    result=p.ListDashboardsResult,
)
@scoped
def list_dashboards(scope: Scope) -> p.ListDashboardsResult:
    from shared.services.dashboards import list_dashboards as rows_of

    return p.ListDashboardsResult(
        dashboards=[
            p.DashboardSummary(
                slug=d.slug,
                title=d.title,
                description=d.description,
                version=d.version,
                preview_url=preview_url(scope, d.slug),
            )
            for d in rows_of(scope.session, scope.ctx.user, scope.ctx.team_id)
        ]
    )


@tool(
    p.GET_DASHBOARD,
    "One saved dashboard: its YAML and current version. Edit the YAML and save it with "
    "expected_version set to this version.",
    parameters={
        "type": "object",
        "properties": {"slug": _SLUG},
        "required": ["slug"],
        "additionalProperties": False,
    },
    result=p.DashboardText,
)
@scoped_repairing  # reading may repair the dashboard's pointer row
def get_dashboard(scope: Scope, slug: str) -> p.DashboardText:
    from shared.services.dashboards import get_dashboard as read_dashboard

    ctx = scope.ctx
    row, text = read_dashboard(ctx.ports, scope.session, ctx.user, ctx.team_id, slug)
    return p.DashboardText(slug=row.slug, title=row.title, version=row.version, yaml=text)
