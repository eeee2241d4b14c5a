"""``python shared/cli.py`` runs from the repository root: run as a script, ``shared/`` is
``sys.path[0]``, and no module of it may shadow the standard library (``http.client`` failed once)."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "shared/cli.py", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


def test_help_lists_the_commands() -> None:
    done = _cli("--help")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: bridge")
    for command in ("token", "dev", "migrate", "seed", "eval"):
        assert command in done.stdout


def test_token_issues_a_local_token_for_the_email(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "BRIDGE_DATA_DIR": str(tmp_path / "data")}
    done = _cli("token", "a@b.c", env=env)
    assert done.returncode == 0, done.stderr
    payload = done.stdout.strip().split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims["email"] == "a@b.c"
