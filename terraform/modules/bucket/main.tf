resource "google_storage_bucket" "this" {
  #checkov:skip=CKV_GCP_78:Versioning is per bucket (var.versioning): on for dashboards and secrets; cached results and bundles are rebuilt, not restored.
  #checkov:skip=CKV_GCP_62:Access logs go to Cloud Audit Logs (data access logs), not a legacy log bucket.
  project                     = var.project_id
  name                        = var.name
  location                    = var.location
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = var.force_destroy
  labels                      = var.labels

  versioning {
    enabled = var.versioning
  }

  dynamic "lifecycle_rule" {
    for_each = var.delete_after_days == null ? [] : [var.delete_after_days]
    content {
      condition {
        age = lifecycle_rule.value
      }
      action {
        type = "Delete"
      }
    }
  }

  dynamic "lifecycle_rule" {
    for_each = var.versioning && var.noncurrent_versions_kept_days != null ? [var.noncurrent_versions_kept_days] : []
    content {
      condition {
        days_since_noncurrent_time = lifecycle_rule.value
        with_state                 = "ARCHIVED"
      }
      action {
        type = "Delete"
      }
    }
  }

  dynamic "encryption" {
    for_each = var.kms_key_name == null ? [] : [var.kms_key_name]
    content {
      default_kms_key_name = encryption.value
    }
  }
}

resource "google_storage_bucket_iam_member" "this" {
  for_each = var.iam

  bucket = google_storage_bucket.this.name
  role   = each.value.role
  member = each.value.member
}
