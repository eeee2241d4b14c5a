"""Follow-up edits of a saved dashboard: sort, top N, period, filters, chart type, views, theme, title.

Edits work on the YAML as saved (which a person may have changed), not on the planner's memory:
the text is loaded once into an :class:`~shared.adapters.model.offline.edit_doc.EditDoc` (a
round-trip document and its typed model); views are found by their type, time axis or title
words; conditions are added to and removed from each query's SQL through sqlglot; everything
the edit did not touch (comments, key order, hand-written layout) stays as it was.

Every outcome carries notes: what changed, or, when the request was understood but cannot apply
(a top N of a time axis, removing the only view), why nothing changed.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from shared.adapters.model.offline.catalog_match import Catalog
from shared.adapters.model.offline.conversation import Values
from shared.adapters.model.offline.edit_doc import EditDoc, dump, relayout
from shared.adapters.model.offline.edit_filters import (
    FILTER_ONLY,
    add_condition_filters,
    add_value_filter,
    edit_lookups,
    is_value_filter,
    remove_filter,
    wants_filter_removed,
)
from shared.adapters.model.offline.edit_scope import ALL_TIME, clear_period, order_edit, set_period
from shared.adapters.model.offline.edit_views import add_kpi, add_view, convert, remove_views
from shared.adapters.model.offline.intent import normalize, parse_period
from shared.adapters.model.offline.layout import arrange

__all__ = ["EditResult", "apply_edits", "asks_change", "edit_lookups", "prune_queries"]

CONVERT = re.compile(r"\b(make|turn|change|switch|convert|show|display|render|draw)\b\s+(.*)")
REMOVE = re.compile(r"\b(remove|delete|drop|hide|get rid of)\b\s+(.*)")
ADD_KPI = re.compile(
    r"\badd\b(?:\s+(?:a|an|another|one more|the))?\s+kpis?\b\s*(?:for|of|with|showing|on)?\s*(.*)"
)
ADD_VIEW = re.compile(
    r"\b(?:add|also show|include)\b\s+(?:a |an |another )?(?:chart |view |graph |breakdown )?(?:of |for |showing |with )?(.*)"
)
THEME = re.compile(
    r"\b(dark|accent|monotone|grey|gray)\b.*\b(theme|mode|colou?rs?)\b|\b(theme|mode)\b.*\b(dark|accent|monotone)\b"
)
RENAME = re.compile(
    r"\b(?:rename|retitle|call)\b(?:\s+it|\s+the dashboard)?(?:\s+to)?\s+(.+)$", re.IGNORECASE
)
CHART_WORDS = re.compile(r"\b(chart|graph|view|kpi|table|breakdown|plot)\b")
# where a compound follow-up splits: "and", commas, "then", before "as a … chart" and "for the last …"
PARTS = re.compile(
    r"\s*(?:,|;|\band then\b|\bthen\b|\band\b|\balso\b)\s*"
    r"|\s+(?=as an? (?:\w+ )?(?:chart|graph|plot|table|pie|kpi)\b)|\s+(?=(?:for|in|over) the (?:last|past)\b)",
    re.IGNORECASE,
)


def asks_change(message: str) -> bool:
    """Follow-up wordings beyond the intent parser's edit words: "all time", "ascending", "no filters"."""
    t = normalize(message)
    return bool(
        ALL_TIME.search(t)
        or wants_filter_removed(t)
        or re.search(r"\b(ascending|descending|alphabetically|high to low|low to high|clear|reset|undo)\b", t)
        or re.search(r"\b(?:top|bottom|first|largest|smallest) (?:\d+|one|two|three|four|five|ten)\b", t)
    )


@dataclass
class EditResult:
    """``changed``: a new version to save; ``understood`` without ``changed``: notes say why not."""

    doc: EditDoc
    changed: bool = False
    understood: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return dump(self.doc)


def prune_queries(dashboard: dict[str, Any], drop: set[str]) -> dict[str, Any]:
    """A drafted dashboard without the views of queries in ``drop``, and what only they used."""
    out = copy.deepcopy(dashboard)
    out["views"] = arrange([v for v in out["views"] if v.get("query") not in drop])
    used = {v.get("query") for v in out["views"]}
    out["queries"] = {n: q for n, q in out["queries"].items() if n in used}
    _prune_parameters(out)
    return out


def _prune_parameters(d: dict[str, Any]) -> None:
    sql = " ".join(q["sql"] for q in d["queries"].values())
    params = [
        p for p in d.get("parameters") or []
        if re.search(rf"@{p['name']}(_start|_end)?\b", sql)
    ]  # fmt: skip
    if params:
        d["parameters"] = params
    else:
        d.pop("parameters", None)


