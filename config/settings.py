"""Settings for the AI use-case registry, read from the environment.

Every variable is listed, with a comment, in ``.env.example``. Typed readers come from
django-environ. With no ``DATABASE_URL`` a SQLite file in the project is used and with no
``CELERY_BROKER_URL`` Celery tasks run inline, so the quick start needs no server.
"""

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A local .env file is optional; real deployments set the variables in the process environment.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str(
    "SECRET_KEY",
    # An insecure key is only acceptable for local development; production must set one.
    default="django-insecure-dev-only-key-change-me" if DEBUG else environ.Env.NOTSET,
)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",
    "template_partials",
    "guardian",
    "axes",
    # The Content-Security-Policy header (CONTENT_SECURITY_POLICY below) and its system checks.
    "csp",
    "accounts",
    "registry",
]

MIDDLEWARE = [
    # First: every response, errors included, carries the request id.
    "config.request_id.RequestIdMiddleware",
    # Second: one access-log line per request (redirects and static files too), with its id.
    "config.logs.AccessLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After WhiteNoise: pages get the policy; static files (which never need it) are already served.
    "csp.middleware.CSPMiddleware",
    # A database outage (OperationalError/InterfaceError in a view) answers 503 + Retry-After.
    "config.db_unavailable.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page (429).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
    }
]

# PostgreSQL when DATABASE_URL is set (psycopg 3); otherwise a SQLite file in the project.
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses any login (page, admin, API token login) while that username + IP is locked out.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "registry:use_case_list"
LOGOUT_REDIRECT_URL = "login"
# django-guardian: no anonymous user object; anonymous visitors never get object rights.
ANONYMOUS_USER_NAME = None

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Serve from STATICFILES_DIRS without collectstatic in development.
WHITENOISE_USE_FINDERS = DEBUG

# HTTPS and security headers. Production (DEBUG off) defaults are the secure ones and make
# `manage.py check --deploy` clean; DEBUG on (`make demo`: plain http on 127.0.0.1) turns the
# HTTPS-only ones off. Each can be overridden from the environment (.env.example).
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Seconds a login lasts (default: a working day, 8 hours); closing the browser does not end it.
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 60 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = False
# Plain-http requests are redirected to https, except the health check: load balancers and the
# container's healthcheck probe the process directly over http.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# Behind a load balancer that terminates TLS: the header it sets to say the client used https,
# e.g. SECURE_PROXY_SSL_HEADER=X-Forwarded-Proto. Unset (the default) trusts no header: only set it
# when the proxy overwrites that header on every request, or a client could claim https.
_proxy_ssl_header = env.str("SECURE_PROXY_SSL_HEADER", default="")
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_" + _proxy_ssl_header.upper().replace("-", "_"), "https") if _proxy_ssl_header else None
)
# HTTP Strict Transport Security: a year in production. includeSubDomains is on by default (it
# only covers hosts below the registry's own name); preload is a decision for the domain's owner
# (it commits the whole domain to https, for months, in every browser), so it is off unless set.
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
# Links to other sites carry no path or query string of ours (they may name a use case).
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Without preload, check --deploy warns (security.W021) that the site cannot join the preload
# list: that is the choice made above, not an oversight.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]

# Content-Security-Policy (django-csp), on every page, in development too so that a violation
# shows up before production: scripts and styles only from our own static files (no inline
# <script>, on* attribute, <style> or style="..."; behaviour lives in static/js/, looks in
# static/css/), images from us or data: URIs (Pico's icons), no plugins, no framing, forms post
# only to us. tests/e2e/test_csp.py walks the pages in a browser and fails on any violation.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}

