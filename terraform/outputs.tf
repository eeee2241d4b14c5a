output "url" {
  description = "The one HTTPS origin: web app at /, API under /v1."
  value       = module.lb.url
}

output "ip_address" {
  description = "Load balancer IP; create an A record for var.domain pointing here."
  value       = module.lb.ip_address
}

output "bucket_names" {
  description = "Bucket of each kind: dashboards, cache, sessions, secrets, sources."
  value       = { for kind, b in module.bucket : kind => b.name }
}

output "service_account_emails" {
  description = "Each function's own service account."
  value       = { for name, f in module.function : name => f.service_account_email }
}

output "function_uris" {
  description = "Direct URIs of the functions (ingress still limits who reaches them)."
  value       = { for name, f in module.function : name => f.uri }
}

output "tasks_invoker_email" {
  description = "Identity Cloud Tasks puts in the OIDC token when it calls agent_step."
  value       = google_service_account.tasks_invoker.email
}

output "tasks_queue" {
  description = "Full name of the agent step queue."
  value       = module.tasks_queue.id
}

output "kms_key" {
  description = "KMS key wrapping connection credentials (and buckets with CMEK)."
  value       = module.kms.key_id
}

output "cloudsql_connection_name" {
  description = "project:region:instance for the Cloud SQL connector (migrations use it)."
  value       = module.database.connection_name
}

output "database_name" {
  description = "Application database name."
  value       = module.database.database_name
}

output "db_connection_budget" {
  description = "Worst-case connections the functions may open: sum of max instances x (pool + overflow)."
  value       = local.db_connection_budget
}

output "migrate_uri" {
  description = "The migrate function; scripts/deploy.sh calls it before the other functions are applied."
  value       = module.migrate.uri
}

output "migrate_db_user" {
  description = "The migrate function's IAM database user (deploy.sh lets it create tables)."
  value       = trimsuffix(module.migrate.service_account_email, ".gserviceaccount.com")
}

output "public_access" {
  description = "How browsers pass the invoker check (var.public_access)."
  value       = var.public_access
}

output "public_services" {
  description = "Cloud Run services of the functions behind the load balancer."
  value       = [for name, spec in local.functions : module.function[name].name if spec.public]
}
