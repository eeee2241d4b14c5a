"""HTTP routes, grouped as Flask blueprints; shared.http.functions maps them to functions."""
