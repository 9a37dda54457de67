# Copy to instance/config.py and edit. Every setting can also be given as an
# environment variable prefixed with VOCAPP_ (e.g. VOCAPP_DATABASE_URL), which
# wins over this file. Values in the environment are parsed as JSON when they
# can be (true, 5, "text"), else taken as plain strings.

# PostgreSQL at scale; SQLite in instance/ when unset.
# DATABASE_URL = "postgresql+psycopg://vocapp@db.internal:5432/vocapp"
# DATABASE_SCHEMA = "vocapp"          # PostgreSQL schema (search_path), optional

# Generated and stored in instance/secret_key when unset. Set it explicitly when
# several web servers share sessions.
# SECRET_KEY = "..."

# The city's time zone, used to show dates to staff.
# TIMEZONE = "America/Los_Angeles"

# Cookies are sent over HTTPS only; set False only for local http development.
# SESSION_COOKIE_SECURE = True

# Sign-in protection.
# LOGIN_MAX_FAILURES = 5              # consecutive failures before lock-out
# LOGIN_LOCKOUT_MINUTES = 15
# LOGIN_RATE_LIMIT = "10 per minute"  # per client IP, on the sign-in form
# RATELIMIT_STORAGE_URI = "redis://127.0.0.1:6379"   # share limits across workers

# Behind a reverse proxy that sets X-Forwarded-For / -Proto: how many proxies to trust.
# PROXY_FIX_X_FOR = 1
# PROXY_FIX_X_PROTO = 1
