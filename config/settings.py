"""One settings file. Every value comes from the environment (see .env.example); with nothing
set, the platform runs on its embedded defaults: SQLite, local-memory cache, in-memory channel
layer, eager Celery, console email, a local payment provider and a local SSO signing key."""

import ipaddress
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env")

DEV_SECRET_KEY = "dev-only-insecure-secret-key-change-me"
DEV_FIELD_KEY = "ZGV2LW9ubHktZmllbGQta2V5LTMyLWJ5dGVzLWxvbmc="  # base64 of a 32-byte dev key

DEBUG = env.bool("DJANGO_DEBUG", default=True)
# DEBUG defaults to on for the embedded default only: a PostgreSQL database means a real
# deployment (or CI), which must say which it is, so production is never reached with DEBUG on.
if "DJANGO_DEBUG" not in env.ENVIRON and env.str("DATABASE_URL", default="").startswith(
        ("postgres://", "postgresql://", "pgsql://", "postgis://")):
    raise ImproperlyConfigured(
        "DATABASE_URL points at PostgreSQL but DJANGO_DEBUG is not set: set DJANGO_DEBUG=false "
        "in production (or DJANGO_DEBUG=true to develop or test on PostgreSQL).")
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default=DEV_SECRET_KEY)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

# Personal data: Fernet keys, newest first (older keys still decrypt, see rotate_field_keys),
# and a separate HMAC key for the lookup/uniqueness hash, which must never rotate silently.
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])
FIELD_HASH_KEY = env.str("FIELD_HASH_KEY", default="")

# Secrets published somewhere (this file, .env.example, docker-compose.yml, the README) or
# guessable; production refuses them, and any secret shorter than SECRET_MIN_LENGTH.
SECRET_MIN_LENGTH = 50
KNOWN_WEAK_SECRETS = {
    DEV_SECRET_KEY, DEV_FIELD_KEY, "dev-only-field-hash-key", "change-me", "changeme",
    "change_me", "secret", "short", "password", "django-insecure",
    "compose-only-secret-change-me-0123456789abcdef", "compose-only-hash-key",
    "Y29tcG9zZS1vbmx5LWtleS1jaGFuZ2UtbWUtMzJieXQ=",
}


def secret_problem(value: str, *, min_length: int = SECRET_MIN_LENGTH) -> str | None:
    """Why `value` is no production secret, or None. Few distinct characters ("x" * 50) or an
    example value with something appended ("change-me-please") count as weak too."""
    lowered = value.strip().lower()
    if len(value) < min_length:
        return f"is shorter than {min_length} characters"
    if len(set(value)) < 10:
        return "has fewer than 10 distinct characters"
    if any(known.lower() in lowered for known in KNOWN_WEAK_SECRETS if len(known) >= 6):
        return "is (or contains) a published example value"
    return None


if not DEBUG:
    if SECRET_KEY == DEV_SECRET_KEY:
        raise ImproperlyConfigured(
            "DJANGO_DEBUG is off but DJANGO_SECRET_KEY is the built-in development key: "
            "set DJANGO_SECRET_KEY to a long random value."
        )
    if problem := secret_problem(SECRET_KEY):
        raise ImproperlyConfigured(
            f"DJANGO_DEBUG is off but DJANGO_SECRET_KEY {problem}: set DJANGO_SECRET_KEY to a "
            "long random value (python -c 'import secrets; print(secrets.token_urlsafe(50))')."
        )
    if not FIELD_ENCRYPTION_KEYS or not FIELD_HASH_KEY:
        raise ImproperlyConfigured(
            "DJANGO_DEBUG is off but personal-data keys are missing: set FIELD_ENCRYPTION_KEYS "
            "(comma-separated Fernet keys, newest first) and FIELD_HASH_KEY."
        )
    if problem := secret_problem(FIELD_HASH_KEY, min_length=32):
        raise ImproperlyConfigured(f"DJANGO_DEBUG is off but FIELD_HASH_KEY {problem}: set it "
                                   "to a long random value.")
    if KNOWN_WEAK_SECRETS.intersection(FIELD_ENCRYPTION_KEYS):
        raise ImproperlyConfigured("DJANGO_DEBUG is off but FIELD_ENCRYPTION_KEYS holds a "
                                   "published example key: generate your own Fernet key.")
