output "id" {
  description = "Full queue name: projects/.../locations/.../queues/..."
  value       = google_cloud_tasks_queue.this.id
}

output "name" {
  description = "Short queue name."
  value       = google_cloud_tasks_queue.this.name
}
