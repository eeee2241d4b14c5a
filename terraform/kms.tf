locals {
  # Only onboard encrypts credentials; functions that query a warehouse decrypt them.
  kms_access = {
    onboard        = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
    validate       = "roles/cloudkms.cryptoKeyDecrypter"
    scan           = "roles/cloudkms.cryptoKeyDecrypter"
    agent_step     = "roles/cloudkms.cryptoKeyDecrypter"
    save_dashboard = "roles/cloudkms.cryptoKeyDecrypter"
    serve_data     = "roles/cloudkms.cryptoKeyDecrypter"
    precompute     = "roles/cloudkms.cryptoKeyDecrypter"
  }
}

module "kms" {
  source = "./modules/kms_key"

  project_id      = var.project_id
  location        = var.region
  key_ring_name   = "${var.name_prefix}-keyring${var.recreate_suffix}"
  key_name        = "${var.name_prefix}-credentials"
  rotation_period = var.kms_rotation_period
  labels          = var.labels

  iam = {
    for fn, role in local.kms_access : fn => {
      role   = role
      member = module.function[fn].service_account_member
    }
  }

  depends_on = [module.apis]
}

# With CMEK, Cloud Storage's service agent wraps object keys with the Bridge key.
resource "google_kms_crypto_key_iam_member" "storage_agent" {
  count = var.use_cmek ? 1 : 0

  crypto_key_id = module.kms.key_id
  role          = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
  member        = data.google_storage_project_service_account.gcs.member
}
