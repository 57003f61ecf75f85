"""Settings for CME Portal, read from the environment.

Development defaults (DEBUG on, SQLite, inline Celery) make `make run` work on a
fresh machine. With DEBUG off the production check below refuses unsafe values.
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path

import dj_database_url
import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured

# Django's generic classes (ModelAdmin[Program], ModelForm[Goal], Lookup[list[str]]) accept the
# type parameters mypy checks at run time too; this changes nothing else.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# ENVIRONMENT=production (set by the Docker image and compose file) makes any
# unsafe value a startup error, DEBUG included.
PRODUCTION = os.environ.get("ENVIRONMENT", "").strip().lower() == "production"
DEBUG = env_bool("DEBUG", not PRODUCTION)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG must be off in production (ENVIRONMENT=production).")
DEMO_MODE = env_bool("DEMO_MODE", DEBUG)
DEMO_PASSWORD = "demo-cme-2026"  # noqa: S105 - public demo password, shown only in demo mode

_INSECURE_KEY = "insecure-development-key-do-not-use-in-production"
SECRET_KEY = os.environ.get("SECRET_KEY", _INSECURE_KEY if DEBUG else "")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# The address every link in an email starts with (reminders, digests, invitations, password reset).
# Required, and https, when DEBUG is off: `check --deploy` fails otherwise (cme_portal/checks.py).
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000" if DEBUG else "").strip().rstrip("/")

if not DEBUG:
    if not SECRET_KEY or SECRET_KEY == _INSECURE_KEY or len(SECRET_KEY) < 50:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set to a random value of at least 50 characters when DEBUG is off."
        )
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is off.")
    if DEMO_MODE:
        raise ImproperlyConfigured("DEMO_MODE cannot be on when DEBUG is off.")

INSTALLED_APPS = [
    "cme_portal.admin_site.OperatorAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "axes",
    "csp",
    "rest_framework",
    "drf_spectacular",
    "accounts",
    "programs",
    "careers",
    "outcomes",
    "supervision",
    "api",
    "demo",
]

MIDDLEWARE = [
    "cme_portal.faults.DatabaseUnavailableMiddleware",
    "cme_portal.middleware.RequestSizeLimitMiddleware",  # before anything can read the body
    "cme_portal.client_address.ForwardedHeadersMiddleware",  # before anything reads X-Forwarded-*
    "cme_portal.faults.UnreadableBodyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "cme_portal.middleware.PrivateCacheControlMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
    "supervision.middleware.DueRemindersMiddleware",  # the quickstart's reminder runner (off with Celery beat)
]

ROOT_URLCONF = "cme_portal.urls"
WSGI_APPLICATION = "cme_portal.wsgi.application"
ASGI_APPLICATION = "cme_portal.asgi.application"

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
                "csp.context_processors.nonce",
                "cme_portal.context_processors.site",
                "supervision.context_processors.notifications",  # the navigation's unread count
                "demo.context_processors.demo_logins",  # empty unless DEMO_MODE
            ],
            "libraries": {"site_tags": "cme_portal.templatetags.site_tags"},  # cme_portal is not an app
        },
    },
    {
        # The table rows a page writes by the hundred (cme_portal/fragments.py); never a page of its own.
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "NAME": "jinja2",
        "DIRS": [BASE_DIR / "fragments"],
        "APP_DIRS": False,
        "OPTIONS": {"environment": "cme_portal.fragments.environment"},
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # JIT compiling cost 0.98 s of the ranked catalog's 1.2 s point-class GROUP BY at 100,000 listings
    # (EXPLAIN ANALYZE); this app's queries are short, and none gains from it.
    DATABASES["default"]["OPTIONS"] = {"options": "-c jit=off"}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the inline job runner write while pages read.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Reverse proxies (IP addresses or CIDR networks) whose X-Forwarded-For and X-Forwarded-Proto
# are believed (cme_portal.client_address); from anyone else those headers are dropped.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")
for _entry in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_entry, strict=False)
    except ValueError:
        raise ImproperlyConfigured(f"TRUSTED_PROXIES: {_entry!r} is not an IP address or network.") from None

# Sign-in limits (django-axes with accounts.limits.SignInLimitHandler), both within the cool-off:
# an account is locked after AXES_FAILURE_LIMIT failures from any addresses; an address after
# SIGN_IN_ADDRESS_FAILURE_LIMIT failures on any accounts (higher: a hospital NAT is one address).
AXES_HANDLER = "accounts.limits.SignInLimitHandler"
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
SIGN_IN_ADDRESS_FAILURE_LIMIT = int(os.environ.get("SIGN_IN_ADDRESS_FAILURE_LIMIT", "50"))
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_CLIENT_IP_CALLABLE = "cme_portal.client_address.client_address"
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_ENABLED = env_bool("AXES_ENABLED", True)

# Password-reset emails (accounts.limits.password_reset_allowed), counted in the database.
PASSWORD_RESET_LIMIT_PER_ACCOUNT = int(os.environ.get("PASSWORD_RESET_LIMIT_PER_ACCOUNT", "3"))
PASSWORD_RESET_LIMIT_PER_ADDRESS = int(os.environ.get("PASSWORD_RESET_LIMIT_PER_ADDRESS", "10"))
PASSWORD_RESET_LIMIT_WINDOW = 60 * 60  # seconds

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "America/New_York")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploads: the local private directory (default), or an S3-compatible bucket shared by every web
# and worker replica (STORAGE_BACKEND=s3; README "Deployment"). Either way a file that cannot be
# stored leaves nothing and raises FileNotStored, and files are served only by access-checked views.
STORAGE_BACKEND = os.environ.get("STORAGE_BACKEND", "local").strip().lower()
if STORAGE_BACKEND == "local":
    _default_storage: dict[str, object] = {"BACKEND": "cme_portal.storage.PrivateFileSystemStorage"}
elif STORAGE_BACKEND == "s3":
    if not os.environ.get("AWS_STORAGE_BUCKET_NAME"):
        raise ImproperlyConfigured("STORAGE_BACKEND=s3 needs AWS_STORAGE_BUCKET_NAME.")
    _default_storage = {
        "BACKEND": "cme_portal.s3_storage.PrivateS3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["AWS_STORAGE_BUCKET_NAME"],
            # Empty: AWS itself; else e.g. http://minio:9000 for an S3-compatible server.
            "endpoint_url": os.environ.get("AWS_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("AWS_S3_REGION_NAME") or None,
            # Empty: boto3's own chain (instance role, AWS_* variables it reads itself).
            "access_key": os.environ.get("AWS_ACCESS_KEY_ID") or None,
            "secret_key": os.environ.get("AWS_SECRET_ACCESS_KEY") or None,
            "location": os.environ.get("AWS_LOCATION", ""),
            "addressing_style": os.environ.get("AWS_S3_ADDRESSING_STYLE") or None,
            "signature_version": "s3v4",
            "default_acl": "private",
            "file_overwrite": False,
            "querystring_auth": True,
        },
    }
else:
    raise ImproperlyConfigured(f"STORAGE_BACKEND must be 'local' or 's3', not {STORAGE_BACKEND!r}.")
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Uploaded files (certificates, policy documents, import files) are private:
# they live outside the static path and are served only by views that check
# ownership. MEDIA_URL is deliberately not routed.
MEDIA_ROOT = Path(os.environ.get("PRIVATE_MEDIA_ROOT", BASE_DIR / "var" / "private"))
FILE_UPLOAD_PERMISSIONS = 0o640
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Fields and files in one request body or query string (Django's defaults: 1,000 and 100). The
# largest form (a listing, or a project ticking every linked course) sends under 200 fields and
# no form takes more than one file; beyond these the request is a 400 before any view runs.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 500
DATA_UPLOAD_MAX_NUMBER_FILES = 5

# Cache: Redis when configured, local memory otherwise. The cache is optional: Redis down
# or hung is a cache miss after at most CACHE_TIMEOUT seconds, then skipped for
# CACHE_RETRY_AFTER seconds (cme_portal/cache.py); every page reads the database instead.
# Sessions are stored in the database and django-axes uses its database handler, so
# neither needs Redis.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    _cache_timeout = float(os.environ.get("CACHE_TIMEOUT", "0.3"))
    CACHES = {
        "default": {
            "BACKEND": "cme_portal.cache.FailSafeRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "socket_connect_timeout": _cache_timeout,
                "socket_timeout": _cache_timeout,
                "retry": Retry(NoBackoff(), 0),  # redis-py would otherwise retry a hung server
                "retry_after": float(os.environ.get("CACHE_RETRY_AFTER", "10")),
            },
        }
    }
elif DEBUG:
    # Room for the ranked catalog's per-program entries (listings, cards' parts) of a few pages: at the default
    # 300 a page culled a third of the cache, option lists included, which Redis never does.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "OPTIONS": {"MAX_ENTRIES": 5000}}}
else:
    # Production without Redis: no cache rather than one per process, which replicas would not share
    # (a catalog edit would stay stale on the others). tests/test_process_state.py checks this.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
# Sessions in the database, explicitly: every replica sees every session (never a local file or memory).
SESSION_ENGINE = "django.contrib.sessions.backends.db"

# Celery: Redis broker when REDIS_URL is set; otherwise tasks run inline so the
# quickstart needs nothing but Python.
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL or env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 3600,
    "socket_connect_timeout": 2,
    "socket_timeout": 2,
    "max_retries": 0,
}
CELERY_TASK_PUBLISH_RETRY = False
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {}
# Import jobs the broker never received (it was down) or whose worker died are queued again.
CELERY_BEAT_SCHEDULE["programs-requeue-stale-import-jobs"] = {
    "task": "programs.tasks.import_jobs_requeue_stale",
    "schedule": 60.0,
}
# One-submission receipts (accounts.submissions) are needed for a day at most.
CELERY_BEAT_SCHEDULE["accounts-prune-submission-receipts"] = {
    "task": "accounts.submission_receipts_prune",
    "schedule": 60 * 60,
}
# Every due reminder (renewals, reviews, weekly digests, practice follow-ups) through one function,
# supervision.reminders.reminders_send_due. Each reminder is sent once (unique key), so the hourly
# run is harmless: a digest is keyed by the week's Monday, a renewal by its date.
CELERY_BEAT_SCHEDULE["supervision-reminders-send-due"] = {
    "task": "supervision.reminders_send_due",
    "schedule": 60 * 60,
}
# Without a broker (the quickstart, `make run`) no beat runs: `make run` sends due reminders before
# serving, and then a signed-in request runs the same function at most once per this many minutes
# (supervision.middleware.DueRemindersMiddleware). Off (0) by default when REDIS_URL is set, and in
# production without Redis: its cache is a dummy, which holds no window, so every request would run it.
REMINDERS_RUN_ON_REQUEST_MINUTES = int(
    os.environ.get("REMINDERS_RUN_ON_REQUEST_MINUTES", "10" if DEBUG and not REDIS_URL else "0")
)

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "CME Portal <no-reply@cme-portal.test>")

# Security headers and cookies.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 12
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]

# Content Security Policy: no inline scripts or styles, no eval; htmx is
# configured (templates/base.html) not to inject its indicator styles.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Expected failures (malformed requests, bad hosts, 4xx, the database briefly away) log one
# line; real 500s keep their traceback (cme_portal/log_filters.py).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"expected_failures_in_one_line": {"()": "cme_portal.log_filters.ExpectedFailuresInOneLine"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["expected_failures_in_one_line"]},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

# Catalog and import limits (import-format.md).
CATALOG_PAGE_SIZE = 20
IMPORT_MAX_BYTES = 20 * 1024 * 1024
# Largest request body accepted (cme_portal.middleware.RequestSizeLimitMiddleware, checked on the
# declared Content-Length before the body is read): the 20 MB import upload plus 1 MB of form.
# deploy/nginx.conf's client_max_body_size must be the same (tests/test_deployment.py checks it).
REQUEST_MAX_BYTES = int(os.environ.get("REQUEST_MAX_BYTES", str(IMPORT_MAX_BYTES + 1024 * 1024)))
IMPORT_MAX_ROWS = 200_000


# --- JSON API (api/, README "API") ---------------------------------------------------------
API_THROTTLE_TOKEN = os.environ.get("API_THROTTLE_TOKEN", "600/hour")
API_THROTTLE_USER = os.environ.get("API_THROTTLE_USER", "1200/hour")
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.AccessTokenAuthentication",
        "api.authentication.CsrfSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.TokenScopeAllows"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.TokenOrUserThrottle"],
    "DEFAULT_THROTTLE_RATES": {"token": API_THROTTLE_TOKEN, "user": API_THROTTLE_USER},
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.problems.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # `?format=` is a catalog filter (the activity format), not DRF's renderer override.
    "URL_FORMAT_OVERRIDE": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "CME Portal API",
    "DESCRIPTION": "Catalog, ranking, plan, shortlist and credits of the signed-in clinician; team figures.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "PREPROCESSING_HOOKS": ["api.schema.only_versioned_paths"],
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "api.schema.add_links"],
    "ENUM_NAME_OVERRIDES": {
        "ShortlistStatusEnum": "careers.models.ShortlistStatus",
        "FundingRequestStatusEnum": "supervision.models.RequestStatus",
    },
}
