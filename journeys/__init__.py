"""Pure journey domain: touchpoint graphs and pain-point models (no web, no database)."""
