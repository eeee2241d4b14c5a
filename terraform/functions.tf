locals {
  # One entry per folder in functions/ (tests/infra checks both ways). Roles here are
  # project-level; bucket, key and queue access is granted beside those resources.
  functions = {
    onboard = {
      description = "Teams, members and connections (credentials encrypted)."
      db          = true
      roles       = []
      ingress     = "ALLOW_INTERNAL_AND_GCLB"
      public      = true
      trigger     = null
      timeout     = 60
      concurrency = null
    }
    validate = {
      description = "Dry-runs SELECT 1 on a connection and records its status."
      db          = true
      roles       = ["roles/bigquery.jobUser"]
      ingress     = "ALLOW_INTERNAL_AND_GCLB"
      public      = true
      trigger     = null
      timeout     = 60
      concurrency = null
    }
    scan = {
      description = "Lists a connection's datasets and tables into the catalog."
      db          = true
      roles       = ["roles/bigquery.jobUser"]
      ingress     = "ALLOW_INTERNAL_AND_GCLB"
      public      = true
      trigger     = null
      timeout     = 300
      concurrency = null
    }
    chat_turn = {
      description = "Chat sessions and messages; streams a turn's events (SSE)."
      db          = true
      roles       = []
      ingress     = "ALLOW_INTERNAL_AND_GCLB"
      public      = true
      trigger     = null
      timeout     = 300
      concurrency = 40
    }
    agent_step = {
      description = "One step of the agent loop (Cloud Tasks target)."
      db          = true
      roles       = ["roles/aiplatform.user", "roles/bigquery.jobUser"]
      ingress     = "ALLOW_INTERNAL_ONLY"
      public      = false
      trigger     = null
      timeout     = 300
      concurrency = 4
    }
    save_dashboard = {
      description = "Validates, dry-runs and stores dashboard YAML as a new version."
      db          = true
      roles       = ["roles/bigquery.jobUser"]
      ingress     = "ALLOW_INTERNAL_AND_GCLB"
      public      = true
      trigger     = null
      timeout     = 60
      concurrency = null
    }
    dashboards = {
      description = "Lists, reads, shows history of and deletes dashboards."
      db          = true
      roles       = []
      ingress     = "ALLOW_INTERNAL_AND_GCLB"
      public      = true
      trigger     = null
      timeout     = 60
      concurrency = null
    }
    serve_data = {
      description = "Compiles a dashboard and serves its query results (cache, byte cap)."
      db          = true
      roles       = ["roles/bigquery.jobUser"]
      ingress     = "ALLOW_INTERNAL_AND_GCLB"
      public      = true
      trigger     = null
      timeout     = 120
      concurrency = null
    }
    precompute = {
      description = "Warms a dashboard's cache when its YAML object is finalized."
      db          = true
      roles       = ["roles/bigquery.jobUser", "roles/eventarc.eventReceiver"]
      ingress     = "ALLOW_INTERNAL_ONLY"
      public      = false
      trigger     = "dashboards"
      timeout     = 300
      concurrency = 1
    }
    app = {
      description = "The web page: chat, dashboards and previews."
      db          = false
      roles       = []
      ingress     = "ALLOW_INTERNAL_AND_GCLB"
      public      = true
      trigger     = null
      timeout     = 60
      concurrency = null
    }
  }

  bundles_dir = dirname(var.bundles_manifest)
  bundles     = jsondecode(file(var.bundles_manifest)).functions

  # gen2 functions also answer on this deterministic URL, so agent_step can target itself.
  tasks_target_url = "https://${var.region}-${var.project_id}.cloudfunctions.net/${var.name_prefix}-agent-step"

  common_env = {
    BRIDGE_CLOUD                 = "gcp"
    BRIDGE_DATA_DIR              = "/tmp/bridge"
    BRIDGE_PUBLIC_URL            = "https://${var.domain}"
    BRIDGE_GCP_PROJECT           = var.project_id
    BRIDGE_GCP_REGION            = var.region
    BRIDGE_MODEL_REGION          = var.model_region
    BRIDGE_MODEL                 = var.model
    BRIDGE_BUCKET_DASHBOARDS     = module.bucket["dashboards"].name
    BRIDGE_BUCKET_CACHE          = module.bucket["cache"].name
    BRIDGE_BUCKET_SESSIONS       = module.bucket["sessions"].name
    BRIDGE_BUCKET_SECRETS        = module.bucket["secrets"].name
    BRIDGE_KMS_KEY               = module.kms.key_id
    BRIDGE_TASKS_QUEUE           = module.tasks_queue.id
    BRIDGE_TASKS_TARGET_URL      = local.tasks_target_url
    BRIDGE_TASKS_SERVICE_ACCOUNT = google_service_account.tasks_invoker.email
    BRIDGE_AUTH_AUDIENCE         = var.auth_audience == "" ? var.project_id : var.auth_audience
    BRIDGE_CONNECTOR_PREFIX      = var.name_prefix
    BRIDGE_IDENTITY_API_KEY      = var.identity_api_key != "" ? var.identity_api_key : google_apikeys_key.identity.key_string
    BRIDGE_DB_POOL_SIZE          = tostring(var.db_pool_size)
    BRIDGE_DB_MAX_OVERFLOW       = tostring(var.db_max_overflow)
    BRIDGE_DEFAULT_BYTE_CAP      = tostring(var.default_byte_cap)
    BRIDGE_ROW_LIMIT             = tostring(var.row_limit)
    BRIDGE_CACHE_TTL_SECONDS     = tostring(var.cache_ttl_seconds)
  }

  sizing = {
    for name, spec in local.functions : name => {
      max_instances   = coalesce(try(var.function_overrides[name].max_instances, null), var.default_max_instances)
      min_instances   = coalesce(try(var.function_overrides[name].min_instances, null), 0)
      concurrency     = coalesce(try(var.function_overrides[name].concurrency, null), spec.concurrency, var.default_concurrency)
      memory          = coalesce(try(var.function_overrides[name].memory, null), "512Mi")
      cpu             = coalesce(try(var.function_overrides[name].cpu, null), "1")
      timeout_seconds = coalesce(try(var.function_overrides[name].timeout_seconds, null), spec.timeout)
      threads         = try(var.function_overrides[name].threads, null)
    }
  }

  # Worst case: every instance of every database function holds a full pool plus overflow; an
  # instance of chat_turn also holds one LISTEN connection while it streams (shared/db/wakeup.py).
  db_connection_budget = sum([
    for name, spec in local.functions :
    local.sizing[name].max_instances * (var.db_pool_size + var.db_max_overflow + (name == "chat_turn" ? 1 : 0)) if spec.db
  ])
}

