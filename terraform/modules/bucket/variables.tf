variable "project_id" {
  description = "Project that owns the bucket."
  type        = string
}

variable "name" {
  description = "Globally unique bucket name."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$", var.name))
    error_message = "Bucket names are 3-63 lowercase letters, digits, dots, dashes or underscores."
  }
}

variable "location" {
  description = "Bucket location (a region keeps data next to the functions)."
  type        = string
}

variable "versioning" {
  description = "Keep noncurrent generations of overwritten or deleted objects."
  type        = bool
  default     = false
}

variable "noncurrent_versions_kept_days" {
  description = "Delete noncurrent generations this many days after they became noncurrent; null keeps them."
  type        = number
  default     = null

  validation {
    condition     = var.noncurrent_versions_kept_days == null ? true : var.noncurrent_versions_kept_days >= 1
    error_message = "noncurrent_versions_kept_days must be at least 1 (or null)."
  }
}

variable "delete_after_days" {
  description = "Delete objects this many days after creation; null keeps them."
  type        = number
  default     = null

  validation {
    condition     = var.delete_after_days == null ? true : var.delete_after_days >= 1
    error_message = "delete_after_days must be at least 1 (or null)."
  }
}

variable "kms_key_name" {
  description = "Customer-managed key for default encryption (CMEK); null uses Google-managed keys."
  type        = string
  default     = null
}

variable "force_destroy" {
  description = "Allow terraform destroy to delete a bucket that still holds objects."
  type        = bool
  default     = false
}

variable "labels" {
  description = "Labels put on the bucket."
  type        = map(string)
  default     = {}
}

variable "iam" {
  description = "Bucket IAM members keyed by a static label: { key = { role, member } }."
  type = map(object({
    role   = string
    member = string
  }))
  default = {}

  validation {
    condition     = alltrue([for b in values(var.iam) : startswith(b.role, "roles/storage.")])
    error_message = "Bucket IAM roles must be roles/storage.* roles."
  }
}
