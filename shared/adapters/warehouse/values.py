"""Warehouse values as the port returns them: JSON-ready at every depth.

A row's top-level cells keep ``date``/``datetime``/``time``/``Decimal`` (callers format them);
everything else becomes what JSON can carry, recursively: arrays, structs and maps of any type
(their dates, decimals, bytes, intervals inside), intervals as ISO 8601 durations, UUIDs as text,
bytes as hex, non-finite floats as null, and any type not known here as its text.

With ``QueryOptions.json_cells`` a top-level cell is :func:`json_cell` instead: the JSON value
the data API sends (dates and times as ISO text, decimals as floats, floats to 12 significant
digits), so serving converts nothing again.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from decimal import Decimal
from typing import Any

_KEPT = (str, int, bool, type(None))
_TOP_LEVEL = (dt.date, dt.time, Decimal)  # datetime is a date


def cell(value: Any) -> Any:
    """One top-level cell of a row."""
    if isinstance(value, _TOP_LEVEL) and not (isinstance(value, Decimal) and not value.is_finite()):
        return value
    return json_ready(value)


def json_cell(value: Any) -> Any:
    """One top-level cell as the data API sends it: dates and times as ISO text, decimals as
    floats, floats to 12 significant digits, non-finite numbers as null, the rest :func:`json_ready`."""
    if isinstance(value, float):
        return float(f"{value:.12g}") if math.isfinite(value) else None  # drop binary float noise
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return json_ready(value)


def json_ready(value: Any) -> Any:
    """``value`` with every nested part a JSON type (str, int, float, bool, None, list, dict)."""
    if isinstance(value, _KEPT):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Decimal):
        return float(value) if value.is_finite() else None
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return interval_text(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, dict):
        return {str(json_ready(k)): json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_ready(v) for v in value]
    return str(value)


def interval_text(value: dt.timedelta) -> str:
    """An ISO 8601 duration (``P1DT2H3M4.5S``, ``-PT30S``)."""
    sign = "-" if value < dt.timedelta(0) else ""
    value = abs(value)
    hours, rest = divmod(value.seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    fraction = f"{seconds + value.microseconds / 1e6:g}"
    days = f"{value.days}D" if value.days else ""
    clock = "".join(f"{n}{unit}" for n, unit in ((hours, "H"), (minutes, "M")) if n)
    if seconds or value.microseconds or not (days or clock):
        clock += f"{fraction}S"
    return f"{sign}P{days}T{clock}" if clock else f"{sign}P{days}"
