"""The offline planner: a deterministic, rule-based chat model that builds dashboards with the tools."""
