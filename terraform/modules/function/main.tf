locals {
  # Cloud Run (and so gen2 function) names allow lowercase letters, digits and dashes.
  function_name = "${var.name_prefix}-${replace(var.name, "_", "-")}"
  db_env = var.database == null ? {} : {
    BRIDGE_CLOUDSQL_INSTANCE = var.database.connection_name
    BRIDGE_DB_NAME           = var.database.database_name
    BRIDGE_DB_USER           = trimsuffix(google_service_account.this.email, ".gserviceaccount.com")
    BRIDGE_DB_IAM_AUTH       = "true"
  }
  # Without allUsers, Cloud Run admits only callers whose token its IAM check verified; the
  # tasks route may then accept a token whose signature Google removed (claims still checked).
  runtime_env = {
    BRIDGE_REQUIRES_AUTHENTICATION = var.invoker_iam_check && !contains(values(var.invokers), "allUsers") ? "true" : "false"
    # functions-framework's gunicorn threads: one per concurrent request, so a long SSE stream
    # never leaves a request Cloud Run routed here waiting for a free thread.
    THREADS = tostring(coalesce(var.threads, var.concurrency))
  }
}

# One identity per function: it holds only the roles this function needs.
resource "google_service_account" "this" {
  project      = var.project_id
  account_id   = local.function_name
  display_name = "Bridge function ${var.name}"
}

resource "google_project_iam_member" "this" {
  for_each = var.project_roles

  project = var.project_id
  role    = each.value
  member  = google_service_account.this.member
}

resource "google_secret_manager_secret_iam_member" "this" {
  for_each = var.secret_environment

  project   = var.project_id
  secret_id = each.value
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.this.member
}

resource "google_sql_user" "this" {
  count = var.database == null ? 0 : 1

  project  = var.project_id
  instance = var.database.instance_name
  name     = trimsuffix(google_service_account.this.email, ".gserviceaccount.com")
  type     = "CLOUD_IAM_SERVICE_ACCOUNT"
}

resource "google_project_iam_member" "database" {
  for_each = var.database == null ? toset([]) : toset(["roles/cloudsql.client", "roles/cloudsql.instanceUser"])

  project = var.project_id
  role    = each.value
  member  = google_service_account.this.member
}

# The object name is the bundle's content hash: new content redeploys, identical content does not.
resource "google_storage_bucket_object" "source" {
  bucket       = var.source_bucket
  name         = "functions/${var.name}/${var.bundle.sha256}.zip"
  source       = var.bundle.path
  content_type = "application/zip"
}

resource "google_cloudfunctions2_function" "this" {
  #checkov:skip=CKV_GCP_124:Only the deploy's migrate function uses ALLOW_ALL, guarded by the IAM invoker check (precondition below, tests/infra); every other ingress is internal.
  project     = var.project_id
  location    = var.region
  name        = local.function_name
  description = var.description
  labels      = merge(var.labels, { function = replace(var.name, "_", "-") })

  build_config {
    runtime         = var.runtime
    entry_point     = var.name
    service_account = var.build_service_account

    source {
      storage_source {
        bucket = var.source_bucket
        object = google_storage_bucket_object.source.name
      }
    }
  }

  service_config {
    service_account_email            = google_service_account.this.email
    ingress_settings                 = var.ingress
    all_traffic_on_latest_revision   = true
    available_memory                 = var.memory
    available_cpu                    = var.cpu
    timeout_seconds                  = var.timeout_seconds
    min_instance_count               = var.min_instances
    max_instance_count               = var.max_instances
    max_instance_request_concurrency = var.concurrency
    environment_variables            = merge(var.environment, local.db_env, local.runtime_env)

    dynamic "secret_environment_variables" {
      for_each = var.secret_environment
      content {
        key        = secret_environment_variables.key
        project_id = var.project_id
        secret     = secret_environment_variables.value
        version    = "latest"
      }
    }
  }

  dynamic "event_trigger" {
    for_each = var.storage_trigger == null ? [] : [var.storage_trigger]
    content {
      trigger_region        = var.region
      event_type            = "google.cloud.storage.object.v1.finalized"
      retry_policy          = event_trigger.value.retry ? "RETRY_POLICY_RETRY" : "RETRY_POLICY_DO_NOT_RETRY"
      service_account_email = google_service_account.this.email

      event_filters {
        attribute = "bucket"
        value     = event_trigger.value.bucket
      }
    }
  }

  lifecycle {
    precondition {
      condition     = var.ingress != "ALLOW_ALL" || (var.invoker_iam_check && !contains(values(var.invokers), "allUsers"))
      error_message = "ALLOW_ALL ingress is only for functions that Cloud Run's IAM check guards (no allUsers)."
    }
  }

  depends_on = [
    google_project_iam_member.this,
    google_project_iam_member.database,
    google_secret_manager_secret_iam_member.this,
  ]
}

# Invokers sit beside the function's Cloud Run service (gen2 functions run as Cloud Run services).
resource "google_cloud_run_v2_service_iam_member" "invoker" {
  for_each = merge(
    var.invokers,
    var.storage_trigger == null ? {} : { eventarc = google_service_account.this.member },
  )

  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.this.name
  role     = "roles/run.invoker"
  member   = each.value
}
