"""HTTP routes, grouped as Flask blueprints; shared.entry.functions maps them to functions."""