FIELD_ENCRYPTION_KEYS = FIELD_ENCRYPTION_KEYS or [DEV_FIELD_KEY]
FIELD_HASH_KEY = FIELD_HASH_KEY or "dev-only-field-hash-key"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "import_export",
    "hijack",
    "channels",
    "axes",
    "csp",
    "core",
    "ticketing",
    "ticketing.aftersale",
    "ticketing.support",
    "ticketing.loyalty",
    "ticketing.promotions",
    "ticketing.packages",
    "adminsortable2",
    "ticketing.invoicing",
    "ticketing.wallet",
    "ticketing.external_tickets",
    "seating",
    "queueing",
    "payments",
    "accessctl",
    "quotas",
    "quotas.petrol",
    "accessctl.gates",
    "reports",
]

MIDDLEWARE = [
    "core.metrics.request_metrics",  # first: it times the whole stack
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "hijack.middleware.HijackUserMiddleware",
    "core.audit.MasqueradeAuditMiddleware",
    "quotas.middleware.PortalOnlySessionMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a lockout into its 429 page
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"
AUTH_USER_MODEL = "ticketing.User"
LOGIN_URL = "/admin/login/"
# Password logins (the admin's form) go through django-axes first: after AXES_FAILURE_LIMIT
# wrong passwords for one account, or from one client address, that account or address is
# locked for AXES_COOLOFF_MINUTES, even with the right password. The account lock holds however
# the attacker rotates addresses; the address is core.net.client_ip's (see TRUSTED_PROXIES).
# Attempts and lockouts are logged and listed in the admin (Axes). The SSO and magic-link
# logins check no password and never call authenticate().
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_USERNAME_FORM_FIELD = "username"  # what authenticate() gets (axes' default: "email")
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "core.net.client_ip"
AXES_LOCKOUT_CALLABLE = "core.limits.admin_lockout"  # the 429 page, with Retry-After

# The proxies (addresses or CIDR networks) whose X-Forwarded-For is believed; empty: none, the
# client is REMOTE_ADDR. Behind a TLS proxy, list its address, or every client shares it (one
# rate limit, one lockout) and, with the header believed from anyone, limits could be dodged.
try:
    TRUSTED_PROXIES = [str(ipaddress.ip_network(entry.strip(), strict=False))
                       for entry in env.list("TRUSTED_PROXIES", default=[]) if entry.strip()]
except ValueError as error:
    raise ImproperlyConfigured(f"TRUSTED_PROXIES: {error} (give addresses or CIDR networks, "
                               "separated by commas)") from None

# --- Prometheus metrics at /metrics (core.metrics) -------------------------------------------
# Answered only with "Authorization: Bearer <METRICS_TOKEN>" or to a client address
# (core.net.client_ip) in METRICS_ALLOWED_IPS; anyone else gets a 404. Neither set: nobody in
# production, loopback only under DEBUG.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
if not DEBUG and METRICS_TOKEN and (problem := secret_problem(METRICS_TOKEN, min_length=32)):
    raise ImproperlyConfigured(f"METRICS_TOKEN {problem}: set it to a long random value.")
try:
    METRICS_ALLOWED_IPS = [str(ipaddress.ip_network(entry.strip(), strict=False)) for entry in
                           env.list("METRICS_ALLOWED_IPS",
                                    default=["127.0.0.0/8", "::1"] if DEBUG else [])
                           if entry.strip()]
except ValueError as error:
    raise ImproperlyConfigured(f"METRICS_ALLOWED_IPS: {error} (give addresses or CIDR "
                               "networks, separated by commas)") from None
# Several worker processes: PROMETHEUS_MULTIPROC_DIR (an empty directory, set before they
# start) makes each write its values there; a scrape adds up every directory listed here (by
# default that one; docker-compose adds the Celery worker's, where orders complete).
METRICS_MULTIPROC_DIRS = env.list("METRICS_MULTIPROC_DIRS", default=[
    directory] if (directory := env.str("PROMETHEUS_MULTIPROC_DIR", default="")) else [])
METRICS_COLLECTORS = ["reports.metrics.SaleGauges"]  # read at each scrape

# --- HTTPS and browser security (production defaults pass `manage.py check --deploy`) ------
# Behind a TLS-terminating proxy that always sets X-Forwarded-Proto, set
# SECURE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO,https so Django sees HTTPS requests as such
# (never without such a proxy: a client could then claim HTTPS).
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# Container health checks and Prometheus scrapes speak plain HTTP inside.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]
if env.str("SECURE_PROXY_SSL_HEADER", default=""):
    SECURE_PROXY_SSL_HEADER = env.tuple("SECURE_PROXY_SSL_HEADER")
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
# Content-Security-Policy (django-csp): scripts only from here and Stripe.js (the portal's
# card payments), nothing framed but Stripe's, no plugins, forms post only here. Our pages'
# script tags carry the request's nonce (`nonce="{{ request.csp_nonce }}"`), so an inline
# script runs only where a template put it; Django's own admin scripts load from 'self'. Inline
# styles stay allowed: email templates are inline-styled by nature and previewed in the admin.
STRIPE_JS = "https://js.stripe.com"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE, STRIPE_JS, "https://*.js.stripe.com"],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:", "https://*.stripe.com"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF, "https://api.stripe.com"],  # SELF covers same-host WebSockets
        "frame-src": [STRIPE_JS, "https://*.js.stripe.com", "https://hooks.stripe.com"],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [SELF],
        "object-src": [NONE],
    },
}

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions make SQLite writers queue instead of failing with "locked".
    DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 20}
