"""Ways 311 requests come in: Open311 GeoReport v2 polling, CSV exports, the closure webhook."""
