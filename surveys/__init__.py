"""Pure survey domain: questions, scoring, statistics and text analytics (no web, no database)."""
