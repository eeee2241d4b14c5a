resource "google_sql_database_instance" "this" {
  #checkov:skip=CKV_GCP_79:Bridge targets PostgreSQL 15 (what CI tests); newer majors are a var.database_version away.
  #checkov:skip=CKV2_GCP_13:log_duration=on logs every statement and chat streams poll the database several times a second; errors and lock waits are still logged.
  #checkov:skip=CKV_GCP_60:Public IP has no authorized networks; clients reach it only through the Cloud SQL connector with IAM auth and client certificates.
  project             = var.project_id
  name                = var.name
  region              = var.region
  database_version    = var.database_version
  deletion_protection = var.deletion_protection

  settings {
    tier                        = var.tier
    edition                     = "ENTERPRISE"
    availability_type           = var.availability_type
    disk_autoresize             = true
    disk_type                   = "PD_SSD"
    deletion_protection_enabled = var.deletion_protection
    user_labels                 = var.labels

    backup_configuration {
      enabled                        = true
      point_in_time_recovery_enabled = true
      start_time                     = var.backup_start_time
      transaction_log_retention_days = 7

      backup_retention_settings {
        retained_backups = var.retained_backups
        retention_unit   = "COUNT"
      }
    }

    ip_configuration {
      ipv4_enabled = true
      ssl_mode     = "TRUSTED_CLIENT_CERTIFICATE_REQUIRED"
    }

    maintenance_window {
      day          = 7
      hour         = 3
      update_track = "stable"
    }

    insights_config {
      query_insights_enabled  = true
      record_application_tags = false
      record_client_address   = false
    }

    # IAM database login for the functions' service accounts and the migrators.
    database_flags {
      name  = "cloudsql.iam_authentication"
      value = "on"
    }
    database_flags {
      name  = "max_connections"
      value = tostring(var.max_connections)
    }

    # Audit logging.
    database_flags {
      name  = "cloudsql.enable_pgaudit"
      value = "on"
    }
    database_flags {
      name  = "log_checkpoints"
      value = "on"
    }
    database_flags {
      name  = "log_connections"
      value = "on"
    }
    database_flags {
      name  = "log_disconnections"
      value = "on"
    }
    # Off: it writes a log line per statement, and every open chat stream polls the database.
    database_flags {
      name  = "log_duration"
      value = "off"
    }
    database_flags {
      name  = "log_hostname"
      value = "on"
    }
    database_flags {
      name  = "log_lock_waits"
      value = "on"
    }
    database_flags {
      name  = "log_min_duration_statement"
      value = "-1"
    }
    database_flags {
      name  = "log_min_error_statement"
      value = "error"
    }
    database_flags {
      name  = "log_min_messages"
      value = "error"
    }
    database_flags {
      name  = "log_statement"
      value = "ddl"
    }
    database_flags {
      name  = "log_temp_files"
      value = "0"
    }

    dynamic "database_flags" {
      for_each = var.extra_flags
      content {
        name  = database_flags.key
        value = database_flags.value
      }
    }
  }
}

resource "google_sql_database" "this" {
  project  = var.project_id
  instance = google_sql_database_instance.this.name
  name     = var.database_name
}

# Human operators (e.g. whoever runs migrations) log in with their Google identity.
resource "google_sql_user" "iam_user" {
  for_each = var.iam_users

  project  = var.project_id
  instance = google_sql_database_instance.this.name
  name     = each.value
  type     = "CLOUD_IAM_USER"
}

resource "google_project_iam_member" "iam_user" {
  for_each = {
    for pair in setproduct(tolist(var.iam_users), ["roles/cloudsql.client", "roles/cloudsql.instanceUser"]) :
    "${pair[0]}|${pair[1]}" => { email = pair[0], role = pair[1] }
  }

  project = var.project_id
  role    = each.value.role
  member  = "user:${each.value.email}"
}