def _tidy(doc: EditDoc, views_changed: bool) -> None:
    """After an edit: views placed again (if some came or went); unused queries and parameters gone."""
    doc.refresh()
    if views_changed:
        relayout(doc)
    used = {getattr(v, "query", None) for v in doc.model.views}
    for name in [n for n in doc.model.queries if n not in used]:
        del doc.queries[name]
    sql = " ".join(q.sql for n, q in doc.model.queries.items() if n in used)
    params = doc.data.get("parameters")
    if params is not None:
        keep = [p for p in params if re.search(rf"@{p['name']}(_start|_end)?\b", sql)]
        if not keep:
            del doc.data["parameters"]
        elif len(keep) != len(params):
            params[:] = keep
    doc.refresh()


def apply_edits(
    message: str, doc: EditDoc, catalog: Catalog, values: Values, today: date | None = None
) -> EditResult:
    """The dashboard after the change ``message`` asks for; ``doc`` is changed in place, unless the
    message holds several changes ("only Germany and sort ascending", "top 3 for the last 30 days
    as a bar chart") that each read on their own: then they apply in turn to a copy (``result.doc``)."""
    parts = _parts(message)
    if len(parts) > 1:
        trial = EditDoc(copy.deepcopy(doc.data), doc.model, doc.indent)
        notes: list[str] = []
        outcomes = [_dispatch(p, trial, catalog, values, today, notes) for p in parts]
        if all(o is not None for o, _ in outcomes):
            result = EditResult(trial, changed=any(o for o, _ in outcomes), understood=True, notes=notes)
            if result.changed:
                _tidy(trial, any(v for _, v in outcomes))
            return result
    result = EditResult(doc)
    outcome, views_changed = _dispatch(message, doc, catalog, values, today, result.notes)
    result.understood = outcome is not None
    result.changed = bool(outcome)
    if result.changed:
        _tidy(doc, views_changed)
    return result


def _parts(message: str) -> list[str]:
    """The changes of a compound follow-up, each as it would be asked alone."""
    pieces = [p.strip() for p in PARTS.split(message.strip().rstrip(".!")) if p and p.strip()]
    parts = [f"make it {p[3:]}" if p.lower().startswith("as ") else p for p in pieces]
    # a chart type first: a top N or a sort then applies to the view it becomes
    return sorted(parts, key=lambda p: CONVERT.search(normalize(p)) is None)


def _dispatch(
    message: str, doc: EditDoc, catalog: Catalog, values: Values, today: date | None, notes: list[str]
) -> tuple[bool | None, bool]:
    """(True changed / False understood, not applied / None not understood, views added or removed)."""
    t = normalize(message)
    if (done := order_edit(t, doc, notes)) is not None:
        return done, False
    if wants_filter_removed(t):
        return remove_filter(doc, t, notes), False
    if ALL_TIME.search(t):
        return clear_period(doc, notes), False
    if (m := REMOVE.search(t)) and (done := remove_views(doc, m.group(2), notes)) is not None:
        return done, True
    if (m := ADD_KPI.search(t)) or re.search(r"\badd\b.*\bas an? kpi\b", t):
        phrase = m.group(1) if m else re.sub(r"\bas an? kpi\b", "", t.split("add", 1)[1])
        return add_kpi(doc, phrase, catalog, notes, today), True
    if (m := CONVERT.search(t)) and (done := convert(doc, m.group(2), notes)) is not None:
        return done, False
    if THEME.search(t):
        theme = next(w for w in ("dark", "accent", "monotone", "grey", "gray") if re.search(rf"\b{w}\b", t))
        doc.data["theme"] = theme = {"grey": "monotone", "gray": "monotone"}.get(theme, theme)
        notes.append(f"theme set to {theme}")
        return True, False
    if (m := RENAME.search(message.strip())) and re.search(r"\b(rename|retitle|call it|call the)\b", t):
        doc.data["title"] = title = m.group(1).strip(" \"'“”.")[:120] or doc.model.title
        notes.append(f"renamed to “{title}”")
        return True, False
    if (period := parse_period(message, today)) is not None:
        return set_period(doc, period, catalog, notes), False
    if FILTER_ONLY.search(t) and (done := add_condition_filters(doc, message, catalog, notes)) is not None:
        return done, False  # "only users older than 40"
    if is_value_filter(message) and not CHART_WORDS.search(t):
        return add_value_filter(doc, message, catalog, values, notes), False
    if (m := ADD_VIEW.search(t)) and m.group(1).strip():
        return add_view(doc, m.group(1), catalog, notes, today), True
    return None, False
