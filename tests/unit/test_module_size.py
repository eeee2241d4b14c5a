"""Small modules: no source file of the library or the functions over 500 lines."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LIMIT = 500


def test_no_source_file_over_the_limit() -> None:
    sources = [*REPO.joinpath("shared").rglob("*.py"), *REPO.joinpath("functions").rglob("*.py")]
    assert len(sources) > 100
    long = {
        str(path.relative_to(REPO)): n
        for path in sources
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > LIMIT
    }
    assert long == {}, f"split these modules along their seams: {long}"
