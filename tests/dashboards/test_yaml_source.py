"""Strict YAML loading with locations."""

from __future__ import annotations

from shared.dashboards.yaml_source import MAX_DEPTH, Location, format_path, load_source


def test_every_path_has_a_location() -> None:
    source = load_source("title: Hi\nviews:\n  - id: a\n    layout: {x: 1}\n")
    assert source.errors == []
    assert source.data == {"title": "Hi", "views": [{"id": "a", "layout": {"x": 1}}]}
    assert source.locate(("title",)) == Location(1, 8)
    assert source.locate(("views",)) == Location(2, 1)  # a block list: the line of its key
    assert source.locate(("views", 0, "layout", "x")) == Location(4, 17)
    assert source.locate(("views", 0, "layout", "x"), key=True) == Location(4, 14)
    assert source.locate(("views", 0, "missing", "deeper")) == Location(3, 5)


def test_dates_stay_text_and_scalars_are_typed() -> None:
    source = load_source("d: 2024-01-01\nn: null\nf: 1.5\ni: 7\nb: true\ns: '12'\n")
    assert source.data == {"d": "2024-01-01", "n": None, "f": 1.5, "i": 7, "b": True, "s": "12"}


def test_duplicate_keys_are_reported_with_both_lines() -> None:
    source = load_source("a: 1\nb: 2\na: 3\n")
    assert source.errors == [
        {"path": "a", "line": 3, "column": 1, "message": "duplicate key 'a' (first defined on line 1)"}
    ]


def test_unsafe_yaml_features_are_refused() -> None:
    assert "custom tag" in load_source("a: !!python/name:os.system x\n").errors[0]["message"]
    assert "custom tag" in load_source("a: !include other.yaml\n").errors[0]["message"]
    assert "merge keys" in load_source("<<: {a: 1}\n").errors[0]["message"]
    assert "anchors" in load_source("a: &x [1]\nb: *x\n").errors[0]["message"]
    assert "custom tag" in load_source("a: !!set {x}\n").errors[0]["message"]


def test_syntax_error_has_exact_position() -> None:
    (error,) = load_source("a: 1\nb: 'open\n").errors
    assert (error["line"], error["column"]) == (3, 1)
    assert error["message"].startswith("YAML syntax error")
    (error,) = load_source("a: 1\nb:\tc\n\x07").errors
    assert (error["line"], error["column"]) == (3, 1)
    assert "U+0007" in error["message"]


def test_depth_and_size_limits() -> None:
    deep = "a: " + "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5) + "\n"
    assert any("nesting" in e["message"] for e in load_source(deep).errors)
    very_deep = "[" * 20_000
    assert load_source(very_deep).errors
    assert "larger than" in load_source("a: " + "x" * 300_000).errors[0]["message"]


def test_format_path() -> None:
    assert format_path(()) == ""
    assert format_path(("views", 2, "layout", "x")) == "views[2].layout.x"
    assert format_path(("queries", "monthly", "sql")) == "queries.monthly.sql"
