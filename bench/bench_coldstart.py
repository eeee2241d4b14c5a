"""Cold starts: the cost of importing each function's ``main.py``, against importing Google's SDKs.

Each measurement runs in a fresh interpreter (``sys.executable``) with the repository root on
``sys.path``, as a function bundle has ``shared/`` beside ``main.py``, and ``BRIDGE_CLOUD=gcp`` as
deployed. The time is ``perf_counter`` around loading ``main.py``; the baseline is importing
google.cloud.bigquery, storage, kms, tasks_v2 and google.genai eagerly. The goal is a ratio of
at most 0.25: adapters import their SDK on first use, so a function pays only for the SDKs its
request needs.

``probe(main_py)`` also reports which heavy modules the import loaded and whether a container
(and so any client) was built; tests/cloud/test_coldstart.py asserts on that.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FUNCTIONS = ROOT / "functions"
RUNS = 5
GOAL = 0.25
SDKS = (
    "google.cloud.bigquery",
    "google.cloud.storage",
    "google.cloud.kms",
    "google.cloud.tasks_v2",
    "google.genai",
)
# google.cloud.functions* ships inside functions-framework (its context types), not a Google SDK.
HEAVY_PREFIXES = ("google.cloud.", "google.genai", "duckdb", "sqlglot")
ALLOWED_PREFIXES = ("google.cloud.functions",)

_MAIN_PROBE = r"""
import importlib.util, json, sys, time
root, main, heavy_prefixes, allowed = sys.argv[1], sys.argv[2], tuple(sys.argv[3].split(",")), tuple(sys.argv[4].split(","))
sys.path.insert(0, root)
started = time.perf_counter()
spec = importlib.util.spec_from_file_location("main", main)
module = importlib.util.module_from_spec(spec)
sys.modules["main"] = module
spec.loader.exec_module(module)
seconds = time.perf_counter() - started
heavy = sorted(m for m in sys.modules if m.startswith(heavy_prefixes) and not m.startswith(allowed))
bootstrap = sys.modules.get("shared.bootstrap")
print(json.dumps({"seconds": seconds, "heavy": heavy,
                  "container": bool(bootstrap and bootstrap._container is not None)}))
"""

_SDK_PROBE = r"""
import importlib, json, sys, time
started = time.perf_counter()
for name in sys.argv[1:]:
    importlib.import_module(name)
print(json.dumps({"seconds": time.perf_counter() - started}))
"""


def function_mains() -> list[Path]:
    """Every ``functions/*/main.py``, sorted by function name."""
    return sorted(FUNCTIONS.glob("*/main.py"))


def _run(code: str, *args: str) -> dict[str, Any]:
    env = {**os.environ, "BRIDGE_CLOUD": "gcp", "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120
    )
    if done.returncode != 0:
        raise RuntimeError(f"cold-start probe failed: {done.stderr.strip()[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def probe(main_py: Path) -> dict[str, Any]:
    """Import ``main_py`` in a fresh interpreter: ``{seconds, heavy, container}``."""
    return _run(_MAIN_PROBE, str(ROOT), str(main_py), ",".join(HEAVY_PREFIXES), ",".join(ALLOWED_PREFIXES))


def sdk_import_seconds() -> float:
    """Seconds to import Google's SDKs eagerly in a fresh interpreter."""
    return float(_run(_SDK_PROBE, *SDKS)["seconds"])


def run() -> list[dict[str, Any]]:
    """Median import time of each function and its ratio to the eager SDK import."""
    baseline = statistics.median(sdk_import_seconds() for _ in range(RUNS))
    rows = [
        {
            "name": "coldstart.sdk_eager_import",
            "value": baseline * 1000,
            "unit": "ms",
            "note": f"median of {RUNS}: {', '.join(SDKS)}",
        }
    ]
    for main_py in function_mains():
        name = main_py.parent.name
        samples = [probe(main_py) for _ in range(RUNS)]
        seconds = statistics.median(s["seconds"] for s in samples)
        ratio = seconds / baseline
        heavy = sorted({m for s in samples for m in s["heavy"]})
        verdict = "ok" if ratio <= GOAL else f"over the {GOAL} goal"
        rows.append(
            {
                "name": f"coldstart.{name}.import",
                "value": seconds * 1000,
                "unit": "ms",
                "note": f"median of {RUNS}" + (f"; heavy modules: {', '.join(heavy)}" if heavy else ""),
            }
        )
        rows.append({"name": f"coldstart.{name}.ratio", "value": ratio, "unit": "x", "note": verdict})
    return rows


if __name__ == "__main__":
    for row in run():
        print(f"{row['name']:<40} {row['value']:>10.3f} {row['unit']:<3} {row['note']}")
