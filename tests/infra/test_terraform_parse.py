"""The Terraform configuration parses, is formatted, and its modules are wired consistently.

``terraform validate`` needs provider downloads, which this environment cannot do; these checks
cover what a static reading can: every reference resolves and every module call fits its module.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from tfconfig import TERRAFORM, blocks, labelled, locals_, module_dirs, parse, references, tf_files

META_ARGUMENTS = {"source", "version", "for_each", "count", "depends_on", "providers"}
_MODULE_OUTPUT = re.compile(r"\bmodule\.([A-Za-z_][A-Za-z0-9_]*)(?:\[[^\]]*\])?\.([A-Za-z_][A-Za-z0-9_]*)")


def _rel(path: Path) -> str:
    return str(path.relative_to(TERRAFORM))


def _local_module_calls(directory: Path) -> dict[str, tuple[dict, Path]]:
    calls = {}
    for name, body in labelled(directory, "module").items():
        target = (directory / body["source"]).resolve()
        calls[name] = (body, target)
    return calls


@pytest.mark.parametrize("path", tf_files(), ids=_rel)
def test_every_tf_file_parses_with_python_hcl2(path: Path) -> None:
    tree = parse(path)
    assert tree, f"{_rel(path)} parsed to nothing"
    assert set(tree) <= {
        "terraform",
        "provider",
        "locals",
        "module",
        "resource",
        "data",
        "variable",
        "output",
        "check",
    }


def test_the_configuration_has_modules_and_a_tfvars_example() -> None:
    assert len(module_dirs()) >= 6
    example = (TERRAFORM / "terraform.tfvars.example").read_text()
    required = [n for n, v in labelled(TERRAFORM, "variable").items() if "default" not in v]
    assert required, "the root module should require at least project_id and domain"
    for name in required:
        assert re.search(rf"^{name}\s*=", example, re.M), f"terraform.tfvars.example lacks required {name}"


@pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform binary not installed")
def test_terraform_fmt_leaves_every_file_unchanged() -> None:
    result = subprocess.run(
        ["terraform", "fmt", "-check", "-recursive", "-diff", str(TERRAFORM)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, f"terraform fmt would change:\n{result.stdout}{result.stderr}"


@pytest.mark.parametrize("directory", module_dirs(), ids=_rel)
def test_variables_are_typed_and_described_and_outputs_described(directory: Path) -> None:
    for name, var in labelled(directory, "variable").items():
        assert "type" in var, f"{_rel(directory)}: variable {name} has no type"
        assert str(var.get("description", "")).strip(), (
            f"{_rel(directory)}: variable {name} has no description"
        )
    for name, out in labelled(directory, "output").items():
        assert str(out.get("description", "")).strip(), f"{_rel(directory)}: output {name} has no description"


@pytest.mark.parametrize("directory", module_dirs(), ids=_rel)
def test_every_reference_resolves(directory: Path) -> None:
    variables = set(labelled(directory, "variable"))
    local_names = set(locals_(directory))
    module_names = set(labelled(directory, "module"))
    declared = {"var": variables, "local": local_names, "module": module_names}
    missing = sorted(f"{kind}.{name}" for kind, name in references(directory) if name not in declared[kind])
    assert not missing, f"{_rel(directory)} references undeclared {missing}"


def test_module_calls_pass_exactly_what_their_modules_declare() -> None:
    for directory in module_dirs():
        for name, (body, target) in _local_module_calls(directory).items():
            assert target.is_dir(), f"module {name} points at missing {target}"
            declared = labelled(target, "variable")
            passed = set(body) - META_ARGUMENTS
            unknown = passed - set(declared)
            required = {v for v, spec in declared.items() if "default" not in spec}
            assert not unknown, f"module {name} passes undeclared {sorted(unknown)}"
            assert required <= passed, f"module {name} misses required {sorted(required - passed)}"


def test_module_outputs_referenced_by_the_root_exist() -> None:
    calls = _local_module_calls(TERRAFORM)
    text = "\n".join(p.read_text() for p in TERRAFORM.glob("*.tf"))
    for module, output in set(_MODULE_OUTPUT.findall(text)):
        outputs = set(labelled(calls[module][1], "output"))
        assert output in outputs, f"module.{module}.{output} is not an output of {calls[module][1].name}"


def test_providers_are_pinned_to_google_v6() -> None:
    for directory in module_dirs():
        terraform = [b for b in blocks(directory, "terraform")]
        assert terraform, f"{_rel(directory)} has no terraform block"
        google = terraform[0]["required_providers"][0]["google"]
        assert google["source"] == "hashicorp/google"
        assert ">= 6.0" in google["version"] and "< 7.0" in google["version"]
