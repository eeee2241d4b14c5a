"""scripts/deploy.sh stops with a clear message, before changing anything, when a prerequisite is missing.

The real terraform and gcloud run here, gcloud with an empty configuration folder (no account,
no Application Default Credentials), so the preflight fails exactly as on a fresh laptop.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from tfconfig import ROOT

DEPLOY = ROOT / "scripts" / "deploy.sh"
SYSTEM_PATH = "/usr/bin:/bin"
BASH = shutil.which("bash") or "/bin/bash"


def _bin_with(tmp_path: Path, *tools: str) -> str:
    """A PATH holding only ``tools`` (symlinks to the installed ones)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for tool in tools:
        found = shutil.which(tool)
        if found is None:
            pytest.skip(f"{tool} is not installed")
        (bin_dir / tool).symlink_to(found)
    return str(bin_dir)


def _run(tmp_path: Path, path: str, **env: str) -> subprocess.CompletedProcess[str]:
    gcloud_config = tmp_path / "gcloud-config"
    gcloud_config.mkdir(exist_ok=True)
    full_env = {"PATH": path, "HOME": str(tmp_path), "CLOUDSDK_CONFIG": str(gcloud_config), **env}
    return subprocess.run(
        [BASH, str(DEPLOY)],
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture
def tf_dir_with_vars(tmp_path: Path) -> Path:
    tf_dir = tmp_path / "terraform"
    tf_dir.mkdir()
    (tf_dir / "terraform.tfvars").write_text('project_id = "my-bridge-project"\n')
    return tf_dir


def test_script_is_valid_bash_and_passes_shellcheck() -> None:
    assert subprocess.run(["bash", "-n", str(DEPLOY)], capture_output=True).returncode == 0
    if shutil.which("shellcheck") is None:
        if os.environ.get("CI", "").lower() == "true":  # make test installs it (Makefile: shellcheck)
            pytest.fail("shellcheck is not installed")
        pytest.skip("shellcheck not installed")
    result = subprocess.run(["shellcheck", str(DEPLOY)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def test_missing_terraform_is_named_with_how_to_install(tmp_path: Path) -> None:
    result = _run(tmp_path, _bin_with(tmp_path, "dirname"))
    assert result.returncode == 1
    assert "'terraform' not found" in result.stderr and "Install Terraform" in result.stderr


def test_missing_gcloud_is_named_with_how_to_install(tmp_path: Path) -> None:
    result = _run(tmp_path, _bin_with(tmp_path, "dirname", "terraform"))
    assert result.returncode == 1
    assert "'gcloud' not found" in result.stderr and "Google Cloud CLI" in result.stderr


def test_missing_tfvars_points_at_the_example(tmp_path: Path) -> None:
    path = f"{_bin_with(tmp_path, 'terraform', 'gcloud')}:{SYSTEM_PATH}"
    result = _run(tmp_path, path, TF_DIR=str(tmp_path))
    assert result.returncode == 1
    assert "terraform.tfvars is missing" in result.stderr and "terraform.tfvars.example" in result.stderr


def test_no_gcloud_account_asks_for_login(tmp_path: Path, tf_dir_with_vars: Path) -> None:
    path = f"{_bin_with(tmp_path, 'terraform', 'gcloud')}:{SYSTEM_PATH}"
    result = _run(tmp_path, path, TF_DIR=str(tf_dir_with_vars))
    assert result.returncode == 1
    assert "gcloud auth login" in result.stderr
    assert "Bundling" not in result.stdout, "nothing may run before the preflight passes"


def test_missing_application_default_credentials_are_explained(
    tmp_path: Path, tf_dir_with_vars: Path
) -> None:
    path = f"{_bin_with(tmp_path, 'terraform', 'gcloud')}:{SYSTEM_PATH}"
    gcloud_env = {"PATH": path, "HOME": str(tmp_path), "CLOUDSDK_CONFIG": str(tmp_path / "gcloud-config")}
    subprocess.run(
        ["gcloud", "config", "set", "account", "dev@example.com"],
        env=gcloud_env,
        capture_output=True,
        check=True,
        timeout=60,
    )
    result = _run(tmp_path, path, TF_DIR=str(tf_dir_with_vars))
    assert result.returncode == 1
    assert "gcloud auth application-default login" in result.stderr
    assert "Bundling" not in result.stdout
