output "key_id" {
  description = "Full resource name of the crypto key (projects/.../cryptoKeys/...)."
  value       = google_kms_crypto_key.this.id
}

output "key_ring_id" {
  description = "Full resource name of the key ring."
  value       = google_kms_key_ring.this.id
}
