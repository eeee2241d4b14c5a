variable "project_id" {
  description = "Project that owns the queue."
  type        = string
}

variable "location" {
  description = "Queue region (same as the functions)."
  type        = string
}

variable "name" {
  description = "Queue name."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9-]{1,100}$", var.name))
    error_message = "Queue names are letters, digits and dashes (at most 100)."
  }
}

variable "max_dispatches_per_second" {
  description = "Rate at which tasks leave the queue."
  type        = number
  default     = 20

  validation {
    condition     = var.max_dispatches_per_second > 0 && var.max_dispatches_per_second <= 500
    error_message = "max_dispatches_per_second must be in (0, 500]."
  }
}

variable "max_concurrent_dispatches" {
  description = "Tasks in flight at once; keep it at or below the target function's capacity."
  type        = number
  default     = 50

  validation {
    condition     = var.max_concurrent_dispatches >= 1 && var.max_concurrent_dispatches <= 5000
    error_message = "max_concurrent_dispatches must be between 1 and 5000."
  }
}

variable "max_attempts" {
  description = "Attempts per task, first one included (-1 means unlimited)."
  type        = number
  default     = 5

  validation {
    condition     = var.max_attempts == -1 || (var.max_attempts >= 1 && var.max_attempts <= 100)
    error_message = "max_attempts must be -1 or between 1 and 100."
  }
}

variable "min_backoff" {
  description = "Shortest wait before a retry, as a duration like \"1s\"."
  type        = string
  default     = "1s"

  validation {
    condition     = can(regex("^[0-9]+(\\.[0-9]+)?s$", var.min_backoff))
    error_message = "min_backoff must be a duration in seconds such as \"1s\"."
  }
}

variable "max_backoff" {
  description = "Longest wait between retries, as a duration like \"60s\"."
  type        = string
  default     = "60s"

  validation {
    condition     = can(regex("^[0-9]+(\\.[0-9]+)?s$", var.max_backoff))
    error_message = "max_backoff must be a duration in seconds such as \"60s\"."
  }
}

variable "max_doublings" {
  description = "How many times the backoff doubles before growing linearly."
  type        = number
  default     = 4
}

variable "max_retry_duration" {
  description = "Give up retrying a task after this long, e.g. \"900s\"."
  type        = string
  default     = "900s"

  validation {
    condition     = can(regex("^[0-9]+s$", var.max_retry_duration))
    error_message = "max_retry_duration must be a whole number of seconds such as \"900s\"."
  }
}

variable "logging_sampling_ratio" {
  description = "Fraction of task operations logged (0 to 1)."
  type        = number
  default     = 1.0

  validation {
    condition     = var.logging_sampling_ratio >= 0 && var.logging_sampling_ratio <= 1
    error_message = "logging_sampling_ratio must be between 0 and 1."
  }
}

variable "iam" {
  description = "Queue IAM members keyed by a static label: { key = { role, member } }."
  type = map(object({
    role   = string
    member = string
  }))
  default = {}

  validation {
    condition     = alltrue([for b in values(var.iam) : startswith(b.role, "roles/cloudtasks.")])
    error_message = "Queue IAM roles must be roles/cloudtasks.* roles."
  }
}
