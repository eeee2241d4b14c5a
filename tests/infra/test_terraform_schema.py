"""Every argument and block of terraform/ exists in the google provider's schema (6.50.0).

``terraform validate`` needs the provider binary, which cannot be downloaded here; the schema
comes instead from ``@cdktf/provider-google`` (generated from that provider, pinned in
package.json, installed by ``make test``'s setup). See provider_schema.py for how it is read.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from provider_schema import PACKAGE, PACKAGES, package_version, resource
from schema_check import check_file
from tfconfig import ROOT, TERRAFORM, labelled, locals_, resources, tf_files

PINNED = "16.12.1"  # generated from hashicorp/google 6.50.0, what ">= 6.0, < 7.0" resolves to
RANDOM_PINNED = "12.0.1"  # generated from hashicorp/random 3.7.2, what ">= 3.7, < 4.0" resolves to

pytestmark = pytest.mark.skipif(
    not (PACKAGE / "package.json").is_file(),
    reason="@cdktf/provider-google is not installed: run make test's setup (npm ci)",
)


def _rel(path: Path) -> str:
    return str(path.relative_to(TERRAFORM))


def test_the_schema_package_is_pinned_in_package_json_and_the_lockfile() -> None:
    manifest = json.loads((ROOT / "package.json").read_text())
    lock = json.loads((ROOT / "package-lock.json").read_text())
    assert manifest["devDependencies"]["@cdktf/provider-google"] == PINNED
    assert lock["packages"]["node_modules/@cdktf/provider-google"]["version"] == PINNED
    assert package_version() == PINNED
    assert "hashicorp/google/6.50.0/docs" in (PACKAGE / "lib" / "compute-url-map" / "index.d.ts").read_text()
    random = PACKAGES["random"]
    assert manifest["devDependencies"]["@cdktf/provider-random"] == RANDOM_PINNED
    assert lock["packages"]["node_modules/@cdktf/provider-random"]["version"] == RANDOM_PINNED
    assert "hashicorp/random/3.7.2/docs" in (random / "lib" / "password" / "index.d.ts").read_text()


def test_a_random_password_argument_is_checked_too(tmp_path: Path) -> None:
    tf = tmp_path / "main.tf"
    tf.write_text(
        'resource "random_password" "x" {\n  length = 48\n  colour = "red"\n}\n'
        'output "y" { value = random_password.x.plaintext }\n'
    )

    assert check_file(tf) == [
        "main.tf: random_password.x: unsupported argument or block 'colour'",
        "main.tf: random_password has no attribute 'plaintext'",
    ]


@pytest.mark.parametrize("path", tf_files(), ids=_rel)
def test_every_argument_block_and_attribute_is_in_the_provider_schema(path: Path) -> None:
    assert check_file(path) == []


def _lb_main_with(tmp_path: Path, old: str, new: str) -> Path:
    text = (TERRAFORM / "modules" / "https_lb" / "main.tf").read_text()
    assert old in text
    changed = tmp_path / "main.tf"
    changed.write_text(text.replace(old, new, 1))
    return changed


def test_a_route_rule_description_fails_the_check(tmp_path: Path) -> None:
    changed = _lb_main_with(
        tmp_path,
        "priority = route_rules.value.priority",
        "priority = route_rules.value.priority\n        description = route_rules.value.description",
    )

    assert check_file(changed) == [
        "main.tf: google_compute_url_map.this.path_matcher.route_rules:"
        " unsupported argument or block 'description'"
    ]


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ('name    = "${var.name}-ip"', "", "required 'name' is missing"),
        ("log_config {", "log_config = {", "'log_config' is a block, written as an argument"),
        ('dynamic "match_rules"', 'dynamic "match_rule"', "dynamic 'match_rule' is not a block here"),
        ("url_map.this.id", "url_map.this.url", "google_compute_url_map has no attribute 'url'"),
        ("google_compute_ssl_policy", "google_compute_tls_policy", "'google_compute_tls_policy' is not in"),
    ],
)
def test_the_check_sees_missing_misplaced_and_unknown_names(
    tmp_path: Path, old: str, new: str, problem: str
) -> None:
    problems = check_file(_lb_main_with(tmp_path, old, new))

    assert any(problem in p for p in problems), problems


def test_computed_attributes_are_readable_but_not_settable() -> None:
    account = resource("resource", "google_service_account")
    assert account is not None
    assert {"email", "member", "unique_id"} <= account.attributes
    assert "member" not in account.config.arguments
    assert "account_id" in account.config.required


# -- ordering the Eventarc trigger -----------------------------------------------------------


def _publisher_grants() -> set[str]:
    """Root resources granting the Cloud Storage service agent pubsub.publisher."""
    return {
        f"google_project_iam_member.{name}"
        for name, body in resources(TERRAFORM, "google_project_iam_member").items()
        if body["role"] == "roles/pubsub.publisher"
        and "data.google_storage_project_service_account." in body["member"]
    }


def test_functions_with_a_storage_trigger_wait_for_the_storage_agents_publisher_grant() -> None:
    grants = _publisher_grants()
    assert grants, "nothing grants the Cloud Storage service agent roles/pubsub.publisher"
    triggered = [n for n, spec in locals_(TERRAFORM)["functions"].items() if spec["trigger"]]
    assert triggered == ["precompute"]
    call = labelled(TERRAFORM, "module")["function"]
    depends = {d.strip("${}") for d in call.get("depends_on", [])}
    assert grants <= depends, f"module.function must depend on {sorted(grants - depends)}"


def test_the_trigger_identity_holds_event_receiver_before_the_function_is_created() -> None:
    module = TERRAFORM / "modules" / "function"
    fn = resources(module, "google_cloudfunctions2_function")["this"]
    (trigger,) = [d["event_trigger"] for d in fn["dynamic"] if "event_trigger" in d]
    assert trigger["content"][0]["service_account_email"] == "${google_service_account.this.email}"
    assert "${google_project_iam_member.this}" in fn["depends_on"]
    assert "roles/eventarc.eventReceiver" in locals_(TERRAFORM)["functions"]["precompute"]["roles"]