elif env.int("DATABASE_POOL_MAX_SIZE", default=0):
    # The psycopg pool is what makes ASGI workers fast (DESIGN.md, "Serving, measured").
    DATABASES["default"]["OPTIONS"] = {
        "pool": {"min_size": 2, "max_size": env.int("DATABASE_POOL_MAX_SIZE"), "timeout": 10}
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# The longest a statement waits for a lock before it fails, answered 409 "try again" (core.locks),
# and the longest one statement may run: a runaway query is cancelled, answered 503 "try again"
# (core.exceptions), instead of holding a connection and its locks. 0 is no limit (migrations);
# the Celery worker, which runs exports over whole seasons, may allow more.
DB_LOCK_TIMEOUT_MS = env.int("DB_LOCK_TIMEOUT_MS", default=5000)
DB_STATEMENT_TIMEOUT_MS = env.int("DB_STATEMENT_TIMEOUT_MS", default=30_000)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
        f"-c lock_timeout={DB_LOCK_TIMEOUT_MS} -c statement_timeout={DB_STATEMENT_TIMEOUT_MS}")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache, channel layer, Celery broker ----------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="hns"),
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 2, "SOCKET_TIMEOUT": 2},
        }
    }
    # redis-py 8 caps an asyncio pool at 100 connections and then raises: a process holding
    # thousands of sockets (the waiting room) joins and leaves groups faster than that. It also
    # gives every connection a 5 s socket timeout, which cut off channels_redis's 5 s BZPOPMIN
    # on a quiet channel (TimeoutError closed fans' sockets): reads here may take longer.
    channel_layer_host = {"address": REDIS_URL, "max_connections": env.int(
        "CHANNEL_LAYER_MAX_CONNECTIONS", default=1000), "socket_timeout": 15,
        "socket_connect_timeout": 2}
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [channel_layer_host],
                       "prefix": env.str("CACHE_KEY_PREFIX", default="hns")},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "Europe/Zagreb"
CELERY_BEAT_SCHEDULE = {
    "release-expired-holds": {"task": "seating.tasks.holds_sweep", "schedule": 60.0},
    "queue-tick": {"task": "queueing.tasks.queue_tick", "schedule": 5.0},
    "queue-positions": {"task": "queueing.tasks.queue_positions_push", "schedule": 60.0},
    "cart-expiry": {"task": "ticketing.tasks.carts_expire", "schedule": 30.0},
    "order-expiry": {"task": "ticketing.tasks.orders_expire", "schedule": 60.0},
    "payment-delivery": {"task": "payments.outcomes.payments_undelivered_sweep",
                         "schedule": 60.0},
}
# A succeeded payment is completed by its own task; the sweep takes those older than this.
PAYMENT_DELIVERY_GRACE_SECONDS = env.int("PAYMENT_DELIVERY_GRACE_SECONDS", default=60)
# An email or push still QUEUED this long after it was queued or last tried gets a new task
# (the broker was down, or Redis lost the task); one SENDING this long was interrupted: FAILED.
NOTIFICATION_RESEND_GRACE_SECONDS = env.int("NOTIFICATION_RESEND_GRACE_SECONDS", default=300)
CELERY_BEAT_SCHEDULE["notifications-resend"] = {"task": "core.tasks.notifications_resend",
                                                "schedule": 60.0}
# Refunds whose send task never ran (the broker was down at commit) get a new one.
CELERY_BEAT_SCHEDULE["refunds-resend"] = {"task": "payments.tasks.refunds_resend",
                                          "schedule": 300.0}
CELERY_BEAT_SCHEDULE["match-cancellations-resume"] = {
    "task": "ticketing.aftersale.tasks.match_cancellations_resume", "schedule": 120.0}
CELERY_BEAT_SCHEDULE["match-updates-resume"] = {
    "task": "ticketing.aftersale.tasks.match_updates_resume", "schedule": 300.0}
