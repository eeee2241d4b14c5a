variable "project_id" {
  description = "Google Cloud project that runs Bridge."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a project ID (6-30 lowercase letters, digits, dashes)."
  }
}

variable "region" {
  description = "Region of the functions, database, buckets, key ring and queue."
  type        = string
  default     = "europe-west1"

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]$", var.region))
    error_message = "region must be a region name such as europe-west1."
  }
}

variable "model_region" {
  description = "Vertex AI region of the Gemini model (BRIDGE_MODEL_REGION)."
  type        = string
  default     = "europe-west1"
}

variable "model" {
  description = <<-EOT
    Model the agent uses (BRIDGE_MODEL): a Gemini model id, openai:<model id>, anthropic:<model id>
    (keys in model_secrets) or 'offline'. Vertex AI's latest stable models (docs/deploy.md lists
    them with their lifecycle): gemini-3.5-flash (default) and gemini-3.1-flash-lite. gemini-2.5-*
    and older are retired.
  EOT
  type        = string
  default     = "gemini-3.5-flash"

  validation {
    condition     = var.model == "offline" || can(regex("^(gemini-[0-9]|openai:.|anthropic:.)", var.model))
    error_message = "model must be a Gemini model id (see docs/deploy.md), openai:<id>, anthropic:<id> or 'offline'."
  }

  validation {
    condition     = !can(regex("^gemini-(1\\.|2\\.)", var.model))
    error_message = "Gemini 1.x and 2.x models are retired on Vertex AI; pick one listed in docs/deploy.md."
  }
}

variable "model_secrets" {
  description = <<-EOT
    Model API keys from Secret Manager, mounted into the agent function as environment variables:
    { BRIDGE_OPENAI_API_KEY = "<secret id>", BRIDGE_ANTHROPIC_API_KEY = ..., BRIDGE_GEMINI_API_KEY = ... }.
    Empty (the default) uses Vertex AI with the function's service account.
  EOT
  type        = map(string)
  default     = {}

  validation {
    condition = alltrue([
      for k in keys(var.model_secrets) :
      contains(["BRIDGE_OPENAI_API_KEY", "BRIDGE_ANTHROPIC_API_KEY", "BRIDGE_GEMINI_API_KEY"], k)
    ])
    error_message = "model_secrets keys are BRIDGE_OPENAI_API_KEY, BRIDGE_ANTHROPIC_API_KEY or BRIDGE_GEMINI_API_KEY."
  }
}

variable "model_base_urls" {
  description = "Optional BRIDGE_OPENAI_BASE_URL / BRIDGE_ANTHROPIC_BASE_URL (e.g. a vLLM server)."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k in keys(var.model_base_urls) : contains(["BRIDGE_OPENAI_BASE_URL", "BRIDGE_ANTHROPIC_BASE_URL"], k)])
    error_message = "model_base_urls keys are BRIDGE_OPENAI_BASE_URL or BRIDGE_ANTHROPIC_BASE_URL."
  }
}

variable "name_prefix" {
  description = "Prefix of every resource name (functions, service accounts, buckets, database)."
  type        = string
  default     = "bridge"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,11}$", var.name_prefix))
    error_message = "name_prefix must be 2-12 lowercase letters, digits or dashes, starting with a letter."
  }
}

variable "domain" {
  description = "Domain of the HTTPS entry (Google-managed certificate). Point its A record at output ip_address."
  type        = string

  validation {
    condition     = can(regex("^([a-z0-9-]+\\.)+[a-z]{2,}$", var.domain))
    error_message = "domain must be a fully qualified domain name such as bridge.example.com."
  }
}

variable "auth_audience" {
  description = "Expected audience of users' Google ID tokens (BRIDGE_AUTH_AUDIENCE); empty means project_id."
  type        = string
  default     = ""
}

variable "bundles_manifest" {
  description = "dist/bundles.json written by scripts/bundle.py, relative to the terraform directory."
  type        = string
  default     = "../dist/bundles.json"
}

variable "runtime" {
  description = "Python runtime of every function."
  type        = string
  default     = "python311"
}

variable "build_service_account" {
  description = "Full resource name (projects/P/serviceAccounts/EMAIL) of the account Cloud Build uses for function builds; null creates <name_prefix>-build with roles/cloudbuild.builds.builder."
  type        = string
  default     = null
}

variable "public_access" {
  description = <<-EOT
    How browsers' requests pass Cloud Run's invoker check on the public functions (the app then
    authenticates each one): "allUsers" grants roles/run.invoker to allUsers, which the Domain
    Restricted Sharing org policy refuses; "no-invoker-iam-check" grants nothing and deploy.sh
    disables the invoker check on those services (ingress stays internal-and-load-balancer).
  EOT
  type        = string
  default     = "allUsers"

  validation {
    condition     = contains(["allUsers", "no-invoker-iam-check"], var.public_access)
    error_message = "public_access must be allUsers or no-invoker-iam-check."
  }
}

variable "recreate_suffix" {
  description = "Appended to the KMS key ring and task queue names. After a destroy, set e.g. \"-2\": key rings are never deleted and queue names stay taken for days."
  type        = string
  default     = ""

  validation {
    condition     = can(regex("^(-[a-z0-9]{1,8})?$", var.recreate_suffix))
    error_message = "recreate_suffix is empty or a dash and up to 8 lowercase letters or digits."
  }
}

variable "labels" {
  description = "Labels put on every labelled resource."
  type        = map(string)
  default     = { app = "bridge" }
}

# Storage and keys

variable "use_cmek" {
  description = "Encrypt every bucket with the Bridge KMS key (CMEK) instead of Google-managed keys."
  type        = bool
  default     = false
}

