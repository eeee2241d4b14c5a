output "services" {
  description = "The enabled API names (depend on this to wait for enablement)."
  value       = [for s in google_project_service.this : s.service]
}
