"""A cold serve_data process answering a cache hit loads no YAML schema, sqlglot or warehouse client,
and, from a response another instance shared, no SQLAlchemy, pydantic, PyJWT or cryptography either.

A fresh interpreter imports ``functions/serve_data/main.py`` over the test server's data (same
database, object store and secret) and answers one GET of a dashboard whose results are cached;
it reports whether every view was a hit and which heavy modules ``sys.modules`` holds afterwards.
With the response the test server shared (and a fresh data version record) it reads the
directory through DB-API and serves those bytes. Without the shared response it takes the full
path: SQLAlchemy, the compiled artifact, the dashboard model, the cached results. Without the
artifact it has to parse and compile (jsonschema, sqlglot); without a fresh data version record
it has to ask the warehouse (duckdb): all shown below, so the probe is seen to notice them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import requests
from test_dashboards_api import GOOD, put, setup_team

from shared.bootstrap import Container
from shared.services.dashboards import artifact_path

ROOT = Path(__file__).resolve().parents[2]
# the key manager (local stand-in for KMS) and the warehouse adapters are Bridge's own modules
HEAVY = (
    "jsonschema",
    "sqlglot",
    "duckdb",
    "google.cloud.",
    "google.genai",
    "ruamel",
    "yaml",
    "shared.adapters.keys.local",
    "shared.adapters.keys.kms",
    "shared.adapters.warehouse.duckdb_adapter",
    "shared.adapters.warehouse.bigquery",
)
# what the full serving path brings, which a cold hit from a shared response does without
FULL_PATH = (
    "sqlalchemy",
    "shared.db.models",
    "shared.services.serving.service",
    "shared.dashboards.model",
    "jwt",
    "cryptography",
    "pydantic",
)
_PROBE = r"""
import importlib.util, json, sys
root, main, path, auth, heavy = sys.argv[1:6]
sys.path.insert(0, root)
spec = importlib.util.spec_from_file_location("main", main)
module = importlib.util.module_from_spec(spec)
sys.modules["main"] = module
spec.loader.exec_module(module)
import flask
from werkzeug.test import EnvironBuilder
environ = EnvironBuilder(path=path, headers={"Authorization": auth}).get_environ()
response = module.serve_data(flask.Request(environ))
body = json.loads(response.get_data())
prefixes = tuple(heavy.split(","))
loaded = sorted(m for m in sys.modules if m.startswith(prefixes) and not m.startswith("google.cloud.functions"))
print(json.dumps({"status": response.status_code, "cache": sorted({v["cache"] for v in body["views"]}),
                  "heavy": sorted({m if m.startswith(("google.", "shared.")) else m.split(".")[0] for m in loaded})}))
"""


def _cold_get(c: Container, path: str, auth: str) -> dict[str, object]:
    env = {
        **os.environ,
        "BRIDGE_DATA_DIR": str(c.settings.data_dir),
        "BRIDGE_DATABASE_URL": c.settings.database_url,
        "BRIDGE_AUTH_SECRET": c.settings.auth_secret,
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    main_py = ROOT / "functions" / "serve_data" / "main.py"
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, str(ROOT), str(main_py), path, auth, ",".join(HEAVY + FULL_PATH)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _fresh_version_record(c: Container, dev_server, h: dict[str, str], data_url: str) -> None:
    """Ask the warehouse now (the record is trusted for 30 s from its check)."""
    svc = c.data_service
    cache = c.store("cache")
    for obj in cache.list("versions/"):
        cache.delete(obj.path)
    svc.versions._memo.clear()
    svc._responses.clear()
    asks = svc.versions.warehouse_asks
    assert requests.get(data_url, headers=h).status_code == 200
    assert svc.versions.warehouse_asks > asks
    assert svc.shared.flush()  # the response record the cold process reads


def _beyond_full_path(probe: dict[str, object]) -> list[str]:
    """Heavy modules a probe loaded that the full serving path does not explain (parsers, clients)."""
    heavy = probe["heavy"]
    assert isinstance(heavy, list)
    return [m for m in heavy if not m.startswith(FULL_PATH)]


def _drop(c: Container, prefix: str) -> None:
    cache = c.store("cache")
    for obj in cache.list(prefix):
        cache.delete(obj.path)


def test_a_cold_cache_hit_needs_no_schema_sqlglot_or_warehouse_client(
    dev_server, token, container: Container
) -> None:
    h, t = setup_team(dev_server, token)
    assert put(dev_server, h, t, "rev", GOOD).status_code == 201
    assert container.task_queue.join(15)  # the save's warm-up computed and cached every view
    path = f"/v1/teams/{t}/dashboards/rev/data"
    data_url = f"{dev_server.url}{path}"

    # another instance served it just now: the cold process serves its shared response
    _fresh_version_record(container, dev_server, h, data_url)
    cold = _cold_get(container, path, h["Authorization"])
    assert cold["status"] == 200 and cold["cache"] == ["hit"], cold
    assert cold["heavy"] == [], cold

    # without a data version record the cold hit has to ask the warehouse (its adapter brings sqlglot)
    _drop(container, "versions/")
    no_record = _cold_get(container, path, h["Authorization"])
    assert no_record["cache"] == ["hit"] and "duckdb" in no_record["heavy"], no_record
    assert "shared.adapters.warehouse.duckdb_adapter" in no_record["heavy"], no_record
    assert "jsonschema" not in no_record["heavy"], no_record

    # without a shared response it reads the compiled artifact: the directory through SQLAlchemy,
    # the dashboard model, the cached results, but still no schema, sqlglot or warehouse client
    _fresh_version_record(container, dev_server, h, data_url)
    _drop(container, "responses/")
    from_artifact = _cold_get(container, path, h["Authorization"])
    assert from_artifact["cache"] == ["hit"], from_artifact
    assert _beyond_full_path(from_artifact) == [] and "sqlalchemy" in from_artifact["heavy"], from_artifact

    # without the compiled artifact (a dashboard saved before artifacts) it parses and compiles,
    # and stores the artifact, so the next cold process does not
    store = container.store("dashboards")
    head = store.head(f"{t}/rev.yaml")
    assert head is not None
    store.delete(artifact_path(t, "rev", head.generation))
    _fresh_version_record(container, dev_server, h, data_url)
    _drop(container, "responses/")
    compiled = _cold_get(container, path, h["Authorization"])
    assert compiled["cache"] == ["hit"] and {"jsonschema", "sqlglot"} <= set(compiled["heavy"]), compiled
    assert store.head(artifact_path(t, "rev", head.generation)) is not None
    _fresh_version_record(container, dev_server, h, data_url)
    _drop(container, "responses/")
    again = _cold_get(container, path, h["Authorization"])
    assert again["cache"] == ["hit"] and _beyond_full_path(again) == [], again
