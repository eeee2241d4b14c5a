variable "project_id" {
  description = "Project that owns the instance."
  type        = string
}

variable "region" {
  description = "Region of the instance (same as the functions)."
  type        = string
}

variable "name" {
  description = "Instance name."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,96}[a-z0-9]$", var.name))
    error_message = "Instance names are lowercase letters, digits and dashes, starting with a letter."
  }
}

variable "database_version" {
  description = "PostgreSQL major version."
  type        = string
  default     = "POSTGRES_15"

  validation {
    condition     = can(regex("^POSTGRES_1[5-9]$", var.database_version))
    error_message = "database_version must be POSTGRES_15 or newer."
  }
}

variable "tier" {
  description = "Machine tier, e.g. db-custom-1-3840. Its memory bounds a sensible max_connections."
  type        = string
  default     = "db-custom-1-3840"
}

variable "availability_type" {
  description = "ZONAL or REGIONAL (high availability)."
  type        = string
  default     = "ZONAL"

  validation {
    condition     = contains(["ZONAL", "REGIONAL"], var.availability_type)
    error_message = "availability_type must be ZONAL or REGIONAL."
  }
}

variable "max_connections" {
  description = "The max_connections database flag."
  type        = number

  validation {
    condition     = var.max_connections >= 25 && var.max_connections <= 10000
    error_message = "max_connections must be between 25 and 10000."
  }
}

variable "extra_flags" {
  description = "More database flags (name => value), beyond IAM auth, max_connections and audit logging."
  type        = map(string)
  default     = {}

  validation {
    condition = length(setintersection(keys(var.extra_flags), [
      "cloudsql.iam_authentication", "max_connections", "cloudsql.enable_pgaudit", "log_checkpoints",
      "log_connections", "log_disconnections", "log_duration", "log_hostname", "log_lock_waits",
      "log_min_duration_statement", "log_min_error_statement", "log_min_messages", "log_statement",
      "log_temp_files",
    ])) == 0
    error_message = "extra_flags must not redefine a flag this module already sets."
  }
}

variable "database_name" {
  description = "Name of the application database."
  type        = string
  default     = "bridge"
}

variable "iam_users" {
  description = "Emails of people who log in with IAM database auth (e.g. to run migrations)."
  type        = set(string)
  default     = []

  validation {
    condition     = alltrue([for e in var.iam_users : can(regex("^[^@\\s]+@[^@\\s]+$", e))])
    error_message = "iam_users must be email addresses."
  }
}

variable "backup_start_time" {
  description = "Daily backup start, HH:MM in UTC."
  type        = string
  default     = "02:00"

  validation {
    condition     = can(regex("^([01][0-9]|2[0-3]):[0-5][0-9]$", var.backup_start_time))
    error_message = "backup_start_time must be HH:MM."
  }
}

variable "retained_backups" {
  description = "Number of automated backups kept."
  type        = number
  default     = 14

  validation {
    condition     = var.retained_backups >= 1 && var.retained_backups <= 365
    error_message = "retained_backups must be between 1 and 365."
  }
}

variable "deletion_protection" {
  description = "Refuse to delete the instance (both in Terraform and in the API)."
  type        = bool
  default     = true
}

variable "labels" {
  description = "Labels put on the instance."
  type        = map(string)
  default     = {}
}