module "function" {
  source   = "./modules/function"
  for_each = local.functions

  project_id            = var.project_id
  region                = var.region
  name                  = each.key
  name_prefix           = var.name_prefix
  description           = each.value.description
  runtime               = var.runtime
  build_service_account = local.build_service_account
  labels                = var.labels
  source_bucket         = module.bucket["sources"].name
  bundle = {
    path   = "${local.bundles_dir}/${local.bundles[each.key].file}"
    sha256 = local.bundles[each.key].sha256
  }

  environment        = merge(local.common_env, each.key == "agent_step" ? var.model_base_urls : {})
  secret_environment = merge(each.key == "agent_step" ? var.model_secrets : {}, contains(local.auth_secret_functions, each.key) ? local.auth_secret_env : {})
  project_roles      = toset(each.value.roles)
  ingress            = each.value.ingress
  max_instances      = local.sizing[each.key].max_instances
  min_instances      = local.sizing[each.key].min_instances
  concurrency        = local.sizing[each.key].concurrency
  memory             = local.sizing[each.key].memory
  cpu                = local.sizing[each.key].cpu
  timeout_seconds    = local.sizing[each.key].timeout_seconds
  threads            = local.sizing[each.key].threads

  database = each.value.db ? {
    instance_name   = module.database.instance_name
    connection_name = module.database.connection_name
    database_name   = module.database.database_name
  } : null

  storage_trigger = each.value.trigger == null ? null : {
    bucket = module.bucket[each.value.trigger].name
  }

  # Browsers reach API functions only through the load balancer (ingress internal-and-gclb);
  # callers are authenticated by the app with Google ID tokens, so the LB may invoke them.
  invokers = merge(
    each.value.public && var.public_access == "allUsers" ? { public = "allUsers" } : {},
    each.key == "agent_step" ? { tasks = google_service_account.tasks_invoker.member } : {},
  )

  # Without allUsers (public_access = "no-invoker-iam-check"), deploy.sh turns off Cloud Run's
  # invoker check on the public services; the app still authenticates every request.
  invoker_iam_check = !(each.value.public && var.public_access == "no-invoker-iam-check")

  # Eventarc validates a Cloud Storage trigger against the storage agent's publisher grant;
  # builds run as the build service account, which needs its role first.
  depends_on = [
    module.apis,
    google_project_iam_member.storage_agent_pubsub,
    google_project_iam_member.build,
    google_service_account_iam_member.deployer_uses_build,
    google_secret_manager_secret_version.auth_secret, # "latest" must exist when the function starts
  ]
}

# Fails the plan when the worst-case connection count cannot fit in the database.
resource "terraform_data" "connection_budget" {
  input = local.db_connection_budget

  lifecycle {
    precondition {
      condition     = local.db_connection_budget + var.sql_reserved_connections <= var.sql_max_connections
      error_message = "Functions may open ${local.db_connection_budget} connections (max instances x (db_pool_size + db_max_overflow)) plus ${var.sql_reserved_connections} reserved, above sql_max_connections = ${var.sql_max_connections}. Lower max instances or the pool, or raise sql_max_connections (and the tier)."
    }
  }
}

check "function_overrides_name_functions" {
  assert {
    condition     = length(setsubtract(keys(var.function_overrides), keys(local.functions))) == 0
    error_message = "function_overrides names unknown functions: ${join(", ", setsubtract(keys(var.function_overrides), keys(local.functions)))}."
  }
}

# Keyless BigQuery connections: onboard creates one reader account per team (<prefix>-t-...),
# and the functions that read warehouses may mint tokens for those accounts only.
locals {
  warehouse_readers = ["validate", "scan", "agent_step", "save_dashboard", "serve_data", "precompute"]
}

resource "google_project_iam_member" "keyless_account_creator" {
  project = var.project_id
  role    = "roles/iam.serviceAccountCreator"
  member  = module.function["onboard"].service_account_member
}

resource "google_project_iam_member" "keyless_token_creator" {
  #checkov:skip=CKV_GCP_41:Reader accounts are created per team at run time, so the grant cannot sit on each account; the IAM condition limits it to <prefix>-t-* accounts.
  #checkov:skip=CKV_GCP_49:Same grant: token creation only, conditioned to the per-team reader accounts (<prefix>-t-*), never the functions' own accounts.
  for_each = toset(local.warehouse_readers)

  project = var.project_id
  role    = "roles/iam.serviceAccountTokenCreator"
  member  = module.function[each.key].service_account_member

  condition {
    title       = "bridge-team-readers"
    description = "Only the per-team reader accounts of keyless connections."
    expression  = "resource.name.startsWith(\"projects/-/serviceAccounts/${var.name_prefix}-t-\") || resource.name.startsWith(\"projects/${var.project_id}/serviceAccounts/${var.name_prefix}-t-\")"
  }
}
