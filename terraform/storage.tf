locals {
  storage_viewer = "roles/storage.objectViewer"
  storage_user   = "roles/storage.objectUser"

  buckets = {
    dashboards = { versioning = true, delete_after_days = null, noncurrent_days = var.dashboard_history_days }
    cache      = { versioning = false, delete_after_days = var.cache_retention_days, noncurrent_days = null }
    sessions   = { versioning = false, delete_after_days = var.session_log_retention_days, noncurrent_days = null }
    secrets    = { versioning = true, delete_after_days = null, noncurrent_days = 30 }
    sources    = { versioning = false, delete_after_days = null, noncurrent_days = null }
  }

  # bucket => function => role. Nothing else reads or writes Bridge's objects.
  bucket_access = {
    dashboards = {
      save_dashboard = local.storage_user
      dashboards     = local.storage_user
      agent_step     = local.storage_user
      serve_data     = local.storage_viewer
      precompute     = local.storage_viewer
    }
    cache = {
      serve_data = local.storage_user
      precompute = local.storage_user
    }
    sessions = {
      chat_turn  = local.storage_user
      agent_step = local.storage_user
    }
    secrets = {
      onboard        = local.storage_user
      validate       = local.storage_viewer
      scan           = local.storage_viewer
      agent_step     = local.storage_viewer
      save_dashboard = local.storage_viewer
      serve_data     = local.storage_viewer
      precompute     = local.storage_viewer
    }
    sources = {}
  }

  build_sa_email = element(split("/", local.build_service_account), 3)
}

module "bucket" {
  source   = "./modules/bucket"
  for_each = local.buckets

  project_id                    = var.project_id
  name                          = "${var.project_id}-${var.name_prefix}-${each.key}"
  location                      = var.region
  versioning                    = each.value.versioning
  delete_after_days             = each.value.delete_after_days
  noncurrent_versions_kept_days = each.value.noncurrent_days
  kms_key_name                  = var.use_cmek ? module.kms.key_id : null
  force_destroy                 = var.force_destroy_buckets
  labels                        = var.labels

  iam = merge(
    {
      for fn, role in local.bucket_access[each.key] : fn => {
        role   = role
        member = module.function[fn].service_account_member
      }
    },
    each.key == "sources" ? {
      build = { role = local.storage_viewer, member = "serviceAccount:${local.build_sa_email}" }
    } : {},
  )

  depends_on = [module.apis, google_kms_crypto_key_iam_member.storage_agent]
}

data "google_storage_project_service_account" "gcs" {
  project    = var.project_id
  depends_on = [module.apis]
}

# Cloud Storage publishes object-finalize events to Pub/Sub for Eventarc.
resource "google_project_iam_member" "storage_agent_pubsub" {
  project = var.project_id
  role    = "roles/pubsub.publisher"
  member  = data.google_storage_project_service_account.gcs.member
}
