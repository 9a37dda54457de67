"""Designer pages (being built)."""
