"""scripts/bundle.py builds deterministic, importable function bundles and the Terraform manifest."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from types import ModuleType

import pytest
from tfconfig import ROOT, function_folders

from shared.errors import NotFound, ValidationFailed

HEAVY = (
    "duckdb",
    "sqlglot",
    "jsonschema",
    "cryptography",
    "vl_convert",
    "google.cloud.bigquery",
    "google.cloud.storage",
    "google.cloud.kms",
    "google.cloud.tasks_v2",
    "google.genai",
)


def test_same_content_gives_the_same_bytes_and_hash(
    bundler: ModuleType, small_repo: Path, tmp_path: Path
) -> None:
    first = bundler.build("alpha", tmp_path / "one", small_repo)
    os.utime(small_repo / "functions" / "alpha" / "main.py", (1, 1))  # mtimes must not matter
    second = bundler.build("alpha", tmp_path / "two", small_repo)
    assert first.sha256 == second.sha256
    assert first.path.read_bytes() == second.path.read_bytes()
    assert first.sha256 == hashlib.sha256(first.path.read_bytes()).hexdigest()
    assert first.size == first.path.stat().st_size


def test_a_change_changes_the_hash_and_reverting_restores_it(
    bundler: ModuleType, small_repo: Path, tmp_path: Path
) -> None:
    lib = small_repo / "shared" / "__init__.py"
    before = bundler.build("alpha", tmp_path, small_repo).sha256
    original = lib.read_text()
    lib.write_text(original + "VERSION = 2\n")
    changed = bundler.build("alpha", tmp_path, small_repo).sha256
    lib.write_text(original)
    assert changed != before
    assert bundler.build("alpha", tmp_path, small_repo).sha256 == before


def test_bundle_holds_the_function_library_schemas_and_runtime_requirements(
    bundler: ModuleType, small_repo: Path, tmp_path: Path
) -> None:
    bundle = bundler.build("alpha", tmp_path, small_repo)
    with zipfile.ZipFile(bundle.path) as archive:
        names = archive.namelist()
        infos = archive.infolist()
        requirements = archive.read("requirements.txt").decode()
    assert names == sorted(names)
    assert names == ["main.py", "requirements.txt", "schemas/dashboard.schema.json", "shared/__init__.py"]
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert "flask==3.1.3" in requirements and "PyYAML==6.0.4" in requirements
    assert "pytest" not in requirements, "dev tools stay out of deployed functions"


def test_a_function_with_its_own_requirements_keeps_them(
    bundler: ModuleType, small_repo: Path, tmp_path: Path
) -> None:
    (small_repo / "functions" / "beta" / "requirements.txt").write_text("flask==3.1.3\n")
    with zipfile.ZipFile(bundler.build("beta", tmp_path, small_repo).path) as archive:
        assert archive.read("requirements.txt") == b"flask==3.1.3\n"


def test_manifest_lists_each_bundle_for_terraform(
    bundler: ModuleType, small_repo: Path, tmp_path: Path
) -> None:
    out = tmp_path / "dist"
    assert bundler.main(["--root", str(small_repo), "--out", str(out)]) == 0
    manifest = json.loads((out / "bundles.json").read_text())["functions"]
    assert sorted(manifest) == ["alpha", "beta"]
    for name, entry in manifest.items():
        data = (out / entry["file"]).read_bytes()
        assert entry == {"file": f"{name}.zip", "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}

    # Rebuilding one function keeps the other's entry; a removed function disappears.
    (small_repo / "functions" / "beta" / "main.py").unlink()
    assert bundler.main(["alpha", "--root", str(small_repo), "--out", str(out)]) == 0
    assert sorted(json.loads((out / "bundles.json").read_text())["functions"]) == ["alpha"]


def test_app_ships_exactly_the_vendor_files_the_web_module_serves(bundler: ModuleType) -> None:
    from shared.entry.routes.web import VENDOR_FILES

    assert sorted(bundler.EXTRA_FILES["app"]) == sorted(
        f"node_modules/{rel}" for rel in VENDOR_FILES.values()
    )


def test_bad_input_raises_typed_errors(bundler: ModuleType, small_repo: Path, tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="no function 'gamma'"):
        bundler.build("gamma", tmp_path, small_repo)
    app = small_repo / "functions" / "app"
    app.mkdir()
    (app / "main.py").write_text("def app(request):\n    return ''\n")
    with pytest.raises(ValidationFailed, match=r"node_modules/vega/build/vega\.min\.js is missing"):
        bundler.build("app", tmp_path, small_repo)
    (small_repo / "requirements.txt").unlink()
    with pytest.raises(ValidationFailed, match=r"requirements\.txt is missing"):
        bundler.build("alpha", tmp_path, small_repo)


def test_cli_reports_errors_without_a_traceback(
    bundler: ModuleType, small_repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert bundler.main(["gamma", "--root", str(small_repo), "--out", str(tmp_path)]) == 2
    assert "bundle: error: no function 'gamma'" in capsys.readouterr().err


@pytest.mark.parametrize("name", function_folders() or ["<none>"])
def test_each_real_bundle_imports_and_serves_on_its_own(
    bundler: ModuleType, name: str, tmp_path: Path
) -> None:
    if name == "<none>":
        pytest.skip("functions/ holds no function yet")
    bundle = bundler.build(name, tmp_path / "dist", ROOT)
    site = tmp_path / "site"
    with zipfile.ZipFile(bundle.path) as archive:
        archive.extractall(site)
    probe = (
        "import sys, main, shared\n"
        f"assert shared.__file__.startswith({str(site)!r}), shared.__file__\n"
        f"assert callable(getattr(main, {name!r}))\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    if name == "app":  # the page's Vega builds must ship inside the bundle
        probe += (
            "from shared.entry.routes.web import VENDOR_FILES, vendor_dir\n"
            f"assert str(vendor_dir()).startswith({str(site)!r})\n"
            "assert all((vendor_dir() / rel).is_file() for rel in VENDOR_FILES.values())\n"
        )
    # ... and serves a request through functions-framework, as Cloud Functions would run it
    if name == "precompute":
        probe += (
            "import functions_framework, json\n"
            "app = functions_framework.create_app(target='precompute', source='main.py', signature_type='cloudevent')\n"
            "r = app.test_client().post('/', data=json.dumps({'bucket': 'elsewhere', 'name': 'x.txt', 'generation': '1'}),"
            " headers={'Content-Type': 'application/json', 'ce-id': '1', 'ce-specversion': '1.0',"
            " 'ce-source': '//storage.googleapis.com/projects/_/buckets/elsewhere',"
            " 'ce-type': 'google.cloud.storage.object.v1.finalized'})\n"
            "assert r.status_code == 200, (r.status_code, r.data)\n"
        )
    elif name == "migrate":  # the migrations ship inside the bundle and run from it
        probe += (
            "import functions_framework\n"
            "app = functions_framework.create_app(target='migrate', source='main.py')\n"
            "r = app.test_client().post('/')\n"
            "assert r.status_code == 200 and r.get_json()['from'] is None, (r.status_code, r.data)\n"
            "assert r.get_json()['revision'], r.data\n"
        )
    else:
        probe += (
            "import functions_framework\n"
            f"app = functions_framework.create_app(target={name!r}, source='main.py')\n"
            "r = app.test_client().get('/healthz')\n"
            "assert r.status_code == 200 and r.get_json() == {'status': 'ok'}, (r.status_code, r.data)\n"
        )
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(site),
        "HOME": str(tmp_path),
        "BRIDGE_DATA_DIR": str(tmp_path / "data"),
    }
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=site, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "", f"import main loaded heavy SDKs at cold start: {result.stdout}"
