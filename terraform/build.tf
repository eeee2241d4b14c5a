# Cloud Build runs function builds as this account. New projects no longer give the Compute
# default account Editor, so builds without an explicit account fail there.
resource "google_service_account" "build" {
  count        = var.build_service_account == null ? 1 : 0
  project      = var.project_id
  account_id   = "${var.name_prefix}-build"
  display_name = "Bridge function builds (Cloud Build)"
}

resource "google_project_iam_member" "build" {
  for_each = var.build_service_account == null ? toset(["roles/cloudbuild.builds.builder"]) : toset([])

  project = var.project_id
  role    = each.value
  member  = google_service_account.build[0].member
}

# Deploying a function that builds as another account needs actAs on that account.
resource "google_service_account_iam_member" "deployer_uses_build" {
  count = var.build_service_account == null ? 1 : 0

  service_account_id = google_service_account.build[0].name
  role               = "roles/iam.serviceAccountUser"
  member             = local.deployer_member
}

locals {
  build_service_account = var.build_service_account != null ? var.build_service_account : google_service_account.build[0].id
}
