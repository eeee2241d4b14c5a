"""Memory-heavy constructs bounded before a query runs.

``GENERATE_ARRAY``, ``GENERATE_DATE_ARRAY``, ``GENERATE_TIMESTAMP_ARRAY``, ``REPEAT`` and
``LPAD``/``RPAD`` build values whose size their arguments choose. When those arguments are known
before the query runs (literals, bound ``@parameters``, arithmetic on them), the size is computed
and refused over the limit. Sizes that depend on column values cannot be known in advance; the
warehouse's memory limit bounds those.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlglot import exp

from shared.errors import WarehouseError

MAX_ARRAY_ELEMENTS = 100_000
MAX_STRING_CHARS = 10_000_000

_UNIT_SECONDS = {
    "MICROSECOND": 1e-6,
    "MILLISECOND": 1e-3,
    "SECOND": 1,
    "MINUTE": 60,
    "HOUR": 3600,
    "DAY": 86_400,
    "WEEK": 7 * 86_400,
    "MONTH": 28 * 86_400,  # the shortest month: the largest count
    "QUARTER": 89 * 86_400,
    "YEAR": 365 * 86_400,
}


class _Unknown(Exception):
    """The value is not known before the query runs."""


_SIZED = (exp.GenerateSeries, exp.GenerateDateArray, exp.GenerateTimestampArray, exp.Repeat, exp.Pad)


def builds_sized_values(expression: exp.Expr) -> bool:
    """Whether ``expression`` has a construct :func:`check_sizes` bounds (else it need not run)."""
    return expression.find(*_SIZED) is not None


def check_sizes(expression: exp.Expr, bound: Mapping[str, Any]) -> None:
    """Raise WarehouseError when a construct of ``expression`` would build an over-limit value."""
    for node in expression.walk():
        try:
            if isinstance(node, exp.GenerateSeries):
                size = _series_size(node, bound)
                limit, what = MAX_ARRAY_ELEMENTS, "GENERATE_ARRAY would build"
            elif isinstance(node, exp.GenerateDateArray | exp.GenerateTimestampArray):
                size = _time_series_size(node, bound)
                limit, what = MAX_ARRAY_ELEMENTS, f"{node.sql_name()} would build"
            elif isinstance(node, exp.Repeat):
                size = _text_length(node.this, bound) * max(_number(node.args["times"], bound), 0)
                limit, what = MAX_STRING_CHARS, "REPEAT would build a string of"
            elif isinstance(node, exp.Pad):
                size = _number(node.expression, bound)
                limit, what = MAX_STRING_CHARS, "LPAD/RPAD would build a string of"
            else:
                continue
        except _Unknown:
            continue
        if size > limit:
            raise WarehouseError(
                f"{what} {size:,.0f} {'elements' if limit == MAX_ARRAY_ELEMENTS else 'characters'};"
                f" at most {limit:,} are allowed",
                details={"limit": limit, "size": int(min(size, 10**30))},
            )


def _series_size(node: exp.GenerateSeries, bound: Mapping[str, Any]) -> float:
    start, end = _number(node.args["start"], bound), _number(node.args["end"], bound)
    step = _number(node.args["step"], bound) if node.args.get("step") else 1
    if step == 0:
        raise _Unknown  # BigQuery refuses a zero step itself
    return max(0.0, (end - start) / step + 1)


def _time_series_size(node: exp.Expr, bound: Mapping[str, Any]) -> float:
    start, end = _moment(node.args["start"], bound), _moment(node.args["end"], bound)
    step = node.args.get("step")
    seconds = 86_400.0
    if isinstance(step, exp.Interval):
        unit = step.unit.name.upper() if step.unit else "DAY"
        seconds = _number(step.this, bound) * _UNIT_SECONDS.get(unit.rstrip("S"), 1)
    if seconds == 0:
        raise _Unknown
    return max(0.0, (end - start).total_seconds() / seconds + 1)


def _number(node: exp.Expr | None, bound: Mapping[str, Any]) -> float:
    if node is None:
        raise _Unknown
    if isinstance(node, exp.Paren):
        return _number(node.this, bound)
    if isinstance(node, exp.Literal):
        try:
            return float(node.this)
        except ValueError:
            raise _Unknown from None
    if isinstance(node, exp.Neg):
        return -_number(node.this, bound)
    if isinstance(node, exp.Cast):
        return _number(node.this, bound)
    if isinstance(node, exp.Parameter):
        value = bound.get(node.name)
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            return float(value)
        raise _Unknown
    if isinstance(node, exp.Add | exp.Sub | exp.Mul | exp.Div):
        left, right = _number(node.this, bound), _number(node.expression, bound)
        if isinstance(node, exp.Add):
            return left + right
        if isinstance(node, exp.Sub):
            return left - right
        if isinstance(node, exp.Mul):
            return left * right
        return left / right if right else float("inf")
    raise _Unknown


def _moment(node: exp.Expr | None, bound: Mapping[str, Any]) -> datetime:
    if isinstance(node, exp.Cast):
        node = node.this
    value: Any = None
    if isinstance(node, exp.Literal) and node.is_string:
        value = node.this
    elif isinstance(node, exp.Parameter):
        value = bound.get(node.name)
    try:
        if isinstance(value, datetime):
            return value.replace(tzinfo=None)
        if isinstance(value, date):
            return datetime(value.year, value.month, value.day)
        if isinstance(value, str):
            return datetime.fromisoformat(value).replace(tzinfo=None)
    except ValueError:
        pass
    raise _Unknown


def _text_length(node: exp.Expr | None, bound: Mapping[str, Any]) -> float:
    if isinstance(node, exp.Literal) and node.is_string:
        return len(node.this)
    if isinstance(node, exp.Parameter) and isinstance(bound.get(node.name), str):
        return len(bound[node.name])
    return 1  # unknown text: at least one character per repetition


__all__ = ["MAX_ARRAY_ELEMENTS", "MAX_STRING_CHARS", "check_sizes"]