variable "kms_rotation_period" {
  description = "Rotation period of the KMS key, e.g. 7776000s (90 days)."
  type        = string
  default     = "7776000s"
}

variable "cache_retention_days" {
  description = "Cached query results are deleted this many days after they were written."
  type        = number
  default     = 7

  validation {
    condition     = var.cache_retention_days >= 1 && var.cache_retention_days <= 365
    error_message = "cache_retention_days must be between 1 and 365."
  }
}

variable "session_log_retention_days" {
  description = "Chat transcripts are deleted this many days after creation; null keeps them."
  type        = number
  default     = null
}

variable "dashboard_history_days" {
  description = "Old dashboard versions are deleted this many days after being replaced; null keeps the full history."
  type        = number
  default     = null
}

variable "force_destroy_buckets" {
  description = "Let terraform destroy delete buckets that still hold objects (test projects only)."
  type        = bool
  default     = false
}

# Database

variable "sql_tier" {
  description = "Cloud SQL machine tier."
  type        = string
  default     = "db-custom-1-3840"
}

variable "sql_availability_type" {
  description = "ZONAL or REGIONAL (high availability)."
  type        = string
  default     = "ZONAL"
}

variable "sql_max_connections" {
  description = "Postgres max_connections; must cover the functions' connection budget plus sql_reserved_connections."
  type        = number
  default     = 200

  validation {
    condition     = var.sql_max_connections >= 25
    error_message = "sql_max_connections must be at least 25."
  }
}

variable "sql_reserved_connections" {
  description = "Connections kept free for migrations, consoles and Cloud SQL's own superuser slots."
  type        = number
  default     = 10

  validation {
    condition     = var.sql_reserved_connections >= 3
    error_message = "Keep at least 3 connections in reserve (Cloud SQL reserves superuser slots)."
  }
}

variable "sql_deletion_protection" {
  description = "Refuse to delete the Cloud SQL instance."
  type        = bool
  default     = true
}

variable "sql_migrators" {
  description = "Emails of people allowed to log in to the database with IAM auth (migrations run in the migrate function, not as these)."
  type        = list(string)
  default     = []
}

variable "db_pool_size" {
  description = "SQLAlchemy pool size per function instance (BRIDGE_DB_POOL_SIZE)."
  type        = number
  default     = 2

  validation {
    condition     = var.db_pool_size >= 1 && var.db_pool_size <= 20
    error_message = "db_pool_size must be between 1 and 20."
  }
}

variable "db_max_overflow" {
  description = "Extra connections per instance beyond the pool under load (BRIDGE_DB_MAX_OVERFLOW)."
  type        = number
  default     = 2

  validation {
    condition     = var.db_max_overflow >= 0 && var.db_max_overflow <= 20
    error_message = "db_max_overflow must be between 0 and 20."
  }
}

# Functions

variable "default_max_instances" {
  description = "Instance cap of each function unless overridden in function_overrides."
  type        = number
  default     = 5

  validation {
    condition     = var.default_max_instances >= 1 && var.default_max_instances <= 100
    error_message = "default_max_instances must be between 1 and 100."
  }
}

variable "default_concurrency" {
  description = "Concurrent requests per instance unless overridden in function_overrides."
  type        = number
  default     = 8

  validation {
    condition     = var.default_concurrency >= 1 && var.default_concurrency <= 1000
    error_message = "default_concurrency must be between 1 and 1000."
  }
}

variable "function_overrides" {
  description = "Per-function sizing keyed by function folder name, e.g. { serve_data = { max_instances = 20 } }."
  type = map(object({
    max_instances   = optional(number)
    min_instances   = optional(number)
    concurrency     = optional(number)
    memory          = optional(string)
    cpu             = optional(string)
    timeout_seconds = optional(number)
    threads         = optional(number)
  }))
  default = {}
}

# Guardrails passed to the functions

variable "default_byte_cap" {
  description = "maximum_bytes_billed of a query when the team sets none (BRIDGE_DEFAULT_BYTE_CAP)."
  type        = number
  default     = 100000000

  validation {
    condition     = var.default_byte_cap >= 10000000
    error_message = "default_byte_cap must be at least 10 MB (BigQuery's minimum billed bytes)."
  }
}

variable "row_limit" {
  description = "Rows returned per query at most (BRIDGE_ROW_LIMIT)."
  type        = number
  default     = 10000
}

variable "cache_ttl_seconds" {
  description = "Result cache time-to-live when the dashboard sets none (BRIDGE_CACHE_TTL_SECONDS)."
  type        = number
  default     = 3600
}

# Tasks and edge

variable "tasks_max_attempts" {
  description = "Attempts per agent step task."
  type        = number
  default     = 5
}

variable "tasks_min_backoff" {
  description = "Shortest wait before a task retry."
  type        = string
  default     = "1s"
}

variable "tasks_max_backoff" {
  description = "Longest wait between task retries."
  type        = string
  default     = "30s"
}

variable "tasks_max_dispatches_per_second" {
  description = "Rate at which agent steps are dispatched."
  type        = number
  default     = 20
}

variable "tasks_max_concurrent_dispatches" {
  description = "Agent steps in flight at once (capped at agent_step's max instances x concurrency)."
  type        = number
  default     = 50
}

variable "security_policy" {
  description = "Cloud Armor security policy attached to the load balancer backends; null for none."
  type        = string
  default     = null
}

variable "identity_api_key" {
  type        = string
  description = "Identity Platform web API key the sign-in page uses (BRIDGE_IDENTITY_API_KEY); empty uses the browser key Terraform creates (identity.tf), restricted to the domain and the sign-in APIs."
  default     = ""
}
