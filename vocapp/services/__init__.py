"""Use cases. Services add and flush; the caller (view, CLI command, job) commits."""
