"""APScheduler wiring (issue 8)."""
