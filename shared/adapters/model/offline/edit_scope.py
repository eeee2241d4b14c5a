"""Follow-up edits of scope: sort, top/bottom N and the period, read off the typed model.

"sort by revenue descending", "sort ascending", "alphabetically", "only the top 5", "bottom 3",
"last 90 days", "all time". A request that cannot apply (a top N of a time axis, a sort by a
field no view shows) is answered with a note saying why, and nothing is saved.
"""

from __future__ import annotations

import re
from typing import Any

from shared.adapters.model.offline.edit_doc import EditDoc
from shared.adapters.model.offline.edit_sql import add_condition, base_table, remove_conditions
from shared.adapters.model.offline.intent import NUMBERS, Period, singular
from shared.adapters.model.offline.sql_build import PERIOD_PARAM
from shared.dashboards.model import (
    AreaView,
    BarView,
    DateRangeParameter,
    FieldEncoding,
    LineView,
    PieView,
    TableView,
    View,
)

SORT_EDIT = re.compile(
    r"\b(?:sort|order|rank|arrange)(?:ed)?\b(?:\s+(?:it|them|the bars|the chart|bars|the table|rows))?"
    r"(?:\s+by\s+(?P<by>[a-z0-9_ ]+?))?"
    r"\s*(?:in\s+)?(?P<dir>asc|ascending|desc|descending|high to low|low to high|highest first|lowest first|"
    r"largest first|smallest first|alphabetically|a to z|z to a)?(?:\s+order)?\s*$"
)
TOP_EDIT = re.compile(
    r"\b(?P<end>top|bottom|first|best|worst|largest|smallest)\s+(?P<n>\d{1,4}|" + "|".join(NUMBERS) + r")\b"
)
ALL_TIME = re.compile(
    r"\b(all time|whole period|every date|all dates|(remove|drop|clear|delete) (the )?(period|date range|date filter|time filter))\b"
)
MEASURE_WORDS = {"count", "number", "value", "values", "amount", "total", "size", "measure", "it"}
NUMERIC_FORMATS = ("currency", "number", "integer", "percent")
ORDERED = (BarView, PieView, TableView, LineView, AreaView)


def _time_axis(v: View) -> bool:
    x = getattr(v, "x", None)
    if isinstance(x, FieldEncoding) and (x.type == "temporal" or x.time_grain is not None):
        return True
    return isinstance(v, TableView) and bool(v.columns) and v.columns[0].format == "date"


def _title(v: View) -> str:
    return v.title or v.id


def _orderable(doc: EditDoc) -> tuple[list[View], list[View]]:
    """(views whose rows can be sorted and cut to a top N, time views that keep their time order)."""
    views = [v for v in doc.model.views if isinstance(v, ORDERED)]
    return [v for v in views if not _time_axis(v)], [v for v in views if _time_axis(v)]


def order_edit(t: str, doc: EditDoc, notes: list[str]) -> bool | None:
    """A sort or top-N change: True changed, False understood but not applicable (notes say why),
    None when ``t`` asks for neither."""
    views, timed = _orderable(doc)
    if m := TOP_EDIT.search(t):
        n = int(m.group("n")) if m.group("n").isdigit() else NUMBERS[m.group("n")]
        bottom = m.group("end") in ("bottom", "worst", "smallest")
        if not views:
            what = _listing([f"“{_title(v)}”" for v in timed]) or "this dashboard"
            notes.append(
                f"{what} shows a time axis, which has no top {n}; ask for a breakdown "
                "(e.g. “add a chart of revenue by category”) to rank categories"
            )
            return False
        for v in views:
            view = doc.views[doc.view_index(v)]
            view["top_n"] = n
            measure = _measure_field(v)
            if measure and not isinstance(v, PieView):
                view["sort"] = {"field": measure, "order": "asc" if bottom else "desc"}
        notes.append(f"kept only the {'bottom' if bottom else 'top'} {n}")
        return True
    m = SORT_EDIT.search(t)
    if not m or not (m.group("by") or m.group("dir")):
        return None
    direction = m.group("dir") or "desc"
    order = (
        "asc" if re.search(r"asc|low to high|lowest|smallest|alphabetically|a to z", direction) else "desc"
    )
    alphabetical = bool(re.search(r"alphabet|a to z|z to a", direction))
    by = (m.group("by") or "").strip()
    changed = []
    for v in views:
        if isinstance(v, PieView):
            continue  # slices follow their size
        field = _field_for(v, by, alphabetical=alphabetical)
        if field is None:
            continue
        doc.views[doc.view_index(v)]["sort"] = {"field": field, "order": order}
        changed.append(_title(v))
    if changed:
        what = by or ("name" if alphabetical else "value")
        notes.append(f"sorted by {what} {'ascending' if order == 'asc' else 'descending'}")
        return True
    if timed and not views:
        notes.append(
            f"{_listing([f'“{_title(v)}”' for v in timed])} keeps its time axis in time order, "
            "so the order was left as it was"
        )
    elif views and all(isinstance(v, PieView) for v in views):
        notes.append(f"{_listing([f'“{_title(v)}”' for v in views])} is a pie, whose slices follow their size, "
                     "so the order was left as it was")  # fmt: skip
    else:
        notes.append(f"no view shows “{by or 'that'}”, so the order was left as it was")
    return False


