"""Every function folder is deployed exactly once, with its own identity, settings and route."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pytest
from tf_urlmap import route
from tfconfig import TERRAFORM, function_folders, labelled, locals_, resources

from shared.settings import ENV_PREFIX, Settings

FUNCTION_MODULE = TERRAFORM / "modules" / "function"
BUCKET_MODULE = TERRAFORM / "modules" / "bucket"


def _functions() -> dict[str, dict[str, Any]]:
    return locals_(TERRAFORM)["functions"]  # type: ignore[no-any-return]


def _routes() -> list[dict[str, Any]]:
    return locals_(TERRAFORM)["lb_routes"]  # type: ignore[no-any-return]


def _lb_default() -> str:
    return str(labelled(TERRAFORM, "module")["lb"]["default_backend"])


def _resolve(method: str, path: str) -> str:
    return route(_routes(), _lb_default(), method, path)


def test_functions_folder_is_not_empty() -> None:
    assert function_folders(), "functions/ holds no function folder with a main.py"


def test_each_function_folder_is_one_deployed_function_and_vice_versa() -> None:
    # migrate is its own module call: the deploy applies and runs it before the others.
    assert sorted([*_functions(), "migrate"]) == function_folders()
    migrate = labelled(TERRAFORM, "module")["migrate"]
    assert (migrate["source"], migrate["name"]) == ("./modules/function", "migrate")
    call = labelled(TERRAFORM, "module")["function"]
    assert call["source"] == "./modules/function"
    assert call["for_each"] == "${local.functions}"
    assert call["name"] == "${each.key}"
    assert len(resources(FUNCTION_MODULE, "google_cloudfunctions2_function")) == 1


def test_no_function_is_declared_outside_the_function_module() -> None:
    others = [p for p in TERRAFORM.rglob("*.tf") if p.parent != FUNCTION_MODULE]
    offenders = [p.name for p in others if "google_cloudfunctions2_function" in p.read_text()]
    assert not offenders


def test_entry_point_is_the_folder_name_and_source_is_named_by_content_hash() -> None:
    fn = resources(FUNCTION_MODULE, "google_cloudfunctions2_function")["this"]
    build = fn["build_config"][0]
    assert build["entry_point"] == "${var.name}"
    source = build["source"][0]["storage_source"][0]
    assert source["object"] == "${google_storage_bucket_object.source.name}"
    obj = resources(FUNCTION_MODULE, "google_storage_bucket_object")["source"]
    assert "${var.bundle.sha256}" in obj["name"] and obj["name"].endswith(".zip")
    assert obj["source"] == "${var.bundle.path}"


def test_each_function_runs_as_its_own_service_account() -> None:
    accounts = resources(FUNCTION_MODULE, "google_service_account")
    assert list(accounts) == ["this"], "the function module must create exactly one service account"
    # account_id derives from the function name, so every module instance gets a distinct one.
    function_name = locals_(FUNCTION_MODULE)["function_name"]
    assert "${var.name" in function_name.replace("${replace(var.name", "${var.name")
    assert accounts["this"]["account_id"] == "${local.function_name}"
    service = resources(FUNCTION_MODULE, "google_cloudfunctions2_function")["this"]["service_config"][0]
    assert service["service_account_email"] == "${google_service_account.this.email}"


def test_project_roles_are_the_ones_each_function_needs() -> None:
    fns = _functions()
    assert "roles/aiplatform.user" in fns["agent_step"]["roles"]
    assert "roles/eventarc.eventReceiver" in fns["precompute"]["roles"]
    assert "roles/bigquery.jobUser" in fns["serve_data"]["roles"]
    assert [n for n, f in fns.items() if "roles/aiplatform.user" in f["roles"]] == ["agent_step"]
    for name, fn in fns.items():
        assert not {"roles/owner", "roles/editor"} & set(fn["roles"]), name
    assert fns["serve_data"]["db"] is True and fns["app"]["db"] is False


def test_bucket_and_key_access_follow_the_data() -> None:
    local = locals_(TERRAFORM)
    access = local["bucket_access"]
    assert set(access["cache"]) == {"serve_data", "precompute"}
    assert set(access["sessions"]) == {"chat_turn", "agent_step"}
    assert "onboard" in access["secrets"] and "app" not in access["secrets"]
    kms = local["kms_access"]
    assert kms["onboard"] == "roles/cloudkms.cryptoKeyEncrypterDecrypter"
    assert {n for n, r in kms.items() if "Encrypter" in r} == {"onboard"}
    assert kms["serve_data"] == "roles/cloudkms.cryptoKeyDecrypter"
    known = set(_functions())
    for bucket, grants in access.items():
        assert set(grants) <= known, f"{bucket} grants access to unknown functions"


def test_only_agent_step_is_invoked_by_the_tasks_identity() -> None:
    call = labelled(TERRAFORM, "module")["function"]
    assert 'each.key == "agent_step"' in call["invokers"]
    assert "google_service_account.tasks_invoker.member" in call["invokers"]
    users = resources(TERRAFORM, "google_service_account_iam_member")["tasks_invoker_user"]
    assert users["role"] == "roles/iam.serviceAccountUser"
    assert set(re.findall(r'"(\w+)"', users["for_each"])) == {"chat_turn", "agent_step"}


def test_buckets_are_private_with_uniform_access() -> None:
    bucket = resources(BUCKET_MODULE, "google_storage_bucket")["this"]
    assert bucket["uniform_bucket_level_access"] is True
    assert bucket["public_access_prevention"] == "enforced"
    elsewhere = [
        p.name
        for p in TERRAFORM.rglob("*.tf")
        if p.parent != BUCKET_MODULE and 'resource "google_storage_bucket"' in p.read_text()
    ]
    assert not elsewhere, "every bucket goes through modules/bucket"
    buckets = locals_(TERRAFORM)["buckets"]
    assert {"dashboards", "cache", "sessions", "secrets"} <= set(buckets)
    assert buckets["dashboards"]["versioning"] is True
    assert buckets["cache"]["delete_after_days"] == "${var.cache_retention_days}"


def test_environment_variables_are_bridge_settings() -> None:
    fields = {f"BRIDGE_{f.name.upper()}" for f in dataclasses.fields(Settings)}
    common = locals_(TERRAFORM)["common_env"]
    database = locals_(FUNCTION_MODULE)["db_env"]
    names = set(common) | set(re.findall(r"(BRIDGE_[A-Z_]+)\s*=", database))
    assert names - fields == set(), f"not a Settings field: {sorted(names - fields)}"
    assert common["BRIDGE_CLOUD"] == "gcp"
    bucket_fields = {f for f in fields if f.startswith("BRIDGE_BUCKET_")}
    assert bucket_fields <= set(common), "every bucket setting is given its bucket"
    assert {"BRIDGE_CLOUDSQL_INSTANCE", "BRIDGE_DB_USER", "BRIDGE_DB_IAM_AUTH"} <= names


def test_internal_functions_are_not_behind_the_load_balancer() -> None:
    fns = _functions()
    backends = {r["backend"] for r in _routes()} | {_lb_default()}
    for name, fn in fns.items():
        if fn["public"]:
            assert fn["ingress"] == "ALLOW_INTERNAL_AND_GCLB", name
        else:
            assert fn["ingress"] == "ALLOW_INTERNAL_ONLY", name
            assert name not in backends, f"{name} must not be routed"
    assert fns["precompute"]["trigger"] == "dashboards"


@pytest.mark.parametrize(
    ("method", "path", "function"),
    [
        ("POST", "/v1/teams", "onboard"),
        ("GET", "/v1/teams", "onboard"),
        ("POST", "/v1/teams/t1/members", "onboard"),
        ("POST", "/v1/teams/t1/connections", "onboard"),
        ("GET", "/v1/teams/t1/connections", "onboard"),
        ("POST", "/v1/connections/c1/validate", "validate"),
        ("POST", "/v1/connections/c1/scan", "scan"),
        ("GET", "/v1/connections/c1/catalog", "scan"),
        ("POST", "/v1/chat/sessions", "chat_turn"),
        ("POST", "/v1/chat/sessions/s1/messages", "chat_turn"),
        ("GET", "/v1/chat/sessions/s1/events", "chat_turn"),
        ("PUT", "/v1/teams/t1/dashboards/revenue", "save_dashboard"),
        ("GET", "/v1/teams/t1/dashboards/revenue", "dashboards"),
        ("DELETE", "/v1/teams/t1/dashboards/revenue", "dashboards"),
        ("GET", "/v1/teams/t1/dashboards", "dashboards"),
        ("GET", "/v1/teams/t1/dashboards/revenue/versions", "dashboards"),
        ("GET", "/v1/teams/t1/dashboards/revenue/data", "serve_data"),
        ("GET", "/v1/teams/t1/dashboards/revenue/data/kpi", "serve_data"),
        ("POST", "/v1/teams/t1/dashboards/revenue/refresh", "serve_data"),
        ("POST", "/v1/teams/t1/dashboards/revenue/warm", "serve_data"),
        ("GET", "/", "app"),
        ("GET", "/static/app.js", "app"),
    ],
)
def test_the_one_origin_routes_each_endpoint_to_its_function(method: str, path: str, function: str) -> None:
    assert _resolve(method, path) == function


def _sample_path(rule: str) -> str:
    samples = {"int": "3", "path": "a/b.js"}
    return re.sub(r"<(?:(\w+):)?(\w+)>", lambda m: samples.get(m.group(1) or "", f"x{m.group(2)}"), rule)


def _flask_routes() -> list[tuple[str, str, str]]:
    from shared.entry.functions import FUNCTIONS, function_app

    found = []
    for name in FUNCTIONS:
        for rule in function_app(name).url_map.iter_rules():
            if rule.endpoint == "static" and name != "app":
                continue  # Flask's built-in static route; only the web app serves files
            if rule.endpoint == "healthz":
                continue  # every function's own liveness probe, not routed through the one origin
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                found.append((name, method, _sample_path(rule.rule)))
    return found


def test_every_flask_route_is_reachable_through_the_load_balancer() -> None:
    fns = _functions()
    wrong = [
        f"{method} {path}: {name} but routed to {_resolve(method, path)}"
        for name, method, path in _flask_routes()
        if fns[name]["public"] and _resolve(method, path) != name
    ]
    assert not wrong, "\n".join(wrong)


def test_default_configuration_fits_the_connection_budget() -> None:
    variables = labelled(TERRAFORM, "variable")
    per_instance = variables["db_pool_size"]["default"] + variables["db_max_overflow"]["default"]
    db_functions = [n for n, f in _functions().items() if f["db"]]
    overrides = variables["function_overrides"]["default"]
    budget = sum(
        overrides.get(n, {}).get("max_instances", variables["default_max_instances"]["default"])
        * (per_instance + (1 if n == "chat_turn" else 0))  # its event streams' LISTEN connection
        for n in db_functions
    )
    reserved = variables["sql_reserved_connections"]["default"]
    assert budget + reserved <= variables["sql_max_connections"]["default"]
    precondition = resources(TERRAFORM, "terraform_data")["connection_budget"]["lifecycle"][0][
        "precondition"
    ][0]
    assert "var.sql_max_connections" in precondition["condition"]


def test_task_dispatch_never_exceeds_agent_step_capacity() -> None:
    queue = labelled(TERRAFORM, "module")["tasks_queue"]
    cap = queue["max_concurrent_dispatches"]
    assert cap.startswith("${min(") and "var.tasks_max_concurrent_dispatches" in cap
    assert 'local.sizing["agent_step"].max_instances * local.sizing["agent_step"].concurrency' in cap


def test_model_keys_come_from_secret_manager_into_the_agent_function_only() -> None:
    fn = resources(FUNCTION_MODULE, "google_cloudfunctions2_function")["this"]
    mounted = fn["service_config"][0]["dynamic"][0]["secret_environment_variables"]
    assert mounted["for_each"] == "${var.secret_environment}"
    assert mounted["content"][0]["version"] == "latest"
    access = resources(FUNCTION_MODULE, "google_secret_manager_secret_iam_member")["this"]
    assert access["role"] == "roles/secretmanager.secretAccessor"
    call = labelled(TERRAFORM, "module")["function"]
    assert call["secret_environment"].startswith('${merge(each.key == "agent_step" ? var.model_secrets : {},')
    assert "BRIDGE_MODEL" in locals_(TERRAFORM)["common_env"]
    assert not any("API_KEY" in k and "IDENTITY" not in k for k in locals_(TERRAFORM)["common_env"])


def test_the_stream_token_key_is_one_random_secret_every_instance_of_its_functions_mounts() -> None:
    """Stream tokens are HMAC-signed with BRIDGE_AUTH_SECRET: one value in Secret Manager, drawn
    once by Terraform, mounted (never a plain environment variable) into every function serving
    the stream-token or event-stream routes, readable by their service accounts only."""
    from shared.entry.functions import FUNCTIONS

    password = resources(TERRAFORM, "random_password")["auth_secret"]
    assert password["length"] >= 32
    secret = resources(TERRAFORM, "google_secret_manager_secret")["auth_secret"]
    assert secret["replication"] and secret["secret_id"].endswith("-auth-secret")
    version = resources(TERRAFORM, "google_secret_manager_secret_version")["auth_secret"]
    assert version["secret"] == "${google_secret_manager_secret.auth_secret.id}"
    assert version["secret_data"] == "${random_password.auth_secret.result}"

    call = labelled(TERRAFORM, "module")["function"]
    assert (
        "contains(local.auth_secret_functions, each.key) ? local.auth_secret_env : {}"
        in call["secret_environment"]
    )
    assert locals_(TERRAFORM)["auth_secret_env"] == {
        "BRIDGE_AUTH_SECRET": "${google_secret_manager_secret.auth_secret.secret_id}"
    }
    assert "${google_secret_manager_secret_version.auth_secret}" in call["depends_on"]  # "latest" exists
    # the module grants the accessor role on each mounted secret to the function's own account
    access = resources(FUNCTION_MODULE, "google_secret_manager_secret_iam_member")["this"]
    assert access["for_each"] == "${var.secret_environment}" and access["secret_id"] == "${each.value}"
    assert access["member"] == "${google_service_account.this.member}"

    needs_key = {name for name, routes in FUNCTIONS.items() if any(bp.name == "chat" for bp in routes())}
    assert set(locals_(TERRAFORM)["auth_secret_functions"]) == needs_key == {"chat_turn"}
    assert "BRIDGE_AUTH_SECRET" not in locals_(TERRAFORM)["common_env"]
    assert ENV_PREFIX + "auth_secret".upper() == "BRIDGE_AUTH_SECRET"
    assert "auth_secret" in {f.name for f in dataclasses.fields(Settings)}


def test_only_the_iam_guarded_migrate_function_takes_requests_from_outside_google() -> None:
    modules = labelled(TERRAFORM, "module")
    assert modules["migrate"]["ingress"] == "ALLOW_ALL"
    assert modules["migrate"]["invokers"] == {"deployer": "${local.deployer_member}"}
    assert {spec["ingress"] for spec in _functions().values()} <= {
        "ALLOW_INTERNAL_AND_GCLB",
        "ALLOW_INTERNAL_ONLY",
    }
    fn = resources(FUNCTION_MODULE, "google_cloudfunctions2_function")["this"]
    (precondition,) = fn["lifecycle"][0]["precondition"]
    assert 'var.ingress != "ALLOW_ALL"' in precondition["condition"]
