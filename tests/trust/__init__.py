"""Trust suites: isolation, SQL guard corpus, API fuzzing, faults, load and secrets (``make trust``)."""