def _listing(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1] if items else ""


def _encodings(v: View) -> list[FieldEncoding]:
    found = [e for k in ("x", "y", "theta", "color") if isinstance(e := getattr(v, k, None), FieldEncoding)]
    return found + (list(v.columns) if isinstance(v, TableView) else [])


def _measure_field(v: View) -> str | None:
    for key in ("y", "theta"):
        enc = getattr(v, key, None)
        if isinstance(enc, FieldEncoding):
            return enc.field
    if isinstance(v, TableView):
        numeric = [c for c in v.columns if c.format in NUMERIC_FORMATS]
        return numeric[0].field if numeric else None
    return None


def _label_field(v: View) -> str | None:
    if isinstance(v, PieView):
        return v.color.field
    if isinstance(v, TableView):
        return next((c.field for c in v.columns if c.format not in NUMERIC_FORMATS), None)
    x = getattr(v, "x", None)
    return x.field if isinstance(x, FieldEncoding) else None


def _field_for(v: View, phrase: str, *, alphabetical: bool) -> str | None:
    words = {singular(w) for w in phrase.split() if w not in ("the", "a", "an", "its", "their")}
    if alphabetical:
        return _label_field(v)
    if not words or words <= MEASURE_WORDS:
        return _measure_field(v)
    for enc in _encodings(v):
        names = {singular(w) for w in re.split(r"[^a-z0-9]+", f"{enc.field} {enc.title or ''}".lower()) if w}
        if words <= names:
            return enc.field
    return None


# -- the period ------------------------------------------------------------------------------


def existing_period(doc: EditDoc) -> Period | None:
    for p in doc.model.parameters:
        if isinstance(p, DateRangeParameter) and p.name == PERIOD_PARAM:
            return Period(p.default.start, p.default.end, f"{p.default.start} to {p.default.end}")
    return None


def set_period(doc: EditDoc, period: Period, catalog: Any, notes: list[str]) -> bool:
    """Set the period parameter's default, or add the parameter and a condition to every query."""
    default = {"start": period.start, "end": period.end}
    for i, p in enumerate(doc.model.parameters):
        if isinstance(p, DateRangeParameter) and p.name == PERIOD_PARAM:
            doc.data["parameters"][i]["default"] = default
            notes.append(f"period set to {period.label}")
            retitle(doc, period.label)
            return True
    known = {n.lower(): n for n in catalog.tables}
    changed, skipped = False, []
    for name, q in doc.model.queries.items():
        schema = catalog.tables.get(known.get(base_table(q.sql) or "", ""))
        if schema is None or schema.time_column is None:
            skipped.append(name)
            continue
        new = add_condition(
            q.sql, catalog, schema.name,
            f"DATE({{a}}.{schema.time_column}) BETWEEN @{PERIOD_PARAM}_start AND @{PERIOD_PARAM}_end",
        )  # fmt: skip
        if new:
            doc.queries[name]["sql"], changed = new, True
        else:
            skipped.append(name)
    if changed:
        doc.data.setdefault("parameters", []).append(
            {"name": PERIOD_PARAM, "type": "date_range", "label": "Period", "default": default}
        )
        notes.append(
            f"every query now covers {period.label}" if not skipped else f"the period is {period.label}"
        )
        if skipped:
            notes.append(
                "the period does not apply to "
                + _listing([f"“{s}”" for s in skipped])
                + " (its table has no date column)"
            )
        retitle(doc, period.label)
    else:
        notes.append(f"no table of this dashboard has a date column, so “{period.label}” was not applied")
    return changed


def clear_period(doc: EditDoc, notes: list[str]) -> bool:
    """Remove the period parameter and the conditions that bind it (every date again)."""
    if existing_period(doc) is None:
        notes.append("the dashboard has no period to remove; it already covers every date")
        return False
    names = {f"{PERIOD_PARAM}_start", f"{PERIOD_PARAM}_end"}
    for name, q in doc.model.queries.items():
        new = remove_conditions(q.sql, names)
        if new:
            doc.queries[name]["sql"] = new
    doc.data["parameters"] = [p for p in doc.data.get("parameters") or [] if p.get("name") != PERIOD_PARAM]
    if not doc.data["parameters"]:
        del doc.data["parameters"]
    title = doc.model.title.replace(f" ({PERIOD_TEMPLATE})", "").replace(PERIOD_TEMPLATE, "").strip()
    doc.data["title"] = re.sub(r"\s*\([^)]*\)\s*$", "", title) or title or "Dashboard"
    notes.append("the period filter is gone, so every date counts")
    return True


PERIOD_TEMPLATE = f"{{{{ {PERIOD_PARAM} }}}}"


def retitle(doc: EditDoc, label: str) -> None:
    """The title names the period as the ``{{ period }}`` template, so it follows the parameter."""
    title = doc.model.title or "Dashboard"
    if PERIOD_TEMPLATE in title:
        return
    title = re.sub(r"\s*\([^)]*\)\s*$", "", title)
    suffix = f" ({PERIOD_TEMPLATE})"
    doc.data["title"] = title[: 120 - len(suffix)] + suffix