# E14-F1: report exports. The emailed download link lasts REPORT_LINK_HOURS (the file is
# deleted after); a job PROCESSING without a heartbeat for REPORT_EXPORT_STALE_MINUTES lost
# its worker (a running export beats every 2,000 rows).
REPORT_LINK_HOURS = env.int("REPORT_LINK_HOURS", default=72)
REPORT_EXPORT_STALE_MINUTES = env.int("REPORT_EXPORT_STALE_MINUTES", default=30)
CELERY_BEAT_SCHEDULE["report-exports-resume"] = {
    "task": "reports.tasks.report_exports_resume", "schedule": 120.0}
CELERY_BEAT_SCHEDULE["report-exports-prune"] = {
    "task": "reports.tasks.report_exports_prune", "schedule": 3600.0}
# Closed matches whose loyalty award never ran (or got attendance later) are awarded again.
CELERY_BEAT_SCHEDULE["loyalty-awards-resume"] = {
    "task": "ticketing.loyalty.tasks.loyalty_awards_resume", "schedule": 3600.0}

# --- Email ----------------------------------------------------------------------------------
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="HNS Ulaznice <ulaznice@hns.example>")
EMAIL_TIMEOUT = 10
EMAIL_MAX_RETRIES = env.int("EMAIL_MAX_RETRIES", default=5)

# --- SSO (the federation's Drupal webshop issues RS256 JWTs) ---------------------------------
SSO_PUBLIC_KEY = env.str("SSO_PUBLIC_KEY", default="")
SSO_PUBLIC_KEY_FILE = env.str("SSO_PUBLIC_KEY_FILE", default="")
SSO_JWKS_URL = env.str("SSO_JWKS_URL", default="")
SSO_ISSUER = env.str("SSO_ISSUER", default="hns-webshop-local")
SSO_AUDIENCE = env.str("SSO_AUDIENCE", default="hns-ticketing")
SSO_TIMEOUT_SECONDS = env.float("SSO_TIMEOUT_SECONDS", default=3.0)
SSO_VALIDATION_CACHE_SECONDS = 300
# Embedded default only: a key generated on first use so the demo can mint fan tokens.
SSO_LOCAL_SIGNING_KEY_FILE = env.str(
    "SSO_LOCAL_SIGNING_KEY_FILE", default=str(BASE_DIR / "var" / "sso-local-signing-key.pem")
)
if not DEBUG and not (SSO_PUBLIC_KEY or SSO_PUBLIC_KEY_FILE or SSO_JWKS_URL):
    raise ImproperlyConfigured(
        "DJANGO_DEBUG is off but no SSO key is configured: set SSO_JWKS_URL, SSO_PUBLIC_KEY "
        "or SSO_PUBLIC_KEY_FILE (the federation webshop's RS256 public key)."
    )

# --- API tokens -----------------------------------------------------------------------------
# Its own key in production: a leaked SECRET_KEY (sessions, CSRF, password resets) must not
# also mint every fan's API token, and rotating one must not sign everyone out of the other.
JWT_SIGNING_KEY = env.str("JWT_SIGNING_KEY", default=SECRET_KEY if DEBUG else "")
if not DEBUG:
    if not JWT_SIGNING_KEY or JWT_SIGNING_KEY == SECRET_KEY:
        raise ImproperlyConfigured(
            "DJANGO_DEBUG is off but JWT_SIGNING_KEY is " + (
                "the same as DJANGO_SECRET_KEY" if JWT_SIGNING_KEY else "not set") +
            ": set JWT_SIGNING_KEY to its own long random value.")
    if problem := secret_problem(JWT_SIGNING_KEY):
        raise ImproperlyConfigured(
            f"DJANGO_DEBUG is off but JWT_SIGNING_KEY {problem}: set JWT_SIGNING_KEY to a long "
            "random value.")
ACCESS_TOKEN_LIFETIME = timedelta(minutes=env.int("ACCESS_TOKEN_MINUTES", default=15))
REFRESH_TOKEN_LIFETIME = timedelta(days=env.int("REFRESH_TOKEN_DAYS", default=7))

# --- Payments (used from the purchase flow on) ----------------------------------------------
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_PUBLISHABLE_KEY = env.str("STRIPE_PUBLISHABLE_KEY", default="")  # Stripe.js in the portal
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="")
# The local provider completes payments without any money (the demo's "pay" button and
# `pay-local`): it exists only where explicitly enabled, by default only with DEBUG on.
PAYMENTS_LOCAL_ENABLED = env.bool("PAYMENTS_LOCAL_ENABLED", default=DEBUG)
PAYMENTS_PROVIDER = env.str("PAYMENTS_PROVIDER", default="stripe" if STRIPE_SECRET_KEY else (
    "local" if PAYMENTS_LOCAL_ENABLED else ""))
