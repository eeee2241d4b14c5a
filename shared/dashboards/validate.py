"""The one dashboard loader: YAML text → typed model, source positions and located errors.

:func:`validate_dashboard` parses the YAML once, runs the JSON Schema (generated from the model)
once and the semantic rules once, and builds the :class:`~shared.dashboards.model.Dashboard` only
when nothing is wrong. It never raises for bad input; every problem becomes a
``{path, line, column, message}`` record in the returned :class:`ValidationReport`.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from pydantic import ValidationError as ModelError

from shared.dashboards import schema as dashboard_schema_module
from shared.dashboards.model import Dashboard, vocabulary
from shared.dashboards.params import bound_names, resolve_date
from shared.dashboards.summary_rules import comparison_errors
from shared.dashboards.templates import template_errors
from shared.dashboards.yaml_source import Path, SourceDocument, format_path, key_errors, load_source
from shared.errors import UnsafeSql, ValidationFailed
from shared.sqlguard import GuardedSql, guard_select

__all__ = ["ValidationReport", "raise_for_report", "validate_dashboard"]

MAX_MESSAGE_CHARS = 300
_ENCODING_KEYS = ("x", "y", "color", "size", "theta", "value")
_PATTERN_HINTS = {
    vocabulary.NAME_PATTERN: "lowercase letters, digits and _, starting with a letter",
    vocabulary.SLUG_PATTERN: "a slug of lowercase letters, digits, - and _",
    vocabulary.REFRESH_PATTERN: "a duration like 15m, 1h or 1d",
    vocabulary.DATE_PATTERN: "a date like 2024-01-31 or today-30d",
    "^[A-Z]{3}$": "an ISO 4217 currency code like USD",
    vocabulary.TEMPLATE_PATTERN: (
        "text whose templates are {{ name }}, {{ name.start }}, {{ name.end }} or {{ name | All text }}"
    ),
}


@dataclass
class ValidationReport:
    """Outcome of loading; ``model`` is set only when there are no errors.

    ``source`` keeps where every path is written (for errors found later, e.g. by dry runs).
    """

    errors: list[dict[str, Any]]
    model: Dashboard | None = None
    tables: tuple[str, ...] = ()
    queries: dict[str, GuardedSql] = field(default_factory=dict)
    source: SourceDocument | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    @cached_property
    def dashboard(self) -> dict[str, Any] | None:
        """The model as plain data with defaults (for callers that have not moved to the model)."""
        return self.model.to_dict() if self.model is not None else None

    def column_errors(self, query_columns: Mapping[str, Sequence[str]]) -> list[dict[str, Any]]:
        """Fields the views use that the queries' result columns (e.g. from dry runs) lack.

        The same check :func:`validate_dashboard` makes with ``query_columns``, without parsing
        or validating the document again.
        """
        if self.model is None or self.source is None:
            return []
        checker = _Semantics(self.source.data, self.source, None, None, query_columns)
        checker.guarded = dict(self.queries)
        for index, view in zip(checker.view_indexes, checker.views, strict=True):
            if isinstance(view.get("query"), str) and view["query"] in checker.queries:
                checker._check_fields(index, view, view["query"])
        for index, parameter in checker.parameters:
            if isinstance(parameter, dict) and isinstance(parameter.get("values_from"), dict):
                checker._check_values_from(index, parameter["values_from"])
        return _ordered(checker.errors)


def raise_for_report(report: ValidationReport) -> None:
    """Raise :class:`ValidationFailed` listing every error when ``report`` is not ok."""
    if report.errors:
        first = report.errors[0]
        more = f" (and {len(report.errors) - 1} more)" if len(report.errors) > 1 else ""
        where = f"{first['path'] or 'document'} line {first['line']}"
        raise ValidationFailed(f"{where}: {first['message']}{more}", details=report.errors)


def validate_dashboard(
    text: str,
    *,
    allowed_tables: Callable[[str], bool] | None = None,
    default_project: str | None = None,
    query_columns: Mapping[str, Sequence[str]] | None = None,
) -> ValidationReport:
    """Check dashboard YAML ``text`` against the schema and the semantic rules, all at once.

    ``query_columns`` (e.g. from dry runs) gives each query's result columns; without it the
    columns come from the SELECT list when it names them. Tables are checked with
    ``allowed_tables`` and ``default_project`` exactly as :func:`shared.sqlguard.guard_select`.
    """
    source = load_source(text)
    errors = list(source.errors)
    if source.data is None and errors:
        return ValidationReport(_ordered(errors), source=source)
    data = source.data
    if not isinstance(data, dict):
        errors.append(source.error((), "a dashboard must be a mapping with version, title and views"))
        return ValidationReport(_ordered(errors), source=source)
    errors.extend(_schema_errors(data, source))
    checker = _Semantics(data, source, allowed_tables, default_project, query_columns or {})
    errors.extend(checker.check())
    errors = _ordered(errors)
    if errors:
        return ValidationReport(errors, source=source)
    try:
        model = Dashboard.model_validate(data)
    except ModelError as error:  # the schema is generated from the model, so this is a bug
        problems = [source.error(tuple(e["loc"]), _clip(e["msg"])) for e in error.errors()]
        return ValidationReport(_ordered(problems), source=source)
    tables = tuple(dict.fromkeys(t for guarded in checker.guarded.values() for t in guarded.tables))
    return ValidationReport([], model, tables, checker.guarded, source)


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(dashboard_schema_module.dashboard_schema())


def _schema_errors(data: dict[str, Any], source: SourceDocument) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    unknown_keys: dict[str, dict[str, Any]] = {}
    for error in _validator().iter_errors(data):
        for record in _describe(error, source):
            if record["message"].startswith("unknown key"):
                # the view/parameter union and the selected definition both report a stray key;
                # keep the narrower list of allowed keys
                kept = unknown_keys.get(record["path"])
                if kept is None or len(record["message"]) < len(kept["message"]):
                    unknown_keys[record["path"]] = record
            else:
                found.append(record)
    return found + list(unknown_keys.values())


def _describe(error: ValidationError, source: SourceDocument) -> list[dict[str, Any]]:
    path: Path = tuple(error.absolute_path)
    instance = error.instance
    keys = key_errors(path, str(error.validator), error.schema, error.validator_value, instance, source)
    if keys is not None:
        return keys
    if error.validator == "propertyNames" or "propertyNames" in error.relative_schema_path:
        hint = _PATTERN_HINTS.get(str(error.schema.get("pattern")), "a valid name")
        return [source.error((*path, str(instance)), f"name '{instance}' must be {hint}", key=True)]
    if error.validator == "pattern":
        hint = _PATTERN_HINTS.get(str(error.validator_value), f"matching {error.validator_value}")
        return [source.error(path, f"{_short(instance)} is not {hint}")]
    if error.validator == "anyOf" and path[-1:] == ("refresh",):
        return [source.error(path, f"{_short(instance)} is not a duration like 15m, 1h, 1d or seconds")]
    if error.validator == "const" and path == ("version",):
        return [source.error(path, f"version must be 1, not {_short(instance)}")]
    if error.validator == "enum":
        options = ", ".join(str(option) for option in error.validator_value)
        return [source.error(path, f"{_short(instance)} is not one of: {options}")]
    return [source.error(path, _clip(error.message))]


class _Semantics:
    """Rules a JSON Schema cannot express; defensive about shapes the schema already rejected."""

    def __init__(
        self,
        data: dict[str, Any],
        source: SourceDocument,
        allowed_tables: Callable[[str], bool] | None,
        default_project: str | None,
        query_columns: Mapping[str, Sequence[str]],
    ) -> None:
        self.source = source
        self.allowed_tables = allowed_tables
        self.default_project = default_project
        self.query_columns = query_columns
        queries = data.get("queries")
        self.queries: dict[str, Any] = queries if isinstance(queries, dict) else {}
        self.views = [v for v in _list(data.get("views")) if isinstance(v, dict)]
        self.view_indexes = [i for i, v in enumerate(_list(data.get("views"))) if isinstance(v, dict)]
        self.parameters = list(enumerate(_list(data.get("parameters"))))
        self.guarded: dict[str, GuardedSql] = {}
        self.errors: list[dict[str, Any]] = []

    def check(self) -> list[dict[str, Any]]:
        self._check_queries()
        self._check_parameters()
        self._check_views()
        self.errors.extend(template_errors(self.source, self.parameters))
        views = list(zip(self.view_indexes, self.views, strict=True))
        self.errors.extend(comparison_errors(self.source, views, self.parameters, self.guarded))
        return self.errors

    def _error(self, path: Path, message: str, *, key: bool = False) -> None:
        self.errors.append(self.source.error(path, message, key=key))

    def _check_queries(self) -> None:
        for name, query in self.queries.items():
            sql = query.get("sql") if isinstance(query, dict) else None
            if not isinstance(sql, str) or not sql.strip():
                continue
            try:
                self.guarded[name] = guard_select(
                    sql, allowed_tables=self.allowed_tables, default_project=self.default_project
                )
            except UnsafeSql as unsafe:
                for problem in unsafe.details or ():
                    self._sql_error(name, problem["line"], problem["column"], problem["message"])

    def _sql_error(self, query: str, line: int, column: int, message: str) -> None:
        """Report a problem at ``line``/``column`` of a query's SQL, located in the YAML file."""
        path: Path = ("queries", query, "sql")
        start = self.source.locate(path)
        if path in self.source.block_scalars:
            yaml_line = start.line + line
            indent = _indent_of(self.source.text, yaml_line)
            where = (yaml_line, indent + column)
        elif line == 1:
            where = (start.line, start.column + column - 1)
        else:
            where = (start.line, start.column)
        self.errors.append(
            {"path": format_path(path), "line": where[0], "column": where[1], "message": message}
        )

    def _check_parameters(self) -> None:
        declared: dict[str, int] = {}
        for index, parameter in self.parameters:
            if not isinstance(parameter, dict) or not isinstance(parameter.get("name"), str):
                continue
            name = parameter["name"]
            if name in declared:
                self._error(
                    ("parameters", index, "name"),
                    f"duplicate parameter '{name}' (also parameters[{declared[name]}])",
                )
                continue
            declared[name] = index
            self._check_default(index, parameter)
            source = parameter.get("values_from")
            if isinstance(source, dict):
                self._check_values_from(index, source)

        bound = {
            bound_name: (index, parameter)
            for index, parameter in self.parameters
            if isinstance(parameter, dict) and isinstance(parameter.get("name"), str)
            for bound_name in bound_names(parameter)
        }
        used: set[str] = set()
        for name, guarded in self.guarded.items():
            for parameter_name in guarded.parameters:
                used.add(parameter_name)
                if parameter_name in bound:
                    continue
                hint = ""
                ranged = bound.get(f"{parameter_name}_start")
                if ranged and ranged[1].get("type") == "date_range":
                    hint = f"; date_range '{parameter_name}' binds @{parameter_name}_start and _end"
                line, column = guarded.parameter_positions.get(parameter_name, (1, 1))
                self._sql_error(name, line, column, f"parameter @{parameter_name} is not declared{hint}")
        if len(self.guarded) < len(self.queries):
            return  # a query that failed the guard may be the one using the parameter
        for index, parameter in self.parameters:
            if (
                isinstance(parameter, dict)
                and isinstance(parameter.get("name"), str)
                and not used.intersection(bound_names(parameter))
            ):
                names = " or ".join(f"@{n}" for n in bound_names(parameter))
                self._error(
                    ("parameters", index, "name"),
                    f"parameter '{parameter['name']}' is not used by any query ({names})",
                )

    def _check_values_from(self, index: int, source: dict[str, Any]) -> None:
        query, column = source.get("query"), source.get("field")
        if query not in self.queries:
            self._error(("parameters", index, "values_from", "query"), f"unknown query '{query}'")
        elif query in self.query_columns and column not in self.query_columns[query]:
            known = ", ".join(self.query_columns[query])
            self._error(
                ("parameters", index, "values_from", "field"),
                f"query '{query}' has no column '{column}' ({known})",
            )

    def _check_default(self, index: int, parameter: dict[str, Any]) -> None:
        kind: Any = parameter.get("type")
        default: Any = parameter.get("default")
        path: Path = ("parameters", index, "default")
        if kind == "date" and isinstance(default, str):
            self._check_date(path, default)
        elif kind == "date_range" and isinstance(default, dict):
            start = self._check_date((*path, "start"), default.get("start"))
            end = self._check_date((*path, "end"), default.get("end"))
            if start and end and start > end:
                self._error(path, f"start {default['start']} is after end {default['end']}")
        elif kind == "number" and _is_number(default):
            low: Any = parameter.get("min")
            high: Any = parameter.get("max")
            if not math.isfinite(default):
                self._error(path, f"default {default} is not a finite number")
                return
            if parameter.get("integer") is True and default != int(default):
                self._error(path, f"default {default} is not a whole number (integer: true)")
            if _is_number(low) and default < low:
                self._error(path, f"default {default} is below min {low}")
            if _is_number(high) and default > high:
                self._error(path, f"default {default} is above max {high}")
            if _is_number(low) and _is_number(high) and low > high:
                self._error(("parameters", index, "min"), f"min {low} is above max {high}")
        elif kind == "enum" and isinstance(parameter.get("options"), list):
            options = [str(option) for option in parameter["options"]]
            multiple = parameter.get("multiple") is True
            if parameter.get("all") is True:
                if multiple:
                    self._error(
                        ("parameters", index, "all"),
                        "all is for a single choice; a multiple parameter's All checks every option",
                    )
                    return
                if "" in options:
                    self._error(("parameters", index, "options"), "an empty option cannot be told from All")
                if default is None:
                    return
            elif default is None:
                self._error(path, "a default is required (or all: true, which opens on All)")
                return
            if isinstance(default, list) != multiple:
                want = (
                    "a list of options (multiple: true)" if multiple else "one option (multiple is not set)"
                )
                self._error(path, f"default must be {want}")
                return
            for chosen in default if isinstance(default, list) else [default]:
                if chosen is not None and chosen not in options:
                    self._error(path, f"default {_short(chosen)} is not one of: {', '.join(options)}")

    def _check_date(self, path: Path, value: Any) -> Any:
        if not isinstance(value, str):
            return None
        try:
            return resolve_date(value)
        except (ValueError, OverflowError) as error:
            self._error(path, str(error))
            return None

    def _check_views(self) -> None:
        first_id: dict[str, int] = {}
        placed: list[tuple[int, str, tuple[int, int, int, int]]] = []
        for index, view in zip(self.view_indexes, self.views, strict=True):
            raw_id = view.get("id")
            view_id = raw_id if isinstance(raw_id, str) else f"views[{index}]"
            if view_id in first_id:
                self._error(
                    ("views", index, "id"),
                    f"duplicate view id '{view_id}' (first used by views[{first_id[view_id]}])",
                )
            else:
                first_id[view_id] = index
            self._check_layout(index, view_id, view.get("layout"), placed)
            if view.get("type") == "text":
                continue
            query = view.get("query")
            if isinstance(query, str):
                if query not in self.queries:
                    defined = ", ".join(self.queries) or "none"
                    self._error(
                        ("views", index, "query"),
                        f"unknown query '{query}' (defined: {defined})",
                    )
                else:
                    self._check_fields(index, view, query)

    def _check_layout(
        self,
        index: int,
        view_id: str,
        layout: Any,
        placed: list[tuple[int, str, tuple[int, int, int, int]]],
    ) -> None:
        if not isinstance(layout, dict):
            return
        values: list[Any] = [layout.get(key) for key in ("x", "y", "w", "h")]
        if not all(_is_number(v) and math.isfinite(v) and float(v).is_integer() for v in values):
            return  # the schema reports it
        x, y, w, h = (int(v) for v in values)
        path: Path = ("views", index, "layout")
        columns = vocabulary.GRID_COLUMNS
        if x + w > columns and 0 <= x < columns and w >= 1:
            self._error(
                (*path, "w"),
                f"view '{view_id}' is wider than the grid: x {x} + w {w} = {x + w} > {columns}",
            )
        for other_index, other_id, (ox, oy, ow, oh) in placed:
            if x < ox + ow and ox < x + w and y < oy + oh and oy < y + h:
                self._error(
                    path,
                    f"view '{view_id}' overlaps view '{other_id}' (views[{other_index}])",
                )
                break
        placed.append((index, view_id, (x, y, w, h)))

    def _check_fields(self, index: int, view: dict[str, Any], query: str) -> None:
        columns = self._columns_of(query)
        if columns is None:
            return
        for path, name in _fields_used(view):
            if name in columns:
                continue
            close = difflib.get_close_matches(name, columns, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            self._error(
                ("views", index, *path),
                f"unknown field '{name}': query '{query}' returns {', '.join(columns)}{hint}",
            )

    def _columns_of(self, query: str) -> list[str] | None:
        if query in self.query_columns:
            return [str(column) for column in self.query_columns[query]]
        guarded = self.guarded.get(query)
        if guarded is None or guarded.output_columns is None:
            return None
        return list(guarded.output_columns)


def _fields_used(view: dict[str, Any]) -> list[tuple[Path, str]]:
    used: list[tuple[Path, str]] = []
    for key in _ENCODING_KEYS:
        encoding = view.get(key)
        if isinstance(encoding, dict) and isinstance(encoding.get("field"), str):
            used.append(((key, "field"), encoding["field"]))
    for position, column in enumerate(_list(view.get("columns"))):
        if isinstance(column, dict) and isinstance(column.get("field"), str):
            used.append((("columns", position, "field"), column["field"]))
        total = column.get("total") if isinstance(column, dict) else None
        for part in ("numerator", "denominator"):
            if isinstance(total, dict) and isinstance(total.get(part), str):
                used.append((("columns", position, "total", part), total[part]))
    compare = view.get("compare")
    if isinstance(compare, dict) and isinstance(compare.get("field"), str):
        used.append((("compare", "field"), compare["field"]))
    sort = view.get("sort")
    if isinstance(sort, dict) and isinstance(sort.get("field"), str):
        used.append((("sort", "field"), sort["field"]))
    return used


def _ordered(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    unique = {(e["path"], e["line"], e["column"], e["message"]): e for e in errors}
    return sorted(unique.values(), key=lambda e: (e["line"], e["column"], e["path"], e["message"]))


def _indent_of(text: str, line: int) -> int:
    lines = text.splitlines()
    if not 1 <= line <= len(lines):
        return 0
    content = lines[line - 1]
    return len(content) - len(content.lstrip(" "))


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _short(value: Any) -> str:
    return _clip(repr(value), 60)


def _clip(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
