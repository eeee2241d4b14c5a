"""Identity port (Google ID tokens, or locally signed dev tokens)."""
