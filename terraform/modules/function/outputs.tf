output "name" {
  description = "Deployed function (and Cloud Run service) name."
  value       = google_cloudfunctions2_function.this.name
}

output "uri" {
  description = "HTTPS URI of the function's service."
  value       = google_cloudfunctions2_function.this.service_config[0].uri
}

output "service_account_email" {
  description = "Email of the function's own service account."
  value       = google_service_account.this.email
}

output "service_account_member" {
  description = "IAM member string of the function's service account."
  value       = google_service_account.this.member
}

output "source_object" {
  description = "Bucket object of the deployed bundle (named by its sha256)."
  value       = google_storage_bucket_object.source.name
}