# Login throttling (django-axes): after AXES_FAILURE_LIMIT failed logins for one username from
# one IP address, that pair is refused for AXES_COOLOFF_MINUTES, on the login page, the admin
# and the API token login alike. Attempts are kept in the database (works on SQLite and
# PostgreSQL; rolled back between tests).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# A successful login clears that pair's failures; tries during a lockout do not extend it, so
# the lockout lasts exactly the cool-off from the failure that caused it.
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# Our lockout page (HTML, or JSON for the API): it never repeats the username.
AXES_LOCKOUT_CALLABLE = "accounts.throttling.lockout_response"
AXES_CLIENT_IP_CALLABLE = "accounts.throttling.client_ip"
# No start-up banner on every manage.py command; log lines name only the lockout parameters.
AXES_VERBOSE = False
# Reverse proxies in front of the app that append to X-Forwarded-For (0: use the connection's
# address; a header nobody trusted would let a client pick its own IP and dodge the lockout).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Personal API tokens (accounts.ApiToken): "Authorization: Token <key>" or "Bearer <key>".
        "accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # JSON only in production: DRF's browsable API pages carry inline styles (style="...", a
    # <style> element) that the Content-Security-Policy refuses. The API's page for people is
    # /api/docs/ (Swagger UI, which satisfies the policy). With DEBUG on, developers keep the
    # browsable API; the policy blocks its inline styles there, which only affects its layout.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "AI use-case registry API",
    "DESCRIPTION": "Who built what, what it touches, and whether it is approved.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI's assets come from drf-spectacular-sidecar (served from static/), no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models have a "kind" field with different choices: name each enum in the schema.
    "ENUM_NAME_OVERRIDES": {
        "UseCaseKindEnum": "registry.choices.UseCaseKind",
        "TeamKindEnum": "accounts.choices.TeamKind",
        "CredentialKindEnum": "registry.choices.CredentialKind",
        "FoundationDocumentKindEnum": "registry.choices.FoundationDocumentKind",
        "LibraryEntryStatusEnum": "registry.models.library.LibraryEntry.Status",
        "UsageReportSourceEnum": "registry.models.library.UsageReport.Source",
        # Named too because the library's status and source fields share their field names.
        "ReviewSourceEnum": "registry.choices.ReviewSource",
        "IncidentStatusEnum": "registry.models.incidents.Incident.Status",
    },
}

# Celery: Redis (or RabbitMQ) when a broker URL is set; inline execution otherwise.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_BROKER_CONNECTION_TIMEOUT = 3
# Do not hold a web request retrying a broker that is down: the notification outbox keeps the
# work and the beat job sends it later.
CELERY_TASK_PUBLISH_RETRY = False
# Where beat keeps the last run of each periodic job (a file its process must be able to write).
CELERY_BEAT_SCHEDULE_FILENAME = env.str("CELERY_BEAT_SCHEDULE_FILENAME", default="celerybeat-schedule")

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="registry@localhost")
# Where the file-based email backend writes (EMAIL_BACKEND=...filebased.EmailBackend).
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(BASE_DIR / "var" / "mail"))

# Demo accounts' password (seed_demo); empty means seed_demo refuses to create accounts.
DEMO_PASSWORD = env.str("DEMO_PASSWORD", default="")

# Risk tier thresholds: a use case's risk score (registry.rules.risk) at or above each
# threshold gets that tier.
RISK_TIER_THRESHOLDS = {"critical": 8, "high": 5, "medium": 2}

# Catalog page size (rows); the API uses REST_FRAMEWORK["PAGE_SIZE"].
CATALOG_PAGE_SIZE = env.int("CATALOG_PAGE_SIZE", default=50)

# Days an approved security review lasts, per risk tier (the re-review cadence: DESIGN.md,
# "Security review"). A policy, not a deployment setting, so it is not read from the environment.
REVIEW_EXPIRY_DAYS = {"critical": 90, "high": 180, "medium": 365, "low": 730}
# Days a reviewer has to decide a requested review, per risk tier (the queue's due dates).
REVIEW_SLA_DAYS = {"critical": 2, "high": 5, "medium": 10, "low": 15}
# The review policy: tiers whose builders self-attest (approved at once against the checklist)
# instead of waiting for a reviewer. A regulated company sets REVIEW_SELF_ATTEST_TIERS= (none).
REVIEW_SELF_ATTEST_TIERS = env.list("REVIEW_SELF_ATTEST_TIERS", default=["low"])
# Share of self-attestations sent to the queue for a reviewer's spot check (0.0 to 1.0).
SELF_ATTESTATION_SAMPLE_RATE = env.float("SELF_ATTESTATION_SAMPLE_RATE", default=0.10)
# Owners are warned this many days before an approval expires.
REVIEW_EXPIRY_WARNING_DAYS = 30
# A credential is due for rotation when not rotated for this many days or expiring within the next.
CREDENTIAL_ROTATION_DAYS = env.int("CREDENTIAL_ROTATION_DAYS", default=90)
CREDENTIAL_EXPIRY_WARNING_DAYS = env.int("CREDENTIAL_EXPIRY_WARNING_DAYS", default=14)

