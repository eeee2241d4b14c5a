"""Fixtures of the infrastructure tests: the bundler script as a module and a small repository."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
from tfconfig import ROOT


@pytest.fixture(scope="session")
def bundler() -> ModuleType:
    """scripts/bundle.py, loaded as a module."""
    spec = importlib.util.spec_from_file_location("bridge_bundle_script", ROOT / "scripts" / "bundle.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def small_repo(tmp_path: Path) -> Path:
    """A repository with two functions, a library, a schema and pinned requirements."""
    root = tmp_path / "repo"
    for name in ("alpha", "beta"):
        (root / "functions" / name).mkdir(parents=True)
        (root / "functions" / name / "main.py").write_text(f"def {name}(request):\n    return '{name}'\n")
    (root / "shared" / "__pycache__").mkdir(parents=True)
    (root / "shared" / "__init__.py").write_text('"""Library."""\n')
    (root / "shared" / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"\0")
    (root / "schemas").mkdir()
    (root / "schemas" / "dashboard.schema.json").write_text("{}\n")
    (root / "requirements.txt").write_text("# pinned\nflask==3.1.3\npytest==9.2.0\nPyYAML==6.0.4\n")
    (root / "requirements-dev.in").write_text("# tools\npytest\nruff  # lint\n")
    return root
