"""The validated-dashboard value: what the loader produced, and the same value with a theme line added.

A save of a dashboard without ``theme`` writes ``theme: monotone`` after its ``version`` line; the
value passed to the save service then must be exactly what loading the new text would give.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from shared.dashboards.validate import validate_dashboard
from shared.dashboards.validated import ValidatedDashboard, validated

from .helpers import demo_tables, valid_examples


def _without_theme(text: str) -> str:
    return re.sub(r"(?m)^theme:.*\n", "", text)


def _loaded(text: str) -> ValidatedDashboard:
    value = validated(validate_dashboard(text, allowed_tables=demo_tables()), "key")
    assert value is not None
    return value


@pytest.mark.parametrize("path", valid_examples(), ids=lambda p: p.stem)
def test_theme_line_moves_positions_as_a_parse_of_the_new_text(path: Path) -> None:
    plain = _without_theme(path.read_text())
    value = _loaded(plain)
    assert "theme" not in value.model.model_fields_set
    moved = value.with_theme_line("dark")
    assert moved is not None
    parsed = _loaded(moved.text)
    assert moved.text.count("\n") == plain.count("\n") + 1 and "\ntheme: dark\n" in moved.text
    assert moved.model == parsed.model and moved.model.theme == "dark"
    assert moved.model.model_fields_set == parsed.model.model_fields_set
    assert moved.source.data == parsed.source.data
    assert list(moved.source.data) == list(parsed.source.data)
    assert moved.source.values == parsed.source.values
    assert moved.source.keys == parsed.source.keys
    assert moved.source.block_scalars == parsed.source.block_scalars
    assert moved.queries.keys() == parsed.queries.keys() and moved.tables == parsed.tables
    assert moved.checked_with == "key"
    # errors found later (e.g. by dry runs) are located in the saved text
    columns = {name: ["nothing_here"] for name in parsed.model.queries}
    assert moved.column_errors(columns) == parsed.column_errors(columns) != []


def test_no_theme_line_when_the_version_is_not_a_plain_first_column_key() -> None:
    text = valid_examples()[0].read_text()
    themed = _loaded(text)
    assert "theme" in themed.model.model_fields_set and themed.with_theme_line("dark") is None
    plain = _without_theme(text)
    on_next_line = re.sub(r"(?m)^version: 1$", "version:\n  1", plain)
    assert on_next_line != plain
    assert _loaded(on_next_line).with_theme_line("dark") is None


def test_an_invalid_report_has_no_value() -> None:
    report = validate_dashboard("version: 1\ntitle: x\nviews: []\ncolour: red\n")
    assert report.errors and validated(report) is None
