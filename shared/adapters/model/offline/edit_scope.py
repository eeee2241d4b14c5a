"""Follow-up edits of scope: "sort by revenue descending", "only the top 5", "bottom 3"; the period in use."""

from __future__ import annotations

import re
from typing import Any

from shared.adapters.model.offline.intent import NUMBERS, Period, singular
from shared.adapters.model.offline.sql_build import PERIOD_PARAM

SORT_EDIT = re.compile(
    r"\b(?:sort|order|rank|arrange)(?:ed)?\b(?:\s+(?:it|them|the bars|the chart|bars))?(?:\s+by\s+(?P<by>[a-z0-9_ ]+?))?"
    r"\s*(?:in\s+)?(?P<dir>asc|ascending|desc|descending|high to low|low to high|highest first|lowest first|"
    r"alphabetically|a to z|z to a)?(?:\s+order)?\s*$"
)
TOP_EDIT = re.compile(r"\b(?P<end>top|bottom|first|best|worst)\s+(?P<n>\d{1,4}|" + "|".join(NUMBERS) + r")\b")
CATEGORY_VIEWS = ("bar", "pie", "table")


def order_edit(t: str, d: dict[str, Any], notes: list[str]) -> bool:
    """Apply a sort or top-N change to the dashboard's category views; False when ``t`` asks neither."""
    views = [v for v in d.get("views") or [] if v.get("type") in CATEGORY_VIEWS]
    if (m := TOP_EDIT.search(t)) and views:
        n = int(m.group("n")) if m.group("n").isdigit() else NUMBERS[m.group("n")]
        bottom = m.group("end") in ("bottom", "worst")
        for v in views:
            v["top_n"] = n
            measure = _measure_field(v)
            if measure:
                v["sort"] = {"field": measure, "order": "asc" if bottom else "desc"}
        notes.append(f"kept only the {'bottom' if bottom else 'top'} {n}")
        return True
    m = SORT_EDIT.search(t)
    if not m or not (m.group("by") or m.group("dir")) or not views:
        return False
    direction = m.group("dir") or "desc"
    order = "asc" if re.search(r"asc|low to high|lowest|alphabetically|a to z", direction) else "desc"
    changed = []
    for v in views:
        field = _field_for(
            v, m.group("by") or "", alphabetical=bool(re.search(r"alphabet|a to z|z to a", direction))
        )
        if field is None:
            continue
        v["sort"] = {"field": field, "order": order}
        changed.append(v.get("title") or v["id"])
    if changed:
        notes.append(
            f"sorted by {m.group('by') or 'value'} {'ascending' if order == 'asc' else 'descending'}"
        )
    else:
        notes.append(f"no view shows “{m.group('by')}”, so the order was left as it was")
    return True


def _encodings(v: dict[str, Any]) -> list[dict[str, Any]]:
    found = [v[k] for k in ("x", "y", "theta", "color") if isinstance(v.get(k), dict)]
    return found + [c for c in v.get("columns") or [] if isinstance(c, dict)]


def _measure_field(v: dict[str, Any]) -> str | None:
    for key in ("y", "theta"):
        if isinstance(v.get(key), dict):
            return str(v[key]["field"])
    numeric = [
        c for c in v.get("columns") or [] if c.get("format") in ("currency", "number", "integer", "percent")
    ]
    return str(numeric[0]["field"]) if numeric else None


def _field_for(v: dict[str, Any], phrase: str, *, alphabetical: bool) -> str | None:
    words = {singular(w) for w in phrase.split() if w not in ("the", "a", "value", "values")}
    if alphabetical:
        label = v.get("x") if v.get("type") == "bar" else v.get("color")
        if isinstance(label, dict):
            return str(label["field"])
    if not words:
        return _measure_field(v)
    for enc in _encodings(v):
        names = {
            singular(w)
            for w in re.split(r"[^a-z0-9]+", f"{enc['field']} {enc.get('title', '')}".lower())
            if w
        }
        if words <= names:
            return str(enc["field"])
    return None


def existing_period(d: dict[str, Any]) -> Period | None:
    for p in d.get("parameters") or []:
        if p.get("name") == PERIOD_PARAM and p.get("type") == "date_range":
            return Period(
                p["default"]["start"],
                p["default"]["end"],
                f"{p['default']['start']} to {p['default']['end']}",
            )
    return None


def retitle(d: dict[str, Any], label: str) -> None:
    """The title names the period as the ``{{ period }}`` template, so it follows the parameter."""
    title = str(d.get("title") or "Dashboard")
    template = f"{{{{ {PERIOD_PARAM} }}}}"
    if template in title:
        return
    title = re.sub(r"\s*\([^)]*\)\s*$", "", title)
    suffix = f" ({template})"
    d["title"] = title[: 120 - len(suffix)] + suffix
