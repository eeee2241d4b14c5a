"""Task queue port (Cloud Tasks, or an in-process worker)."""
