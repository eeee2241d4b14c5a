# Chat stream tokens (shared/entry/stream_token.py) are HMAC-signed with BRIDGE_AUTH_SECRET. A
# token minted on one instance is checked on whichever instance serves the stream, so every
# instance of every function that mints or checks one must hold the same key: Terraform draws
# it once, keeps it in Secret Manager and mounts it into those functions only. The value is in
# the Terraform state too (the state bucket is private and versioned; scripts/deploy.sh).
locals {
  auth_secret_functions = ["chat_turn"] # the stream-token and event-stream routes
  auth_secret_env       = { BRIDGE_AUTH_SECRET = google_secret_manager_secret.auth_secret.secret_id }
}

resource "random_password" "auth_secret" {
  length  = 64
  special = false
}

resource "google_secret_manager_secret" "auth_secret" {
  project   = var.project_id
  secret_id = "${var.name_prefix}-auth-secret"
  labels    = var.labels

  replication {
    auto {}
  }

  depends_on = [module.apis]
}

resource "google_secret_manager_secret_version" "auth_secret" {
  secret      = google_secret_manager_secret.auth_secret.id
  secret_data = random_password.auth_secret.result
}
