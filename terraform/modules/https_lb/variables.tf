variable "project_id" {
  description = "Project that owns the load balancer."
  type        = string
}

variable "region" {
  description = "Region of the serverless backends."
  type        = string
}

variable "name" {
  description = "Base name of every load balancer resource."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,40}$", var.name))
    error_message = "name must be lowercase letters, digits and dashes (at most 41)."
  }
}

variable "domain" {
  description = "Domain of the Google-managed certificate; point its A record at the output IP."
  type        = string

  validation {
    condition     = can(regex("^([a-z0-9-]+\\.)+[a-z]{2,}$", var.domain))
    error_message = "domain must be a fully qualified domain name such as bridge.example.com."
  }
}

variable "backends" {
  description = "Backends keyed by a short name; each value is the Cloud Run service behind it."
  type        = map(string)
}

variable "default_backend" {
  description = "Key in backends that serves every path no route matches."
  type        = string
}

variable "routes" {
  description = <<-EOT
    Route rules, first match by ascending priority. Each match sets exactly one of prefix,
    full_path or path_template, and optionally an HTTP method (matched on the :method header).
    description documents the rule here only: a URL map route rule has no description argument.
  EOT
  type = list(object({
    priority    = number
    description = string
    backend     = string
    matches = list(object({
      prefix        = optional(string)
      full_path     = optional(string)
      path_template = optional(string)
      method        = optional(string)
    }))
  }))

  validation {
    condition = alltrue(flatten([for r in var.routes : [for m in r.matches :
      length(compact([m.prefix, m.full_path, m.path_template])) == 1
    ]]))
    error_message = "Each match sets exactly one of prefix, full_path or path_template."
  }

  validation {
    condition     = length(distinct([for r in var.routes : r.priority])) == length(var.routes)
    error_message = "Route priorities must be unique."
  }

  validation {
    condition = alltrue(flatten([for r in var.routes : [for m in r.matches :
      m.method == null ? true : contains(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"], m.method)
    ]]))
    error_message = "method must be an upper-case HTTP method."
  }
}

variable "security_policy" {
  description = "Cloud Armor policy attached to every backend; null for none."
  type        = string
  default     = null
}

variable "log_sample_rate" {
  description = "Fraction of requests logged by the load balancer."
  type        = number
  default     = 1.0

  validation {
    condition     = var.log_sample_rate >= 0 && var.log_sample_rate <= 1
    error_message = "log_sample_rate must be between 0 and 1."
  }
}
