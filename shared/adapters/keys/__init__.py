"""Key manager port (Cloud KMS envelope encryption, or a local key file)."""
