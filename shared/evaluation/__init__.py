"""``bridge eval``: run evaluation cases through the real chat path, score the saved dashboards."""