if not DEBUG and PAYMENTS_PROVIDER != "stripe" and not PAYMENTS_LOCAL_ENABLED:
    raise ImproperlyConfigured(
        "DJANGO_DEBUG is off and no payment provider is configured: set STRIPE_SECRET_KEY and "
        "STRIPE_WEBHOOK_SECRET (or PAYMENTS_LOCAL_ENABLED=true for a demo without real money)."
    )
if not DEBUG and PAYMENTS_PROVIDER == "stripe" and not STRIPE_SECRET_KEY:
    raise ImproperlyConfigured(
        "DJANGO_DEBUG is off and PAYMENTS_PROVIDER is stripe but STRIPE_SECRET_KEY is not set.")
# Without it no webhook verifies: paid orders would wait for the sweep and refunds never settle.
if not DEBUG and PAYMENTS_PROVIDER == "stripe" and not STRIPE_WEBHOOK_SECRET:
    raise ImproperlyConfigured(
        "DJANGO_DEBUG is off and Stripe is configured but STRIPE_WEBHOOK_SECRET is not set: "
        "copy the endpoint's signing secret (whsec_…) from Stripe's dashboard.")

# --- Push (Firebase Cloud Messaging HTTP v1) ------------------------------------------------
FCM_SERVICE_ACCOUNT_FILE = env.str("FCM_SERVICE_ACCOUNT_FILE", default="")
FCM_PROJECT_ID = env.str("FCM_PROJECT_ID", default="")
FCM_API_URL = env.str("FCM_API_URL", default="https://fcm.googleapis.com")
FCM_TIMEOUT_SECONDS = env.float("FCM_TIMEOUT_SECONDS", default=5.0)

# --- e-računi (invoices, credit notes, payment offers) ---------------------------------------
# Without the three credentials the platform sells as usual and documents wait as DRAFT; they
# are sent (documents_resend) once the credentials are set.
ERACUNI_API_URL = env.str("ERACUNI_API_URL", default="https://e-racuni.com/WebServicesHR/API")
ERACUNI_USERNAME = env.str("ERACUNI_USERNAME", default="")
ERACUNI_PW = env.str("ERACUNI_PW", default="")
ERACUNI_TOKEN = env.str("ERACUNI_TOKEN", default="")
ERACUNI_TIMEOUT_SECONDS = env.float("ERACUNI_TIMEOUT_SECONDS", default=15.0)
CELERY_BEAT_SCHEDULE |= {
    "eracuni-poll": {"task": "ticketing.invoicing.tasks.documents_poll", "schedule": 300.0},
    "eracuni-resend": {"task": "ticketing.invoicing.tasks.documents_resend", "schedule": 300.0},
    "invoices-missing": {"task": "ticketing.invoicing.tasks.invoices_missing",
                         "schedule": 900.0},
    "payment-offers-overdue": {"task": "ticketing.invoicing.tasks.payment_offers_overdue",
                               "schedule": 3600.0},
}

# --- Wallet passes (E9-F4): unset, the pass endpoints answer 503 ------------------------------
WALLET_ORGANIZATION_NAME = env.str("WALLET_ORGANIZATION_NAME", default="HNS")
APPLE_WALLET_CERT_FILE = env.str("APPLE_WALLET_CERT_FILE", default="")  # pass type ID cert, PEM
APPLE_WALLET_KEY_FILE = env.str("APPLE_WALLET_KEY_FILE", default="")  # its private key, PEM
APPLE_WALLET_KEY_PASSWORD = env.str("APPLE_WALLET_KEY_PASSWORD", default="")
APPLE_WALLET_WWDR_FILE = env.str("APPLE_WALLET_WWDR_FILE", default="")  # Apple WWDR G4, PEM
APPLE_WALLET_PASS_TYPE_ID = env.str("APPLE_WALLET_PASS_TYPE_ID", default="")
APPLE_WALLET_TEAM_ID = env.str("APPLE_WALLET_TEAM_ID", default="")
GOOGLE_WALLET_SERVICE_ACCOUNT_FILE = env.str("GOOGLE_WALLET_SERVICE_ACCOUNT_FILE", default="")
GOOGLE_WALLET_ISSUER_ID = env.str("GOOGLE_WALLET_ISSUER_ID", default="")
GOOGLE_WALLET_ORIGINS = env.list("GOOGLE_WALLET_ORIGINS", default=[])

