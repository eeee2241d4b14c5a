"""Titles that follow parameters: ``{{ name }}`` templates in dashboard and view titles and descriptions.

The syntax (documented in docs/dashboards.md):

- ``{{ country }}`` — the value of parameter ``country`` as the viewer set it (else its default);
- ``{{ period }}`` — a ``date_range`` as a compact range (``2024``, ``Jan-Mar 2024`` with an en dash,
  ``Jan 5 - Feb 3, 2024``); ``{{ period.start }}`` / ``{{ period.end }}`` — one end as a date;
- ``{{ status | every status }}`` — the text after ``|`` is shown when the parameter means "All":
  an empty value, or every option of a multiple-choice enum chosen (without ``|`` it reads ``All``).

Rendering is server-side, into the data payload (:func:`render_text`). A value is plain text: control
characters become spaces, it is clipped to :data:`MAX_VALUE_CHARS`, and templates inside a value are
never expanded (one pass). The web app writes titles as text, never as HTML or markdown, so a value
cannot inject markup. Validation (:func:`template_problems`) reports unknown parameter names.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from shared.dashboards.model.vocabulary import TEMPLATE_PATTERN

if TYPE_CHECKING:  # the validator's side only: serving renders templates without the YAML parser
    from shared.dashboards.yaml_source import Path, SourceDocument

__all__ = [
    "MAX_VALUE_CHARS",
    "TEMPLATE_PATTERN",
    "Template",
    "bound_values",
    "format_range",
    "render_defaults",
    "render_text",
    "template_errors",
    "template_problems",
    "templates_in",
]

MAX_VALUE_CHARS = 80
DASH = "\u2013"  # an en dash between the ends of a range
ALL = "All"
_NAME = r"[a-z][a-z0-9_]{0,62}"
_TEMPLATE = re.compile(r"\{\{\s*(" + _NAME + r")(?:\.(start|end))?\s*(?:\|([^{}]*))?\}\}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class Template:
    """One ``{{ … }}`` in a text: where it starts, the parameter, the end part and the "All" text."""

    offset: int
    text: str
    name: str
    part: str | None
    fallback: str | None


def templates_in(text: str) -> list[Template]:
    """The well-formed templates of ``text``, in order."""
    return [
        Template(
            m.start(),
            m.group(0),
            m.group(1),
            m.group(2),
            m.group(3).strip() if m.group(3) is not None else None,
        )
        for m in _TEMPLATE.finditer(text)
    ]


def template_problems(text: str, parameters: Mapping[str, str]) -> list[tuple[Template, str]]:
    """(template, message) for each template naming an undeclared parameter or a wrong part.

    ``parameters`` maps each declared parameter name to its type.
    """
    problems: list[tuple[Template, str]] = []
    for template in templates_in(text):
        kind = parameters.get(template.name)
        if kind is None:
            declared = ", ".join(parameters) or "none"
            problems.append(
                (template, f"unknown parameter '{template.name}' in {template.text} (declared: {declared})")
            )
        elif template.part and kind != "date_range":
            problems.append(
                (
                    template,
                    f"{template.text}: .{template.part} applies to a date_range, '{template.name}' is a {kind}",
                )
            )
    return problems


def render_text(
    text: str, values: Mapping[str, Any], parameters: Iterable[Any] = (), *, today: dt.date | None = None
) -> str:
    """``text`` with every template replaced by its parameter's value (see the module docstring).

    ``values`` maps a parameter name to its bound value (a date_range to ``(start, end)``);
    ``parameters`` are the typed parameters (for the options of an enum). Text without templates
    is returned unchanged.
    """
    if "{{" not in text:
        return text
    options = {p.name: tuple(getattr(p, "options", ()) or ()) for p in parameters}

    def one(match: re.Match[str]) -> str:
        name, part, fallback = match.group(1), match.group(2), match.group(3)
        all_text = fallback.strip() if fallback is not None else ALL
        if name not in values:
            return match.group(0)  # validation reports it; never reached for a valid dashboard
        return _clean(_value_text(values[name], part, options.get(name, ()), all_text, today))

    return _TEMPLATE.sub(one, text)


def _value_text(
    value: Any, part: str | None, options: Sequence[str], all_text: str, today: dt.date | None
) -> str:
    if isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, dt.date) for v in value):
        if part == "start":
            return _date(value[0])
        if part == "end":
            return _date(value[1])
        return format_range(value[0], value[1], today=today)
    if isinstance(value, dt.date):
        return _date(value)
    if isinstance(value, list | tuple):
        chosen = [str(v) for v in value]
        if not chosen or (options and set(chosen) >= set(options)):
            return all_text
        return ", ".join(chosen)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.10g}"
    text = "" if value is None else str(value)
    return text if text.strip() else all_text


def _clean(text: str) -> str:
    text = " ".join(_CONTROL.sub(" ", text).split())
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"


def _date(day: dt.date) -> str:
    return f"{_MONTHS[day.month - 1]} {day.day}, {day.year}"


def _relative(start: dt.date, end: dt.date, today: dt.date) -> str | None:
    """``last 12 months`` for today-12m..today (the planner's default period), else None."""
    if end != today or start >= end:
        return None
    from dateutil.relativedelta import relativedelta

    for unit, step, most in (("month", "months", 24), ("week", "weeks", 8), ("year", "years", 10)):
        for n in range(1, most + 1):
            if today - relativedelta(**{step: n}) == start:
                return f"past {unit}" if n == 1 else f"last {n} {unit}s"
    days = (end - start).days
    return f"last {days} days" if days in (7, 14, 28, 30, 60, 90, 180, 365) else None


def _month_end(day: dt.date) -> bool:
    return (day + dt.timedelta(days=1)).day == 1


def format_range(start: dt.date, end: dt.date, *, today: dt.date | None = None) -> str:
    """A date range as people write it: the last N days/months/years up to today, whole years,
    whole months, or days."""
    relative = _relative(start, end, today or dt.date.today())
    if relative:
        return relative
    if start == end:
        return _date(start)
    if (start.month, start.day, end.month, end.day) == (1, 1, 12, 31):
        return str(start.year) if start.year == end.year else f"{start.year}{DASH}{end.year}"
    if start.day == 1 and _month_end(end):
        first, last = _MONTHS[start.month - 1], _MONTHS[end.month - 1]
        if start.year != end.year:
            return f"{first} {start.year} {DASH} {last} {end.year}"
        return f"{first} {start.year}" if start.month == end.month else f"{first}{DASH}{last} {end.year}"
    if start.year == end.year:
        return f"{_MONTHS[start.month - 1]} {start.day} {DASH} {_MONTHS[end.month - 1]} {end.day}, {end.year}"
    return f"{_date(start)} {DASH} {_date(end)}"


def bound_values(parameters: Iterable[Any], params: Iterable[Any]) -> dict[str, Any]:
    """Template values by parameter name from bound query parameters (a date_range as a pair)."""
    by_name = {p.name: p.value for p in params}
    values: dict[str, Any] = {}
    for parameter in parameters:
        if parameter.type == "date_range":
            start, end = by_name.get(f"{parameter.name}_start"), by_name.get(f"{parameter.name}_end")
            if start is not None and end is not None:
                values[parameter.name] = (start, end)
        elif parameter.name in by_name:
            values[parameter.name] = by_name[parameter.name]
    return values


def template_errors(source: SourceDocument, parameters: Iterable[tuple[int, Any]]) -> list[dict[str, Any]]:
    """Located errors for templates in the titles and descriptions of a parsed dashboard.

    Each is reported at the line of its text and the column where the ``{{`` starts (when the
    text is written on that line), like every other validation error.
    """
    from shared.dashboards.yaml_source import format_path

    declared = {
        str(p["name"]): str(p.get("type"))
        for _, p in parameters
        if isinstance(p, dict) and isinstance(p.get("name"), str)
    }
    data = source.data if isinstance(source.data, dict) else {}
    views: list[Any] = data["views"] if isinstance(data.get("views"), list) else []
    texts: list[Path] = [("title",), ("description",)]
    texts += [("views", i, key) for i in range(len(views)) for key in ("title", "description")]
    errors: list[dict[str, Any]] = []
    lines = source.text.splitlines()
    for path in texts:
        text = _at(data, path)
        if not isinstance(text, str) or "{{" not in text:
            continue
        for template, message in template_problems(text, declared):
            where = source.locate(path)
            line_text = lines[where.line - 1] if 1 <= where.line <= len(lines) else ""
            found = line_text.find(template.text, where.column - 1)
            column = found + 1 if found >= 0 else where.column
            errors.append(
                {"path": format_path(path), "line": where.line, "column": column, "message": message}
            )
    return errors


def _at(data: Any, path: Path) -> Any:
    for part in path:
        if isinstance(part, int) and isinstance(data, list) and 0 <= part < len(data):
            data = data[part]
        elif isinstance(part, str) and isinstance(data, dict):
            data = data.get(part)
        else:
            return None
    return data


def render_defaults(dashboard: Any, text: str) -> str:
    """``text`` rendered with the dashboard's parameter defaults (the title a list or a reply shows).

    ``dashboard`` is the typed model or plain data of the same shape; when its parameters do not
    bind (plain data that is not valid yet), the text is returned as written.
    """
    if "{{" not in text:
        return text
    from shared.dashboards.params import bind_parameters, typed_parameters
    from shared.errors import ValidationFailed

    try:
        parameters = typed_parameters(dashboard)
        params = bind_parameters(dashboard, {})
    except (ValidationFailed, ValueError):  # pydantic's ValidationError is a ValueError
        return text
    return render_text(text, bound_values(parameters, params), parameters)
