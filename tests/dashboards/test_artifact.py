"""The compiled artifact: what serving reads instead of the YAML gives the same model and compile."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.dashboards.artifact import FORMAT, build, compiler_id, decode
from shared.dashboards.compile import compile_dashboard
from shared.dashboards.validate import validate_dashboard

from .helpers import valid_examples


def _loaded(path: Path):
    report = validate_dashboard(path.read_text(), default_project="demo")
    assert report.model is not None, report.errors
    return report


@pytest.mark.parametrize("path", valid_examples(), ids=lambda p: p.stem)
def test_an_artifact_round_trips_to_the_same_model_and_compile(path: Path) -> None:
    report = _loaded(path)
    model = report.model
    assert model is not None
    tables = {name: guarded.tables for name, guarded in report.queries.items()}
    artifact = decode(build(model, tables, 7).to_bytes(), 7)
    assert artifact is not None and artifact.format == FORMAT
    again = artifact.model()
    assert again == model
    assert again.model_fields_set == model.model_fields_set  # e.g. whether the YAML set refresh or theme
    assert again.refresh_written == model.refresh_written
    assert artifact.compiled() == compile_dashboard(model)
    by_sql = artifact.tables_by_sql()
    for view in artifact.compiled().views:
        if view.sql is not None:
            assert view.query_name is not None
            assert by_sql[view.sql] == tables[view.query_name]


def test_an_artifact_of_another_generation_compiler_or_shape_is_not_used() -> None:
    report = _loaded(valid_examples()[0])
    assert report.model is not None
    tables = {name: guarded.tables for name, guarded in report.queries.items()}
    artifact = build(report.model, tables, 3)
    assert decode(artifact.to_bytes(), 3) == artifact
    assert decode(artifact.to_bytes(), 4) is None  # compiled from another YAML generation
    other = artifact.model_copy(update={"compiler": "0" * 20}).to_bytes()
    assert compiler_id() != "0" * 20 and decode(other, 3) is None  # written by other compiler code
    assert decode(b"{not json", 3) is None
    assert decode(artifact.to_bytes().replace(FORMAT.encode(), b"bridge.compiled-dashboard/v0"), 3) is None