# --- Away-match PDF tickets (E9-F6) ----------------------------------------------------------
PDF_TICKET_MAX_BYTES = 5_000_000  # one PDF
PDF_TICKET_MAX_FILES = 2000  # PDFs in one upload (a zip's entries count)
PDF_TICKET_MAX_UNZIPPED = 200_000_000  # what an uploaded zip may unpack to
PDF_TICKET_MAX_ZIP_BYTES = 100_000_000  # an uploaded zip itself
PDF_TICKET_LINK_DAYS = env.int("PDF_TICKET_LINK_DAYS", default=30)  # the holder's emailed link

# --- Business rules ---------------------------------------------------------------------------
MAX_SAVED_PROFILES = 10
DEFAULT_PROFILE_MIN_AGE = 18

# --- Rate limits (core.limits; README, "Rate limits") ----------------------------------------
# Per client address: the webshop-token exchange (the app's login and refresh, DRF's throttle,
# read once at startup; the portal's sign-in) and magic links. Per fan account: joining a
# waiting room and adding to the cart (seats or packages). Past one: 429 with Retry-After.
AUTH_THROTTLE_RATE = env.str("AUTH_THROTTLE_RATE", default="30/min")
MAGIC_LINK_RATE_PER_IP = env.str("MAGIC_LINK_RATE_PER_IP", default="60/h")
QUEUE_JOIN_RATE = env.str("QUEUE_JOIN_RATE", default="20/m")
CART_ADD_RATE = env.str("CART_ADD_RATE", default="30/m")

# --- DRF and OpenAPI ------------------------------------------------------------------------
# Request bodies (JSON and form fields; uploaded files are bounded by their readers) up to
# 1 MB: the five stadiums' largest seat map is ~56 KB and a 50,000-seat bulk change ~450 KB. A
# larger body is 413 payload_too_large; text fields have their own bounds (core.bounds).
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=1024 * 1024)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "ticketing.authentication.AccessTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.exceptions.api_exception_handler",
    "DEFAULT_THROTTLE_RATES": {"auth": AUTH_THROTTLE_RATE},
    # Throttles key on core.net.client_ip (ClientIPScopedRateThrottle); 0 keeps any other DRF
    # throttle on REMOTE_ADDR instead of believing every client's X-Forwarded-For.
    "NUM_PROXIES": 0,
}
# /api/docs/ and /api/schema/: off (404) in production unless turned on.
API_DOCS_ENABLED = env.bool("API_DOCS_ENABLED", default=DEBUG)
SPECTACULAR_SETTINGS = {
    "TITLE": "HNS Ticketing API",
    "DESCRIPTION": "Fans' mobile app, quota portal and back-office API. Errors always have the "
    'shape {"error": code, "detail": message, "fields": {field: [messages]}}.',
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # Tags start folded: the bundled Swagger UI stops drawing past about 128 open operations
    # (measured in Chromium: 128 draw, 129 leave every tag after the first one blank).
    "SWAGGER_UI_SETTINGS": {"docExpansion": "none", "filter": True},
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "PATH_CONVERTER_OVERRIDES": {"id": {"type": "integer", "minimum": 0,
                                        "maximum": 10**18 - 1}},  # core.converters
    # `check --deploy` builds the schema and warns about its naming; that matters only where
    # the schema is served (its warnings show with API_DOCS_ENABLED=true).
    "ENABLE_DJANGO_DEPLOY_CHECK": API_DOCS_ENABLED,
}

# --- i18n, static ---------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "Europe/Zagreb"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Files only the people they belong to may fetch, through a view that checks (away-match
    # PDF tickets): never under MEDIA_URL, never served by the web server.
    "private": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": env.str("PRIVATE_MEDIA_ROOT",
                                                default=str(BASE_DIR / "var" / "private"))}},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = DEBUG
MEDIA_ROOT = BASE_DIR / "var" / "media"
MEDIA_URL = env.str("MEDIA_URL", default="/media/")
# Package images (public): served by Django on the embedded default; behind a web server or a
# CDN in production set SERVE_MEDIA=0 and serve MEDIA_ROOT from there.
SERVE_MEDIA = env.bool("SERVE_MEDIA", default=True)
PACKAGE_IMAGE_MAX_BYTES = env.int("PACKAGE_IMAGE_MAX_BYTES", default=5 * 1024 * 1024)

# --- Logging: one JSON line per audit event on the "audit" logger (ship it to Loki) ----------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"bare": {"format": "%(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        "audit": {"class": "logging.StreamHandler", "formatter": "bare"},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"audit": {"handlers": ["audit"], "level": "INFO", "propagate": False}},
}

