"""Property test: random and mutated documents always yield a report, never an exception."""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.dashboards.compile import compile_dashboard
from shared.dashboards.validate import ValidationReport, validate_dashboard

from .helpers import demo_tables, valid_examples

EXAMPLES = [path.read_text() for path in valid_examples()]
PARSED = [yaml.safe_load(text) for text in EXAMPLES]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["@x", "SELECT 1", "DROP TABLE a.b.c", "today-99999y", "2024-13-45", "kpi", "pie"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


def _mutate(data: Any, draw: Any) -> Any:
    """Walk to a random node and delete it, replace it with another type, or add a stray key."""
    if isinstance(data, dict) and data:
        key = draw(st.sampled_from(sorted(data, key=str)))
        action = draw(st.sampled_from(["descend", "delete", "replace", "add"]))
        if action == "descend":
            data[key] = _mutate(data[key], draw)
        elif action == "delete":
            del data[key]
        elif action == "replace":
            data[key] = draw(values)
        else:
            data[draw(st.text(min_size=1, max_size=8))] = draw(values)
        return data
    if isinstance(data, list) and data:
        index = draw(st.integers(min_value=0, max_value=len(data) - 1))
        action = draw(st.sampled_from(["descend", "delete", "replace", "duplicate"]))
        if action == "descend":
            data[index] = _mutate(data[index], draw)
        elif action == "delete":
            del data[index]
        elif action == "replace":
            data[index] = draw(values)
        else:
            data.append(data[index])
        return data
    return draw(values)


@st.composite
def documents(draw: Any) -> str:
    kind = draw(st.sampled_from(["structure", "structure", "truncate", "insert", "unicode", "lines"]))
    index = draw(st.integers(min_value=0, max_value=len(EXAMPLES) - 1))
    text = EXAMPLES[index]
    if kind == "structure":
        data = yaml.safe_load(text)
        for _ in range(draw(st.integers(min_value=1, max_value=4))):
            data = _mutate(data, draw)
        return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    if kind == "truncate":
        return text[: draw(st.integers(min_value=0, max_value=len(text)))]
    if kind == "insert":
        at = draw(st.integers(min_value=0, max_value=len(text)))
        garbage = draw(
            st.sampled_from([":", "- ", "{", "]", "\t", "&a ", "*a", "!!str ", "'", "\n  x: 1\n", "@"])
        )
        return text[:at] + garbage + text[at:]
    if kind == "unicode":
        return draw(st.text(max_size=200))
    lines = text.splitlines(keepends=True)
    chosen = draw(st.lists(st.integers(min_value=0, max_value=len(lines) - 1), max_size=4))
    return "".join(line for i, line in enumerate(lines) if i not in chosen)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_validation_never_raises(text: str) -> None:
    report = validate_dashboard(text, allowed_tables=demo_tables())
    assert isinstance(report, ValidationReport)
    assert report.ok == (not report.errors) == (report.dashboard is not None)
    for error in report.errors:
        assert set(error) == {"path", "line", "column", "message"}
        assert isinstance(error["path"], str) and isinstance(error["message"], str) and error["message"]
        assert isinstance(error["line"], int) and error["line"] >= 1
        assert isinstance(error["column"], int) and error["column"] >= 1
    if report.dashboard is not None:
        compiled = compile_dashboard(report.dashboard)
        assert len(compiled.views) == len(report.dashboard["views"])
