resource "google_cloud_tasks_queue" "this" {
  project  = var.project_id
  location = var.location
  name     = var.name

  rate_limits {
    max_dispatches_per_second = var.max_dispatches_per_second
    max_concurrent_dispatches = var.max_concurrent_dispatches
  }

  retry_config {
    max_attempts       = var.max_attempts
    min_backoff        = var.min_backoff
    max_backoff        = var.max_backoff
    max_doublings      = var.max_doublings
    max_retry_duration = var.max_retry_duration
  }

  stackdriver_logging_config {
    sampling_ratio = var.logging_sampling_ratio
  }
}

resource "google_cloud_tasks_queue_iam_member" "this" {
  for_each = var.iam

  project  = var.project_id
  location = var.location
  name     = google_cloud_tasks_queue.this.name
  role     = each.value.role
  member   = each.value.member
}
