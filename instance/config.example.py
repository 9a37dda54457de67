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

# --- 311 requests, campaigns and delivery ---------------------------------------------

# The city's name signs invitations; BASE_URL is where residents' links point.
# CITY_NAME = "City of Springfield"
# BASE_URL = "https://survey.springfield.gov"

# Residents' emails and phones are purged this many days after their request closed
# (a keyed hash stays, so contact caps and opt-outs still work).
# CONTACT_RETENTION_DAYS = 90
# CONTACT_HASH_KEY = "..."             # derived from SECRET_KEY when unset
# DEFAULT_PHONE_REGION = "US"          # how numbers without a country code are read

# A source's agency codes -> department codes, where they differ.
# AGENCY_ALIASES = {"BOS": "SAN", "LADWP": "WTR"}

# Email: "file" writes .eml files into instance/outbox (OUTBOX_DIR); "smtp" sends.
# MAIL_BACKEND = "smtp"
# MAIL_FROM = "City 311 <no-reply@springfield.gov>"
# SMTP_HOST = "smtp.springfield.gov"
# SMTP_PORT = 587
# SMTP_SECURITY = "starttls"           # starttls, ssl or none
# SMTP_USERNAME = "vocapp"
# SMTP_PASSWORD = "..."
# SMS: "file" writes .sms.json files; "twilio" posts to any Twilio-compatible gateway.
# SMS_BACKEND = "twilio"
# SMS_FROM = "+15550100311"
# TWILIO_BASE_URL = "https://api.twilio.com"
# TWILIO_ACCOUNT_SID = "AC..."
# TWILIO_AUTH_TOKEN = "..."

# Dispatching: batch size, claim lease, retries (exponential back-off from DISPATCH_RETRY_SECONDS).
# DISPATCH_BATCH = 200
# DISPATCH_LEASE_SECONDS = 300
# DISPATCH_MAX_ATTEMPTS = 6
# DISPATCH_RETRY_SECONDS = 60

# Open311 GeoReport v2 endpoints polled by the scheduler.
# OPEN311_ENDPOINTS = [
#     {"name": "chicago", "url": "http://311api.cityofchicago.org/open311/v2", "source": "open311:chicago",
#      "jurisdiction_id": "cityofchicago.org", "api_key": "...", "strip_z": True, "page_cap": 50},
# ]

# The closure webhook: one shared secret per sending system (header X-Vocapp-Source).
# WEBHOOK_SECRETS = {"crm": "a long random secret"}
# WEBHOOK_MAX_BYTES = 65536
# WEBHOOK_RATE_LIMIT = "600 per minute"

# Scheduler intervals, seconds.
# SCHEDULE_POLL_SECONDS = 900
# SCHEDULE_PLAN_SECONDS = 300
# SCHEDULE_SEND_SECONDS = 60
# SCHEDULE_PURGE_SECONDS = 3600
# SCHEDULE_SENTIMENT_SECONDS = 30   # free-text answers scored (and re-scored when the analyser changes)
