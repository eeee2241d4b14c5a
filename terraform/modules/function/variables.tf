variable "project_id" {
  description = "Project that runs the function."
  type        = string
}

variable "region" {
  description = "Region of the function, its bundle and its trigger."
  type        = string
}

variable "name" {
  description = "Folder under functions/ and the Python entry point it exports (e.g. serve_data)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{1,30}$", var.name))
    error_message = "name must be a lowercase Python identifier (the function folder name)."
  }
}

variable "name_prefix" {
  description = "Prefix of the function and service account names."
  type        = string
}

variable "description" {
  description = "What the function does."
  type        = string
  default     = ""
}

variable "bundle" {
  description = "The zip built by scripts/bundle.py: local path and sha256 of its bytes."
  type = object({
    path   = string
    sha256 = string
  })

  validation {
    condition     = can(regex("^[0-9a-f]{64}$", var.bundle.sha256))
    error_message = "bundle.sha256 must be 64 lowercase hex digits."
  }
}

variable "source_bucket" {
  description = "Bucket the bundle is uploaded to for Cloud Build."
  type        = string
}

variable "runtime" {
  description = "Python runtime of the function."
  type        = string
  default     = "python311"

  validation {
    condition     = can(regex("^python3[0-9]{2}$", var.runtime))
    error_message = "runtime must be a Python runtime such as python311."
  }
}

variable "build_service_account" {
  description = "Full resource name of the service account Cloud Build uses; null uses the project default."
  type        = string
  default     = null
}

variable "environment" {
  description = "BRIDGE_* environment variables (the database ones are added by this module)."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k in keys(var.environment) : startswith(k, "BRIDGE_")])
    error_message = "Environment variables must be BRIDGE_* settings."
  }
}

variable "secret_environment" {
  description = "Environment variable name -> Secret Manager secret id (same project), mounted at its latest version."
  type        = map(string)
  default     = {}
}

variable "ingress" {
  description = <<-EOT
    ALLOW_INTERNAL_AND_GCLB (behind the load balancer) or ALLOW_INTERNAL_ONLY (tasks, events).
    ALLOW_ALL only for a function no one may invoke without IAM (the deploy's migrate function).
  EOT
  type        = string
  default     = "ALLOW_INTERNAL_AND_GCLB"

  validation {
    condition     = contains(["ALLOW_INTERNAL_AND_GCLB", "ALLOW_INTERNAL_ONLY", "ALLOW_ALL"], var.ingress)
    error_message = "ingress must be ALLOW_INTERNAL_AND_GCLB, ALLOW_INTERNAL_ONLY or (IAM-only functions) ALLOW_ALL."
  }
}

variable "memory" {
  description = "Memory per instance, e.g. 512Mi."
  type        = string
  default     = "512Mi"

  validation {
    condition     = can(regex("^[0-9]+(Mi|Gi)$", var.memory))
    error_message = "memory must look like 512Mi or 1Gi."
  }
}

variable "cpu" {
  description = "vCPUs per instance; concurrency above 1 needs at least 1."
  type        = string
  default     = "1"
}

variable "timeout_seconds" {
  description = "Request timeout (also bounds how long an SSE stream stays open)."
  type        = number
  default     = 60

  validation {
    condition     = var.timeout_seconds >= 1 && var.timeout_seconds <= 3600
    error_message = "timeout_seconds must be between 1 and 3600."
  }
}

variable "min_instances" {
  description = "Instances kept warm."
  type        = number
  default     = 0

  validation {
    condition     = var.min_instances >= 0
    error_message = "min_instances must not be negative."
  }
}

variable "max_instances" {
  description = "Instance cap; with the database pool size it bounds this function's connections."
  type        = number

  validation {
    condition     = var.max_instances >= 1 && var.max_instances <= 1000
    error_message = "max_instances must be between 1 and 1000."
  }
}

variable "concurrency" {
  description = "Requests served at once by one instance."
  type        = number
  default     = 8

  validation {
    condition     = var.concurrency >= 1 && var.concurrency <= 1000
    error_message = "concurrency must be between 1 and 1000."
  }
}

variable "project_roles" {
  description = "Project-level roles of the function's own service account (keep this short)."
  type        = set(string)
  default     = []

  validation {
    condition = alltrue([for r in var.project_roles : !contains(
      ["roles/owner", "roles/editor", "roles/iam.serviceAccountTokenCreator"], r
    )])
    error_message = "Functions never get owner, editor or token-creator roles."
  }
}

variable "database" {
  description = "Cloud SQL access through the connector with IAM auth; null for functions without a database."
  type = object({
    instance_name   = string
    connection_name = string
    database_name   = string
  })
  default = null
}

variable "storage_trigger" {
  description = "Run on object finalize in this bucket (Eventarc, CloudEvent); null for HTTP functions."
  type = object({
    bucket = string
    retry  = optional(bool, true)
  })
  default = null
}

variable "invokers" {
  description = "Who may invoke the function, keyed by a static label: { key = member }."
  type        = map(string)
  default     = {}
}

variable "labels" {
  description = "Labels put on the function."
  type        = map(string)
  default     = {}
}

variable "threads" {
  description = "functions-framework worker threads (THREADS); null means one per concurrent request (concurrency)."
  type        = number
  default     = null

  validation {
    condition     = var.threads == null ? true : var.threads >= 1 && var.threads <= 1000
    error_message = "threads must be between 1 and 1000."
  }
}

variable "invoker_iam_check" {
  description = "false when deploy.sh turns Cloud Run's invoker IAM check off for this service (public_access = no-invoker-iam-check)."
  type        = bool
  default     = true
}
