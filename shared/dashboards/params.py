"""Dashboard parameters: typed binding of query-string values to BigQuery query parameters.

Values are never interpolated into SQL; each becomes a :class:`QueryParam` bound to ``@name``.
A ``date_range`` parameter ``period`` binds ``@period_start`` and ``@period_end``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from functools import cache
from typing import TYPE_CHECKING, Any

from dateutil.relativedelta import relativedelta

from shared.adapters.warehouse.port import QueryParam
from shared.errors import ValidationFailed

if TYPE_CHECKING:
    from pydantic import TypeAdapter

    from shared.dashboards.model import Dashboard, NumberParameter, Parameter

__all__ = [
    "MULTI_SEPARATOR",
    "bind_parameters",
    "bound_names",
    "resolve_date",
    "select_parameters",
    "typed_parameters",
]

_RELATIVE = re.compile(r"^today(?:([+-]\d{1,4})([dwmy]))?$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAX_VALUE_CHARS = 1000
MULTI_SEPARATOR = "\n"  # a multi-value parameter given several times in the query string


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
    step = {"d": "days", "w": "weeks", "m": "months", "y": "years"}[unit]
    try:
        return base + relativedelta(**{step: amount})  # months/years keep the day, clipped to the month
    except (ValueError, OverflowError):
        raise ValueError(f"'{text}' is out of range") from None


def bound_names(parameter: Mapping[str, Any]) -> tuple[str, ...]:
    """The ``@names`` a declared parameter (as plain data, possibly invalid) binds."""
    name = str(parameter.get("name", ""))
    if parameter.get("type") == "date_range":
        return (f"{name}_start", f"{name}_end")
    return (name,)


@cache
def _parameter_list() -> TypeAdapter[list[Parameter]]:
    from pydantic import TypeAdapter

    from shared.dashboards.model import Parameter

    return TypeAdapter(list[Parameter])


def typed_parameters(dashboard: Dashboard | Mapping[str, Any]) -> Sequence[Parameter]:
    """The dashboard's parameters as typed models (plain data is validated here)."""
    return _parameters(dashboard)


def _parameters(dashboard: Dashboard | Mapping[str, Any]) -> Sequence[Parameter]:
    if isinstance(dashboard, Mapping):  # plain data (tests, older callers): typed here
        return _parameter_list().validate_python(list(dashboard.get("parameters") or ()))
    return dashboard.parameters


def bind_parameters(
    dashboard: Dashboard | Mapping[str, Any], raw: Mapping[str, str], *, today: date | None = None
) -> tuple[QueryParam, ...]:
    """Typed query parameters for every declared parameter: ``raw`` value, else the default.

    ``raw`` holds query-string values: ``name`` for most types; a date_range takes
    ``name_start``/``name_end`` or ``name=START..END``. Unknown keys are ignored. All problems
    are raised together as :class:`ValidationFailed`, each with path ``parameters.<name>``.
    """
    params: list[QueryParam] = []
    problems: list[dict[str, Any]] = []
    for parameter in _parameters(dashboard):
        name = parameter.name
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


def _bind_one(parameter: Parameter, raw: Mapping[str, str], today: date) -> list[QueryParam]:
    from shared.dashboards.model import DateParameter, DateRangeParameter, EnumParameter, NumberParameter

    name = parameter.name
    if isinstance(parameter, DateRangeParameter):
        start_text, end_text = _range_texts(name, raw, parameter.default.start, parameter.default.end)
        start = _date(start_text, today, "start")
        end = _date(end_text, today, "end")
        if start > end:
            raise ValueError(f"start {start} is after end {end}")
        return [QueryParam(f"{name}_start", "DATE", start), QueryParam(f"{name}_end", "DATE", end)]
    value = _raw_value(raw, name)
    if isinstance(parameter, DateParameter):
        return [
            QueryParam(name, "DATE", _date(value if value is not None else parameter.default, today, "value"))
        ]
    if isinstance(parameter, NumberParameter):
        return [_number(parameter, value)]
    if isinstance(parameter, EnumParameter) and parameter.multiple:
        # several values: repeated in the query string (joined by newlines on the way in)
        chosen_all = value.split(MULTI_SEPARATOR) if value is not None else list(parameter.default or ())
        unknown = [c for c in chosen_all if c not in parameter.options]
        if unknown:
            raise ValueError(f"'{unknown[0]}' is not one of {', '.join(parameter.options)}")
        if not chosen_all:
            raise ValueError("choose at least one option")
        return [QueryParam(name, "ARRAY<STRING>", tuple(dict.fromkeys(chosen_all)))]
    if isinstance(parameter, EnumParameter):
        chosen = value if value is not None else parameter.default
        if parameter.all and chosen in ("", None):
            return [QueryParam(name, "STRING", None)]  # All: the SQL reads NULL as no condition
        if chosen not in parameter.options:
            raise ValueError(f"'{chosen}' is not one of {', '.join(parameter.options)}")
        return [QueryParam(name, "STRING", chosen)]
    return [QueryParam(name, "STRING", value if value is not None else parameter.default)]


def _raw_value(raw: Mapping[str, str], key: str) -> str | None:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError("expected a single text value")
    if len(value) > MAX_VALUE_CHARS:
        raise ValueError(f"value is longer than {MAX_VALUE_CHARS} characters")
    return value


def _range_texts(name: str, raw: Mapping[str, str], start: str, end: str) -> tuple[str, str]:
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


def _number(parameter: NumberParameter, value: str | None) -> QueryParam:
    name = parameter.name
    number: float
    if value is None:
        number = parameter.default
    else:
        try:
            number = float(value.strip())
        except ValueError:
            raise ValueError(f"'{value}' is not a number") from None
    if isinstance(number, bool) or not math.isfinite(number):
        raise ValueError(f"'{value}' is not a finite number")
    low, high = parameter.min, parameter.max
    if low is not None and number < low:
        raise ValueError(f"{number:g} is below the minimum {low}")
    if high is not None and number > high:
        raise ValueError(f"{number:g} is above the maximum {high}")
    if parameter.integer:
        if number != int(number) or abs(number) >= 2**63:
            raise ValueError(f"{number:g} is not a whole number within INT64")
        return QueryParam(name, "INT64", int(number))
    return QueryParam(name, "FLOAT64", float(number))
