"""The directory database: ids, names, pointers and small summaries (never payloads)."""