# Celery beat: the registry's periodic jobs (`make beat`). Each also runs as a management command.
CELERY_BEAT_SCHEDULE = {
    # Send notifications still pending (e.g. the broker was down when they were written).
    "deliver-pending-notifications": {
        "task": "registry.tasks.notifications_deliver_pending",
        "schedule": 60.0,
    },
    # Approvals past their expiry become expired; owners are told (manage.py sweep_review_expiry).
    "review-expiry-sweep": {"task": "registry.tasks.review_expiry_sweep", "schedule": 24 * 3600.0},
    # Credentials not rotated for CREDENTIAL_ROTATION_DAYS or expiring soon
    # (manage.py sweep_credential_rotation).
    "credential-rotation-sweep": {
        "task": "registry.tasks.credential_rotation_sweep",
        "schedule": 24 * 3600.0,
    },
    # Each team lead's weekly digest of what needs attention (manage.py send_lead_digests).
    "lead-digest": {"task": "registry.tasks.lead_digests_send", "schedule": 7 * 24 * 3600.0},
    # Shared library: flag entries whose approval lapsed, whose owner left or whose use case is
    # suspended; unlist those still flagged after LIBRARY_UNLIST_AFTER_DAYS (manage.py sweep_library).
    "library-sweep": {"task": "registry.tasks.library_sweep", "schedule": 3600.0},
    # The dashboard's shared figures, recomputed ahead of readers (seconds of SQL at 100,000).
    "dashboard-refresh": {
        "task": "registry.tasks.dashboard_refresh",
        "schedule": float(env.int("DASHBOARD_REFRESH_SECONDS", default=300)),
    },
}
# How long a computed dashboard is reused (seconds): the beat job refreshes it before then.
DASHBOARD_CACHE_SECONDS = env.int("DASHBOARD_CACHE_SECONDS", default=600)

# The cache: shared between web processes and the Celery worker in production
# (CACHE_URL=redis://127.0.0.1:6379/1, Django's own Redis backend), so the worker's dashboard
# refresh serves every web process; per-process memory when unset (development, tests).
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}

# The shared library's graduation criteria (issue 6): a use case qualifies with at least
# LIBRARY_MIN_ACTIVE_USERS active users or LIBRARY_MIN_HOURS_SAVED_PER_WEEK hours saved a week
# (its latest monthly usage report, else its registered figures). A flagged library entry not
# fixed within LIBRARY_UNLIST_AFTER_DAYS days is unlisted by the library sweep.
LIBRARY_MIN_ACTIVE_USERS = env.int("LIBRARY_MIN_ACTIVE_USERS", default=5)
LIBRARY_MIN_HOURS_SAVED_PER_WEEK = env.float("LIBRARY_MIN_HOURS_SAVED_PER_WEEK", default=10.0)
LIBRARY_UNLIST_AFTER_DAYS = env.int("LIBRARY_UNLIST_AFTER_DAYS", default=14)
# The currency of usage reports' costs and use cases' monthly cost (an ISO 4217 code).
CURRENCY = env.str("CURRENCY", default="USD")

# The site's address as people reach it, for links in emails (no request to build them from).
SITE_URL = env.str("SITE_URL", default="http://localhost:8000").rstrip("/")

# Logs go to stderr, one record a line: JSON objects (LOG_FORMAT=json, the default with DEBUG
# off: time, level, logger, message, request_id, and method/path/status/duration_ms on the
# "access" logger's line per request, task_id/task_name in Celery tasks) or readable text
# (LOG_FORMAT=text, the default with DEBUG on). See config/logs.py.
LOG_FORMAT = env.str("LOG_FORMAT", default="text" if DEBUG else "json")
if LOG_FORMAT not in ("json", "text"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be 'json' or 'text', not {LOG_FORMAT!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "config.logs.ContextFilter"}},
    "formatters": {
        "json": {"()": "config.logs.JsonFormatter"},
        "text": {"()": "config.logs.TextFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["context"], "formatter": LOG_FORMAT},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
# Celery workers and beat keep this configuration (config/celery.py), with the task id.

# Error reports (500 e-mails, the debug page) also hide POST values that look like secrets.
DEFAULT_EXCEPTION_REPORTER_FILTER = "registry.secret_guard.SecretSafeExceptionReporterFilter"
