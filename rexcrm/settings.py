"""Rex CRM settings: one module, configured from the environment (12-factor).

Every variable is documented in README.md ("Configuration").
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
# pytest sets PYTEST_VERSION for the whole run: tests get fast hashers and a throwaway key.
TESTING = "PYTEST_VERSION" in os.environ

# SECRET_KEY; when it is not set at all, the random key `make install` keeps in var/secret-key
# (so the README's manage.py commands work on a development checkout); else, in DEBUG and
# tests only, a fixed one. An explicitly empty SECRET_KEY is refused outside DEBUG.
SECRET_KEY = os.environ.get("SECRET_KEY")
if SECRET_KEY is None and (VAR_DIR / "secret-key").is_file() and not TESTING:
    SECRET_KEY = (VAR_DIR / "secret-key").read_text().strip()
if not SECRET_KEY:
    if not (DEBUG or TESTING):
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off (or run `make install`, which writes var/secret-key)."
        )
    SECRET_KEY = "insecure-development-key-only-for-debug-and-tests-0123456789abcdef"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG or TESTING else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "rexcrm.core",
    "rexcrm.accounts",
    "rexcrm.events",
    "contacts",
    "deals",
    "activities",
    "imports",
    "rexcrm.workspace",
]

MIDDLEWARE = [
    "rexcrm.core.middleware.ResponseHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "rexcrm.core.middleware.ContentSecurityPolicyMiddleware",  # Django's, each header built once
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "rexcrm.core.middleware.ApiErrorMiddleware",
    # The browser pages' middleware is passed by under /api/ (rexcrm.core.middleware.
    # BrowserOnlyMixin: the API reads no session, cookie or user). CSRF stays Django's own class
    # (check --deploy looks for it by name); every view under /api/ is exempt from it.
    "rexcrm.core.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "rexcrm.core.middleware.AuthenticationMiddleware",
    # Every web UI page needs a signed-in user; the API (its own key auth, DRF views opt out),
    # the admin (its own login), /login/ and /healthz opt out with login_not_required.
    "rexcrm.core.middleware.LoginRequiredMiddleware",
    "rexcrm.core.middleware.TimeZoneMiddleware",
    "rexcrm.core.middleware.HtmxMiddleware",
    "rexcrm.core.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "rexcrm.urls"
WSGI_APPLICATION = "rexcrm.wsgi.application"

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
                "rexcrm.workspace.context_processors.shell",
            ],
        },
    },
]

# Database: DATABASE_URL, or a SQLite file under ./var/ for a zero-setup first run.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'rexcrm.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=os.environ.get("DB_CONN_HEALTH_CHECKS", "1") == "1",
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend with a health check that polls the socket instead of a SELECT 1.
    DATABASES["default"]["ENGINE"] = "rexcrm.core.postgresql"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions take the write lock up front, so read-modify-write blocks
    # (rate limits, dedup) serialise across processes instead of failing with "locked".
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file, not memory, for tests too: concurrency tests need real locking between connections.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

REDIS_URL = os.environ.get("REDIS_URL", "")
# The cache holds what every process must agree on (authenticated API keys), so it is Redis or
# nothing: a per-process cache could keep serving a revoked key. Redis unreachable, the API
# keeps serving from the database (rexcrm/core/sharedcache.py).
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "rexcrm",
        # A Redis that hangs costs a request half a second, once per process per DOWN_SECONDS
        # (rexcrm/core/sharedcache.py): then the database stands in.
        "OPTIONS": {"socket_timeout": 0.5, "socket_connect_timeout": 0.5},
    }
    if REDIS_URL
    else {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
}

# Sign-in attempts (web UI and admin) are throttled per email and per client address
# (rexcrm/accounts/backends.py): a burst, then a steady rate per minute.
AUTHENTICATION_BACKENDS = ["rexcrm.accounts.backends.ThrottledModelBackend"]
REX_LOGIN_THROTTLE = {"BURST": 10, "PER_MINUTE": 1, "ADDRESS_BURST": 50, "ADDRESS_PER_MINUTE": 10}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
if DEBUG or TESTING:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns about a missing root
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or TESTING
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Security: production-grade by default; plain HTTP only when DEBUG is on.
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG and not TESTING)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy: this origin only, no inline script or style, no eval. Front-end
# libraries are vendored under static/vendor/; htmx is told not to inject its indicator style
# (templates/base.html). data: images are the SVG icons inside Tabler's CSS (select arrows,
# checkboxes). The API docs use drf-spectacular's split Swagger view, whose script is a file.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # No SQL or row values in log lines: a database error is logged without its message.
    "filters": {"no_sql": {"()": "rexcrm.core.logs.RedactDatabaseErrors"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["no_sql"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.request": {"level": "ERROR"},
        # urllib3 logs each request's URL, query string included (a webhook receiver's token),
        # at DEBUG: kept at INFO whatever LOG_LEVEL says.
        "urllib3": {"level": "INFO"},
    },
}

# REST API (see rexcrm/core). The framework pieces are wired here once for every resource.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rexcrm.accounts.api.auth.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rexcrm.accounts.api.auth.ScopePermission"],
    "DEFAULT_THROTTLE_CLASSES": ["rexcrm.core.api.ratelimit.ApiKeyRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rexcrm.core.api.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rexcrm.core.api.parsers.JSONParser"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "rexcrm.core.api.renderers.JSONOnlyNegotiation",
    "EXCEPTION_HANDLER": "rexcrm.core.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "rexcrm.core.api.schema.AutoSchema",
    "UNAUTHENTICATED_USER": None,
    "UNAUTHENTICATED_TOKEN": None,
}

REX_API = {
    # Token bucket per API key: sustained rate per minute and bucket size (burst).
    "RATE_LIMIT_PER_MINUTE": int(os.environ.get("RATE_LIMIT_PER_MINUTE", "1000")),
    "RATE_LIMIT_BURST": int(os.environ.get("RATE_LIMIT_BURST", "0")) or None,
    "MAX_BODY_BYTES": int(os.environ.get("API_MAX_BODY_BYTES", str(1024 * 1024))),
    # API keys' last_used_at is written at most this often (seconds) to keep reads write-free.
    "KEY_LAST_USED_RESOLUTION": 60,
}

# Webhooks and the event log (rexcrm/events).
REX_IMPORTS = {
    "MAX_BYTES": int(os.environ.get("IMPORT_MAX_BYTES", str(50_000_000))),  # largest CSV upload
    "CHUNK_ROWS": int(os.environ.get("IMPORT_CHUNK_ROWS", "1000")),  # rows per transaction
    "TURN_SECONDS": 10,  # how long the worker stays on imports before its other jobs get a turn
    # A worker holds an import this long without committing a chunk; then another takes over.
    "LEASE_SECONDS": int(os.environ.get("IMPORT_LEASE_SECONDS", "60")),
}
# Uploaded import files (the web servers and the workers must share this directory).
MEDIA_ROOT = os.environ.get("MEDIA_ROOT", str(VAR_DIR / "media"))

REX_WEBHOOKS = {
    # http:// and loopback hosts are accepted only in development and tests (SSRF guard).
    "ALLOW_LOOPBACK": DEBUG or TESTING,
    "TIMEOUT": 10,  # seconds to connect, and to wait for the response
    # A worker holds a webhook this long without news (renewed at every event): the time after
    # which another worker takes over from one that was killed.
    "LEASE_SECONDS": int(os.environ.get("WEBHOOK_LEASE_SECONDS", "60")),
    "EVENT_RETENTION_DAYS": max(30, int(os.environ.get("EVENT_RETENTION_DAYS", "30"))),
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Rex CRM API",
    "DESCRIPTION": (
        "REST API of Rex CRM, wire-compatible with the hosted Rex CRM public API. "
        "Authenticate with the `X-Api-Key` header. Lists are cursor-paginated. "
        "An empty query value (`sort=`) is the parameter not given. Text is Unicode: a string "
        "holding the NUL character is a 400 `validation_error`, and one holding a lone UTF-16 "
        "surrogate (`\\ud800` unpaired, which has no UTF-8 form) a 400 `invalid_json`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ActivityTypeEnum": "activities.choices.ActivityType",
        "ActivityStatusEnum": "activities.choices.ActivityStatus",
        "TaskStatusEnum": "activities.choices.TaskStatus",
        "TaskPriorityEnum": "activities.choices.TaskPriority",
        "StageTypeEnum": "deals.choices.StageType",
        "DealStatusEnum": "deals.choices.DealStatus",
        "ContactStageEnum": "contacts.choices.ContactStage",
        "ContactSourceEnum": "contacts.choices.ContactSource",
        "CompanySizeEnum": "contacts.choices.CompanySize",
        "WebhookStatusEnum": "rexcrm.events.choices.WebhookStatus",
        "DeliveryStatusEnum": "rexcrm.events.choices.DeliveryStatus",
    },
    "SCHEMA_PATH_PREFIX": r"/api",
    "PREPROCESSING_HOOKS": ["rexcrm.core.api.schema.strip_trailing_slashes"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "rexcrm.core.api.schema.forbid_unknown_request_fields",
    ],
    "SERVERS": [{"url": "/", "description": "This server"}],
}
