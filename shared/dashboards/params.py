"""Dashboard parameters: typed binding of query-string values to BigQuery query parameters.

Values are never interpolated into SQL; each becomes a :class:`QueryParam` bound to ``@name``.
A ``date_range`` parameter ``period`` binds ``@period_start`` and ``@period_end``.
"""

from __future__ import annotations

import calendar
import math
import re
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any

from shared.adapters.warehouse.port import QueryParam
from shared.errors import ValidationFailed

__all__ = ["bind_parameters", "bound_names", "resolve_date", "select_parameters"]

_RELATIVE = re.compile(r"^today(?:([+-]\d{1,4})([dwmy]))?$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAX_VALUE_CHARS = 1000


def resolve_date(text: str, *, today: date | None = None) -> date:
    """``2024-01-31``, ``today``, ``today-30d``, ``today+2w``, ``today-6m`` or ``today-1y`` as a date.

    Raises ``ValueError`` when the text is none of these or not a real calendar date.
    """
    text = text.strip()
    if _ISO_DATE.match(text):
        return date.fromisoformat(text)
    match = _RELATIVE.match(text)
    if not match:
        raise ValueError(f"'{text}' is not a date like 2024-01-31 or today-30d")
    base = today or date.today()
    if not match.group(1):
        return base
    amount, unit = int(match.group(1)), match.group(2)
    if unit == "d":
        return base + timedelta(days=amount)
    if unit == "w":
        return base + timedelta(weeks=amount)
    months = amount * (12 if unit == "y" else 1)
    year, month = divmod(base.month - 1 + months, 12)
    year += base.year
    if not 1 <= year <= 9999:
        raise ValueError(f"'{text}' is out of range")
    day = min(base.day, calendar.monthrange(year, month + 1)[1])
    return date(year, month + 1, day)


def bound_names(parameter: Mapping[str, Any]) -> tuple[str, ...]:
    """The ``@names`` a declared parameter binds."""
    name = str(parameter.get("name", ""))
    if parameter.get("type") == "date_range":
        return (f"{name}_start", f"{name}_end")
    return (name,)


def bind_parameters(
    dashboard: Mapping[str, Any], raw: Mapping[str, str], *, today: date | None = None
) -> tuple[QueryParam, ...]:
    """Typed query parameters for every declared parameter: ``raw`` value, else the default.

    ``raw`` holds query-string values: ``name`` for most types; a date_range takes
    ``name_start``/``name_end`` or ``name=START..END``. Unknown keys are ignored. All problems
    are raised together as :class:`ValidationFailed`, each with path ``parameters.<name>``.
    """
    params: list[QueryParam] = []
    problems: list[dict[str, Any]] = []
    for parameter in dashboard.get("parameters") or ():
        name = str(parameter["name"])
        try:
            params.extend(_bind_one(parameter, raw, today or date.today()))
        except ValueError as error:
            problems.append(
                {"path": f"parameters.{name}", "line": None, "column": None, "message": str(error)}
            )
    if problems:
        raise ValidationFailed("; ".join(f"{p['path']}: {p['message']}" for p in problems), details=problems)
    return tuple(params)


def select_parameters(params: Iterable[QueryParam], names: Iterable[str]) -> tuple[QueryParam, ...]:
    """Only the parameters whose names are in ``names`` (those one compiled view's SQL uses)."""
    wanted = set(names)
    return tuple(param for param in params if param.name in wanted)


def _bind_one(parameter: Mapping[str, Any], raw: Mapping[str, str], today: date) -> list[QueryParam]:
    name, kind, default = str(parameter["name"]), parameter["type"], parameter.get("default")
    if kind == "date_range":
        start_text, end_text = _range_texts(name, raw, default)
        start = _date(start_text, today, "start")
        end = _date(end_text, today, "end")
        if start > end:
            raise ValueError(f"start {start} is after end {end}")
        return [QueryParam(f"{name}_start", "DATE", start), QueryParam(f"{name}_end", "DATE", end)]
    value: Any = _raw_value(raw, name)
    if kind == "date":
        return [QueryParam(name, "DATE", _date(value if value is not None else str(default), today, "value"))]
    if kind == "number":
        return [_number(name, parameter, value)]
    if kind == "enum":
        chosen = value if value is not None else default
        options = [str(option) for option in parameter.get("options", ())]
        if chosen not in options:
            raise ValueError(f"'{chosen}' is not one of {', '.join(options)}")
        return [QueryParam(name, "STRING", chosen)]
    return [QueryParam(name, "STRING", value if value is not None else str(default))]


def _raw_value(raw: Mapping[str, str], key: str) -> str | None:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError("expected a single text value")
    if len(value) > MAX_VALUE_CHARS:
        raise ValueError(f"value is longer than {MAX_VALUE_CHARS} characters")
    return value


def _range_texts(name: str, raw: Mapping[str, str], default: Any) -> tuple[str, str]:
    defaults = default if isinstance(default, Mapping) else {}
    start, end = str(defaults.get("start", "")), str(defaults.get("end", ""))
    combined = _raw_value(raw, name)
    if combined is not None:
        if ".." not in combined:
            raise ValueError(f"'{combined}' is not a range like 2024-01-01..2024-03-31")
        start, end = combined.split("..", 1)
    start = _raw_value(raw, f"{name}_start") or start
    end = _raw_value(raw, f"{name}_end") or end
    return start, end


def _date(text: str, today: date, what: str) -> date:
    try:
        return resolve_date(text, today=today)
    except ValueError as error:
        raise ValueError(f"{what}: {error}") from None


def _number(name: str, parameter: Mapping[str, Any], value: str | None) -> QueryParam:
    number: float
    if value is None:
        number = parameter["default"]
    else:
        try:
            number = float(value.strip())
        except ValueError:
            raise ValueError(f"'{value}' is not a number") from None
    if isinstance(number, bool) or not math.isfinite(number):
        raise ValueError(f"'{value}' is not a finite number")
    low, high = parameter.get("min"), parameter.get("max")
    if low is not None and number < low:
        raise ValueError(f"{number:g} is below the minimum {low}")
    if high is not None and number > high:
        raise ValueError(f"{number:g} is above the maximum {high}")
    if parameter.get("integer"):
        if number != int(number) or abs(number) >= 2**63:
            raise ValueError(f"{number:g} is not a whole number within INT64")
        return QueryParam(name, "INT64", int(number))
    return QueryParam(name, "FLOAT64", float(number))
