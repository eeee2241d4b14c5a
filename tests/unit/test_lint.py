"""ruff and mypy stay clean (the same checks as ``make lint``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


@pytest.mark.parametrize(
    "command",
    [
        ["ruff", "check", "."],
        ["mypy", "shared"],
        ["mypy", "--explicit-package-bases", "functions"],
        ["mypy", "bench"],
    ],
    ids=["ruff", "mypy-shared", "mypy-functions", "mypy-bench"],
)
def test_clean(command: list[str]) -> None:
    done = subprocess.run(
        [str(BIN / command[0]), *command[1:]], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