# --- Audit events to Grafana Loki (core.loki) ------------------------------------------------
# Unset: audit events stay in the database table and the log. Set (http://loki:3100): each
# event's line also waits in a Redis list until audit_ship pushes it, LOKI_BATCH_SIZE a time.
LOKI_URL = env.str("LOKI_URL", default="")
LOKI_USERNAME = env.str("LOKI_USERNAME", default="")  # basic auth, e.g. a proxy or Grafana Cloud
LOKI_PASSWORD = env.str("LOKI_PASSWORD", default="")
LOKI_TENANT_ID = env.str("LOKI_TENANT_ID", default="")  # X-Scope-OrgID of a multi-tenant Loki
LOKI_BATCH_SIZE = env.int("LOKI_BATCH_SIZE", default=500)
LOKI_TIMEOUT_SECONDS = env.float("LOKI_TIMEOUT_SECONDS", default=5.0)
LOKI_SHIP_SECONDS = env.float("LOKI_SHIP_SECONDS", default=5.0)  # the beat's shipment
LOKI_KICK_SECONDS = 1  # a commit starts a shipment at most this often; the beat does the rest
if LOKI_URL and not REDIS_URL:
    raise ImproperlyConfigured("LOKI_URL is set but REDIS_URL is not: audit events wait for "
                               "Loki in a Redis buffer. Set REDIS_URL, or unset LOKI_URL.")
CELERY_BEAT_SCHEDULE["audit-ship"] = {"task": "core.tasks.audit_ship",
                                      "schedule": LOKI_SHIP_SECONDS,
                                      "options": {"expires": LOKI_SHIP_SECONDS}}

# --- Sales rules (named, per DESIGN: no magic numbers) -------------------------------------------
DEFAULT_FEE_PERCENT = "6.00"
MAX_TICKETS_PER_FAN_PER_MATCH = 4
# E9-F5, E9-F8: no transfers or self-service cancellations closer to kick-off than this (a
# match may set its own, Match.after_sale_cutoff_hours). A holder OIB holds at most
# MAX_TICKETS_PER_HOLDER_PER_MATCH valid tickets of a match after a transfer.
AFTER_SALE_CUTOFF_HOURS = 48
MAX_TICKETS_PER_HOLDER_PER_MATCH = 4
# E10-F3: a support refund asked for within the cutoff above and worth more than this (EUR)
# waits for a Supervisor's approval.
SUPPORT_REFUND_APPROVAL_THRESHOLD = Decimal(env.str("SUPPORT_REFUND_APPROVAL_THRESHOLD",
                                                  default="200.00"))
# E6: loyalty points count for this many years after the match that earned them; the award
# job writes this many points per statement (and transaction).
LOYALTY_WINDOW_YEARS = 5
LOYALTY_AWARD_BATCH = 1000
# E2-F7: how many Celery tasks share a cancelled match's orders (by order id modulo this).
MATCH_CANCEL_WORKERS = env.int("MATCH_CANCEL_WORKERS", default=4)
CART_HOLD_MINUTES = 20
# How long a web process reuses a match's facts for add-to-cart (ticketing.services.sale_context)
SALE_CONTEXT_SECONDS = env.float("SALE_CONTEXT_SECONDS", default=2.0)
STATUS_SUMMARY_CACHE_SECONDS = 30
# The live match dashboard (reports): an open dashboard recomputes at most once per
# DASHBOARD_PUSH_SECONDS however fast the match sells (a change is announced at most that often
# too), and every DASHBOARD_REFRESH_SECONDS while nothing is announced (holds that run out, the
# waiting room).
DASHBOARD_PUSH_SECONDS = env.float("DASHBOARD_PUSH_SECONDS", default=1.0)
DASHBOARD_REFRESH_SECONDS = env.float("DASHBOARD_REFRESH_SECONDS", default=10.0)
# During a rush its sales over time and by channel (the heavier read) every this many seconds.
DASHBOARD_SALES_SECONDS = env.float("DASHBOARD_SALES_SECONDS", default=5.0)
# A match's zones (prices, availability) are shared by all fans for this long; 0 turns it off.
ZONES_CACHE_SECONDS = env.int("ZONES_CACHE_SECONDS", default=2)
QUEUE_HEARTBEAT_TIMEOUT_MINUTES = 30
QUEUE_IS_BLACKLISTED = "ticketing.services.profiles.fan_is_blacklisted"  # (user) -> bool
# Waiting-room pushes (E5-F3): "almost at the front" once a fan's place is at most this; a
# "moving up" push whenever the place improved by this percent since the fan's last one.
QUEUE_PUSH_NEAR_FRONT_POSITION = env.int("QUEUE_PUSH_NEAR_FRONT_POSITION", default=50)
QUEUE_PUSH_PROGRESS_PERCENT = env.int("QUEUE_PUSH_PROGRESS_PERCENT", default=50)
# How often waiting fans get their place over the WebSocket (E5-F2), and pushes are reviewed.
QUEUE_POSITIONS_PUSH_SECONDS = env.float("QUEUE_POSITIONS_PUSH_SECONDS", default=60.0)
CELERY_BEAT_SCHEDULE["queue-positions"]["schedule"] = QUEUE_POSITIONS_PUSH_SECONDS

