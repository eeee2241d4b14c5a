"""The part of a team's knowledge file that matters for one question (never the whole file).

Metrics and dimensions are kept when a word of their name, synonyms or description is in the
question (and a kept metric brings the metrics its SQL names); instructions and join paths are
short and always kept; verified answers are ranked by similarity to the question (rapidfuzz
``token_set_ratio``) and the best few kept. :func:`prompt_text` renders the slice as the
``team_knowledge`` system block prompt-based providers read.
"""

from __future__ import annotations

import re

from rapidfuzz import fuzz

from shared.knowledge.fragments import FragmentError, expand_metric
from shared.knowledge.model import Knowledge

MAX_ANSWERS = 3
ANSWER_MIN_SIMILARITY = 50.0
MAX_METRICS = 20
MAX_DIMENSIONS = 20
_STOP = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "by",
        "per",
        "for",
        "in",
        "on",
        "and",
        "or",
        "to",
        "with",
        "what",
        "which",
        "how",
        "is",
        "are",
        "me",
        "my",
        "show",
    ]
)


def _words(text: str) -> set[str]:
    out = set()
    for w in re.findall(r"[a-z0-9]+", text.lower()):
        if w not in _STOP:
            out.add(w)
            out.add(w[:-1] if w.endswith("s") and len(w) > 3 else w)
    return out


def relevant(knowledge: Knowledge, question: str) -> Knowledge:
    """A knowledge file holding what ``question`` may use."""
    asked = _words(question)

    def named(*texts: str | None) -> bool:
        return any(asked & _words(t) for t in texts if t)

    metrics = [m for m in knowledge.metrics if named(m.name.replace("_", " "), *m.synonyms)][:MAX_METRICS]
    keep = {m.name for m in metrics}
    for m in list(metrics):
        try:
            keep.update(expand_metric(knowledge, m.name).uses)
        except FragmentError:
            continue
    metrics = [m for m in knowledge.metrics if m.name in keep]
    dimensions = [
        d
        for d in knowledge.dimensions
        if named(d.name, d.column.split(".", 1)[1].replace("_", " "), *d.synonyms)
    ][:MAX_DIMENSIONS]
    scored = sorted(
        (
            (fuzz.token_set_ratio(question.lower(), a.question.lower()), i)
            for i, a in enumerate(knowledge.verified_answers)
        ),
        key=lambda x: (-x[0], x[1]),
    )
    answers = [knowledge.verified_answers[i] for score, i in scored if score >= ANSWER_MIN_SIMILARITY][
        :MAX_ANSWERS
    ]
    return knowledge.model_copy(
        update={"metrics": metrics, "dimensions": dimensions, "verified_answers": answers}
    )


def is_empty(knowledge: Knowledge) -> bool:
    return not (
        knowledge.metrics
        or knowledge.dimensions
        or knowledge.joins
        or knowledge.instructions
        or knowledge.verified_answers
    )


def prompt_text(knowledge: Knowledge, answers_sql: dict[str, str] | None = None) -> str:
    """The slice as prompt text: definitions to use before raw columns, then worked examples."""
    lines = [
        "Team knowledge: your team's own definitions. Use them before raw columns, write their SQL as given",
        "(columns are table.column with the table's short name: put the table's full name and your alias in),",
        "apply each metric's filter, and say in the reply which definitions you used",
        "(e.g. “revenue = completed sales, as defined by your team”).",
    ]
    if knowledge.metrics:
        lines.append("Metrics:")
        for m in knowledge.metrics:
            also = f" (also: {', '.join(m.synonyms)})" if m.synonyms else ""
            where = f" WHERE {m.filter}" if m.filter else ""
            about = f" — {m.description}" if m.description else ""
            lines.append(f"- {m.name}{also} = {m.sql}{where} [format: {m.format}]{about}")
    if knowledge.dimensions:
        lines.append("Dimensions:")
        for d in knowledge.dimensions:
            names = [n for n in (d.name, *d.synonyms) if n]
            lines.append(
                f"- {d.column}: {', '.join(names)}" + (f" — {d.description}" if d.description else "")
            )
    if knowledge.joins:
        lines.append("Join paths: " + "; ".join(f"{j.from_} = {j.to}" for j in knowledge.joins))
    if knowledge.instructions:
        lines.append("Instructions:")
        lines.extend(f"  {line}" for line in knowledge.instructions.strip().splitlines())
    if knowledge.verified_answers:
        lines.append("Verified answers (examples your team accepted; follow them for similar questions):")
        for a in knowledge.verified_answers:
            lines.append(f"- Q: {a.question}")
            sql = a.sql or (answers_sql or {}).get(a.dashboard or "")
            if a.dashboard:
                lines.append(f"  dashboard: {a.dashboard}")
            if sql:
                lines.append("  SQL: " + " ".join(sql.split()))
    return "\n".join(lines)
