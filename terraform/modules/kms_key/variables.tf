variable "project_id" {
  description = "Project that owns the key ring."
  type        = string
}

variable "location" {
  description = "Key ring location (same region as the data it protects)."
  type        = string
}

variable "key_ring_name" {
  description = "Key ring name (key rings cannot be deleted; pick a stable name)."
  type        = string
}

variable "key_name" {
  description = "Crypto key name."
  type        = string
}

variable "rotation_period" {
  description = "Automatic rotation period in seconds with an 's' suffix, at most 90 days (7776000s)."
  type        = string
  default     = "7776000s"

  validation {
    condition = (
      can(regex("^[0-9]+s$", var.rotation_period))
      && tonumber(trimsuffix(var.rotation_period, "s")) >= 86400
      && tonumber(trimsuffix(var.rotation_period, "s")) <= 7776000
    )
    error_message = "rotation_period must look like \"7776000s\" and lie between 1 day and 90 days."
  }
}

variable "protection_level" {
  description = "SOFTWARE or HSM."
  type        = string
  default     = "SOFTWARE"

  validation {
    condition     = contains(["SOFTWARE", "HSM"], var.protection_level)
    error_message = "protection_level must be SOFTWARE or HSM."
  }
}

variable "labels" {
  description = "Labels put on the key."
  type        = map(string)
  default     = {}
}

variable "iam" {
  description = "Key IAM members keyed by a static label: { key = { role, member } }."
  type = map(object({
    role   = string
    member = string
  }))
  default = {}

  validation {
    condition     = alltrue([for b in values(var.iam) : startswith(b.role, "roles/cloudkms.")])
    error_message = "Key IAM roles must be roles/cloudkms.* roles."
  }
}