# --- Blacklist (E11) and customer support (E10) ----------------------------------------------
BLACKLIST_IMPORT_MAX_ROWS = 50_000
BLACKLIST_IMPORT_MAX_BYTES = 10 * 1024 * 1024
# Internal callers of GET /api/internal/blacklist/check send "Authorization: Bearer <token>";
# without a token configured the endpoint answers nobody.
INTERNAL_SERVICE_TOKEN = env.str("INTERNAL_SERVICE_TOKEN", default="")

# --- Quotas (E7) -------------------------------------------------------------------------------
# Discount codes an admin or a CSV may give instead of a percentage (GR = complimentary).
QUOTA_DISCOUNT_CODES = {"GR": 100, **env.dict("QUOTA_DISCOUNT_CODES", cast={"value": int},
                                              default={})}
QUOTA_CLAIM_MINUTES = 20  # how long a claim holds its seats between step 1 and payment
# E12 petrol sales: how long a fan's PIN lasts, how long a counter holds its seats, and how
# many wrong PINs a staff account and a station may type (django-ratelimit rates) before they
# are locked out for the rest of the period.
# E2-F8 / E2-F9: spare codes sent with each barcode export, and the attendance file's bounds.
ACCESS_EXPORT_EXTRA_CODES = env.int("ACCESS_EXPORT_EXTRA_CODES", default=1000)
ATTENDANCE_IMPORT_MAX_ROWS = 100_000
ATTENDANCE_IMPORT_MAX_BYTES = 20 * 1024 * 1024
PETROL_PIN_MINUTES = env.int("PETROL_PIN_MINUTES", default=30)
PETROL_RESERVATION_MINUTES = 20
PETROL_PIN_FAILURES_PER_STAFF = env.str("PETROL_PIN_FAILURES_PER_STAFF", default="10/h")
PETROL_PIN_FAILURES_PER_STATION = env.str("PETROL_PIN_FAILURES_PER_STATION", default="30/h")
# US7 promo codes: how many codes a fan account and an IP may try at
# POST /api/promo-codes/validate (django-ratelimit rates), and whether a refund gives the code's
# use back (default: no, a refunded order keeps its use, so a code cannot be recycled by refunds).
PROMO_VALIDATE_RATE_PER_USER = env.str("PROMO_VALIDATE_RATE_PER_USER", default="20/h")
PROMO_VALIDATE_RATE_PER_IP = env.str("PROMO_VALIDATE_RATE_PER_IP", default="60/h")
PROMO_USE_RETURNED_ON_REFUND = env.bool("PROMO_USE_RETURNED_ON_REFUND", default=False)
QUOTA_EXPIRY_WARNING_DAYS = 3  # the dashboard highlights a quota this close to its date
# An invitation's sign-in link lasts this many days and opens the portal this many times (a
# phone and a laptop, and a second try); then the holder signs in with the webshop.
QUOTA_MAGIC_LINK_DAYS = env.int("QUOTA_MAGIC_LINK_DAYS", default=14)
QUOTA_MAGIC_LINK_MAX_USES = env.int("QUOTA_MAGIC_LINK_MAX_USES", default=3)
QUOTA_IMPORT_MAX_ROWS = 50
# `seed_demo` creates admin@hns.example with the published demo password: only where allowed.
DEMO_DATA_ALLOWED = env.bool("DEMO_DATA_ALLOWED", default=DEBUG)
APP_DEEPLINK_BASE = env.str("APP_DEEPLINK_BASE", default="hnstickets://")
CELERY_BEAT_SCHEDULE["quota-claim-expiry"] = {"task": "quotas.tasks.claims_expire",
                                              "schedule": 60.0}
CELERY_BEAT_SCHEDULE["petrol-expiry"] = {"task": "quotas.petrol.tasks.petrol_expire",
                                         "schedule": 30.0}

# --- Masquerade (django-hijack) ------------------------------------------------------------------
# Who may open the portal as whom (quotas.admin.masquerade_allowed); the portal shows its own
# banner (templates/quotas/_masquerade_banner.html), so hijack injects none into pages.
HIJACK_PERMISSION_CHECK = "quotas.admin.masquerade_allowed"
HIJACK_INSERT_BEFORE = None
