"""Use cases: each module does one thing for the HTTP layer, the agent's tools and tasks."""
