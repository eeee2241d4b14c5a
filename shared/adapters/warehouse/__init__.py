"""Warehouse port (BigQuery on Google Cloud, DuckDB locally)."""
