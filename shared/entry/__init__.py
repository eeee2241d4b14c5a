"""HTTP plumbing shared by every function: app factory, errors, auth, JSON bodies."""
