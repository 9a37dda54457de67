"""Results pages (being built)."""
