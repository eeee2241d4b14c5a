"""Object store port (GCS on Google Cloud, a folder locally)."""
