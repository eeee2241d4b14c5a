"""Importing a function's main.py loads no Google SDK, genai, DuckDB or sqlglot and builds no client.

Each function is imported in a fresh interpreter by bench/bench_coldstart.py's probe, which
reports the heavy modules present in ``sys.modules`` afterwards and whether the composition root
built its container. Import speed itself is measured by the benchmark, not asserted here.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_coldstart", ROOT / "bench" / "bench_coldstart.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bench = _bench()
MAINS = bench.function_mains()


def test_every_function_folder_is_probed() -> None:
    names = {p.parent.name for p in MAINS}
    assert {"agent_step", "onboard", "precompute", "scan", "serve_data", "validate"} <= names


@pytest.mark.parametrize("main_py", MAINS, ids=[p.parent.name for p in MAINS])
def test_importing_a_function_loads_no_heavy_sdk_and_builds_no_client(main_py: Path) -> None:
    report = bench.probe(main_py)

    assert report["heavy"] == []
    assert report["container"] is False


def test_the_probe_sees_a_heavy_import(tmp_path: Path) -> None:
    eager = tmp_path / "main.py"
    eager.write_text("import sqlglot\nfrom google.cloud import storage\n")

    report = bench.probe(eager)

    assert "sqlglot" in report["heavy"]
    assert "google.cloud.storage" in report["heavy"]


def test_importing_the_cloud_adapter_modules_loads_no_sdk() -> None:
    code = (
        "import sys, json\n"
        "import shared.adapters.objectstore.gcs, shared.adapters.keys.kms, shared.adapters.tasks.cloudtasks, shared.adapters.warehouse.bigquery\n"
        "import shared.adapters.identity.google\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith(('google.cloud.', 'google.genai')))))\n"
    )
    assert bench._run(code) == []
