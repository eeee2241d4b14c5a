"""The example YAML files: valid ones pass, invalid ones report the expected path, line and message."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from shared.dashboards.model.vocabulary import FORMATS, PARAMETER_TYPES, VIEW_TYPES
from shared.dashboards.validate import validate_dashboard

from .helpers import demo_tables, invalid_examples, valid_examples

EXPECT = re.compile(r"^# expect: (\S+) (\d+) (.+)$")


def test_corpus_sizes() -> None:
    assert len(valid_examples()) >= 8
    assert len(invalid_examples()) >= 10


@pytest.mark.parametrize("path", valid_examples(), ids=lambda p: p.stem)
def test_valid_example_passes(path: Path) -> None:
    text = path.read_text()
    assert text.startswith("# yaml-language-server: $schema=../../dashboard.schema.json\n")
    report = validate_dashboard(text, allowed_tables=demo_tables())
    assert report.errors == []
    assert report.ok and report.dashboard is not None
    assert report.dashboard["theme"] in ("monotone", "accent", "dark")
    assert report.tables and all(t.startswith("demo.thelook_ecommerce.") for t in report.tables)


def test_valid_examples_cover_every_view_parameter_and_format() -> None:
    views, parameters, formats = set(), set(), set()
    for path in valid_examples():
        dashboard = validate_dashboard(path.read_text()).dashboard
        assert dashboard is not None
        for view in dashboard["views"]:
            views.add(view["type"])
            encodings = [view.get(k) for k in ("x", "y", "color", "size", "theta", "value")]
            encodings += view.get("columns", [])
            formats.update(e["format"] for e in encodings if e and "format" in e)
        parameters.update(p["type"] for p in dashboard["parameters"])
    assert views == set(VIEW_TYPES)
    assert parameters == set(PARAMETER_TYPES)
    assert formats == set(FORMATS)


@pytest.mark.parametrize("path", invalid_examples(), ids=lambda p: p.stem)
def test_invalid_example_reports_expected_error(path: Path) -> None:
    text = path.read_text()
    match = EXPECT.match(text.splitlines()[0])
    assert match, f"{path.name} must start with '# expect: <path> <line> <message>'"
    want_path = "" if match.group(1) == "-" else match.group(1)
    want_line, want_message = int(match.group(2)), match.group(3)
    report = validate_dashboard(text, allowed_tables=demo_tables())
    assert not report.ok and report.dashboard is None
    hits = [
        e
        for e in report.errors
        if e["path"] == want_path and e["line"] == want_line and want_message in e["message"]
    ]
    assert hits, f"expected {want_path} line {want_line} '{want_message}', got {report.errors}"
