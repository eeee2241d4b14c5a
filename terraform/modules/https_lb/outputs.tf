output "ip_address" {
  description = "Global IP address of the load balancer (the domain's A record)."
  value       = google_compute_global_address.this.address
}

output "url" {
  description = "HTTPS origin serving the web app and every /v1 route."
  value       = "https://${var.domain}"
}

output "url_map" {
  description = "Name of the URL map holding the routes."
  value       = google_compute_url_map.this.name
}
