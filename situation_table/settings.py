"""Settings for Situation Table, read from environment variables.

Embedded default (nothing configured): SQLite, eager Celery, console email, a development secret.
``DJANGO_ENV=production`` refuses to start unless the secrets and hosts are given explicitly.
"""

import base64
import datetime
import hashlib
import ipaddress
import os
import re
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

# Unset means development (``make run``), but the WSGI/ASGI entry points and runserver on a
# non-loopback address refuse to serve those defaults (see DEVELOPMENT_DEFAULTS_IN_USE).
DJANGO_ENV_IMPLICIT = not os.environ.get("DJANGO_ENV", "").strip()
DJANGO_ENV = os.environ.get("DJANGO_ENV", "").strip().lower() or "development"
if DJANGO_ENV not in {"development", "test", "production"}:
    raise ImproperlyConfigured(
        f"DJANGO_ENV must be development, test or production (got {DJANGO_ENV!r})."
    )
PRODUCTION = DJANGO_ENV == "production"


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def require(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ImproperlyConfigured(
            f"{name} must be set when DJANGO_ENV=production. "
            "See README.md, section 'Configuration'."
        )
    return value


# --- Secrets -----------------------------------------------------------------------------------
_DEV_SECRET = "dev-only-insecure-secret-key-do-not-use-in-production-8f3a1c2e9b"  # noqa: S105  # nosec B105  # dev default only

if PRODUCTION:
    SECRET_KEY = require("SECRET_KEY")
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
    if not ALLOWED_HOSTS:
        require("ALLOWED_HOSTS")
    FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS")
    if not FIELD_ENCRYPTION_KEYS:
        require("FIELD_ENCRYPTION_KEYS")
    BLIND_INDEX_KEY = require("BLIND_INDEX_KEY")
    AUDIT_CHAIN_KEY = require("AUDIT_CHAIN_KEY")
    DEBUG = False
else:
    SECRET_KEY = os.environ.get("SECRET_KEY") or _DEV_SECRET
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
    # A stable development key so that demo data stays readable across restarts.
    _dev_fernet = base64.urlsafe_b64encode(hashlib.sha256(b"situation-table-dev-key").digest())
    FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS") or [_dev_fernet.decode()]
    BLIND_INDEX_KEY = os.environ.get("BLIND_INDEX_KEY") or "dev-only-blind-index-key"
    AUDIT_CHAIN_KEY = os.environ.get("AUDIT_CHAIN_KEY") or "dev-only-audit-chain-key"
    # DEBUG by default only for a development run chosen on purpose, or the bare `make run`
    # (no DJANGO_ENV, no SECRET_KEY, which serves on loopback only).
    DEBUG = env_bool(
        "DEBUG",
        DJANGO_ENV == "development" and (not DJANGO_ENV_IMPLICIT or SECRET_KEY == _DEV_SECRET),
    )
# True when the publicly known development secret is in use: such a site must stay on loopback.
DEVELOPMENT_DEFAULTS_IN_USE = SECRET_KEY == _DEV_SECRET

CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# Encrypts `manage.py backup_database` files; a key of its own, escrowed apart from the backups.
BACKUP_ENCRYPTION_KEY = os.environ.get("BACKUP_ENCRYPTION_KEY", "").strip()
# A refused form is a styled bilingual page (JSON under /api/), with a way back.
CSRF_FAILURE_VIEW = "core.errors.csrf_failure"

# --- Applications ------------------------------------------------------------------------------
INSTALLED_APPS = [
    # First: its runserver (loopback only with the development defaults) wins over the others.
    "situation_table",
    "situation_table.admin_site.OperatorAdminConfig",  # django.contrib.admin, audited + 2FA
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    # runserver speaks ASGI (the live meeting's WebSocket) through daphne, below WhiteNoise's.
    "daphne",
    "django.contrib.staticfiles",
    "django.forms",
    "guardian",
    "django_htmx",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "core",
    "agencies",
    "cases",
    "consent",
    "reports",
    "notifications",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # NUL bytes and absurdly nested JSON are a 400 before any view or database sees them.
    "core.middleware.BoundedInputMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # API POSTs with an Idempotency-Key header: a retry replays the first answer (core/idempotency).
    "core.idempotency.IdempotencyKeyMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # After messages and htmx: they sign out idle sessions and send privileged roles to 2FA.
    "agencies.middleware.IdleSessionTimeoutMiddleware",
    "agencies.middleware.TwoFactorRequiredMiddleware",
    "agencies.middleware.NoStoreWhenSignedInMiddleware",
    # Create forms' one-time tokens (core/once): a token is spent only when the view says it
    # recorded something (once.recorded), never by a redirect to the agreement, 2FA or sign-in.
    "core.once.OnceTokenMiddleware",
    "csp.middleware.CSPMiddleware",
    # django-axes: last, so that it turns a lockout anywhere below into its lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "situation_table.urls"
WSGI_APPLICATION = "situation_table.local_wsgi.application"
# runserver's; servers load situation_table.asgi (which refuses the development defaults).
ASGI_APPLICATION = "situation_table.local_asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "notifications.context_processors.unread_notifications",
            ],
        },
    },
]

FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

# --- Database ----------------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
# PostgreSQL: a connection pool per process (psycopg_pool). Under ASGI every concurrent request
# runs its sync code on its own thread, and persistent per-thread connections would pile up
# past the server's limit (the live meeting's followers fetch in bursts); the pool bounds them
# (DB_POOL_MAX_SIZE per process) and requests wait for a free connection instead.
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool("DB_POOL", True):
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps the connections
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = False
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": int(os.environ.get("DB_POOL_MAX_SIZE", "10")),
        # Waiting for a connection: beyond this the request answers 503 (database unavailable).
        "timeout": int(os.environ.get("DB_POOL_TIMEOUT", "10")),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Authentication ----------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses a locked-out username before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Argon2 for new and changed passwords; the PBKDF2 hashers stay so that existing hashes still
# verify (Django upgrades them to Argon2 at the user's next successful sign-in).
# Argon2id with explicit OWASP parameters (m=19 MiB, t=2, p=1): see core/hashers.py.
PASSWORD_HASHERS = [
    "core.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
if DJANGO_ENV == "test":
    # Fast hashing for the test suite only; real deployments keep the strong default.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # noqa: S105
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
GUARDIAN_RAISE_403 = False

# Sign-in protection (django-axes): after AXES_FAILURE_LIMIT failed sign-ins for one username
# (guessing one account) sign-in for that username is paused for AXES_COOLOFF_MINUTES. A
# successful sign-in clears the count. Operators can unlock at once with
# `manage.py axes_reset_username NAME`.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = datetime.timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "15")))
# Per username only: a lock per address would let anyone lock out a whole office — or, behind
# the TLS proxy, the whole site. Addresses get a progressive delay instead (agencies.signin).
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_CLIENT_IP_CALLABLE = "agencies.signin.client_ip"
# axes.W006 asks for a per-address lock; that lock is the outage described above, replaced on
# purpose by the per-address delay.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
# Proxies whose X-Forwarded-For is believed (addresses or networks, e.g. 10.0.0.0/8); nobody else.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")
for _proxy in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"TRUSTED_PROXIES must list IP addresses or networks (got {_proxy!r})."
        ) from None
SIGNIN_IP_FREE_FAILURES = int(os.environ.get("SIGNIN_IP_FREE_FAILURES", "10"))
SIGNIN_IP_MAX_DELAY_SECONDS = int(os.environ.get("SIGNIN_IP_MAX_DELAY_SECONDS", "60"))
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "agencies.views.lockout"
AXES_ENABLED = env_bool("AXES_ENABLED", True)

# Two-factor authentication (django-otp, TOTP + backup codes). Members with one of these roles on
# any active table must verify a code after their password. The test suite signs people in with
# force_login, so enforcement is off by default there; the 2FA tests switch it on.
OTP_REQUIRED_ROLES = env_list("OTP_REQUIRED_ROLES", "chair,coordinator,privacy_officer")
OTP_ENFORCED = env_bool("OTP_ENFORCED", DJANGO_ENV != "test")
OTP_TOTP_ISSUER = os.environ.get("OTP_TOTP_ISSUER", "Situation Table")
OTP_BACKUP_CODE_COUNT = 10

# Sign out a session after this many minutes without a request (meeting-room laptops).
SESSION_IDLE_TIMEOUT_MINUTES = int(os.environ.get("SESSION_IDLE_TIMEOUT_MINUTES", "30"))
# "Forgot your password?": the link works once, for this long; requests are limited per email
# address (silently: the answer is always the same) and per client address (a clear 429).
PASSWORD_RESET_TIMEOUT = int(os.environ.get("PASSWORD_RESET_HOURS", "2")) * 3600
PASSWORD_RESET_EMAIL_LIMIT_PER_HOUR = int(os.environ.get("PASSWORD_RESET_EMAIL_LIMIT", "3"))
PASSWORD_RESET_IP_LIMIT_PER_HOUR = int(os.environ.get("PASSWORD_RESET_IP_LIMIT", "10"))
# Invitations to join a table: the link works once, until it expires.
INVITATION_VALID_DAYS = int(os.environ.get("INVITATION_VALID_DAYS", "7"))

# --- Internationalisation ----------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "America/Toronto")
USE_I18N = True
USE_TZ = True

# --- Static files ------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- Celery ------------------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "").strip()
# The cache holds API rate-limit counters. The default (per-process memory) is right for one
# process; with several gunicorn workers set CACHE_URL or REDIS_URL so that they share the counts.
CACHE_URL = os.environ.get("CACHE_URL", "").strip() or REDIS_URL
if CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "st",
            # A Redis that hangs must not hang requests: the users of the cache fail open.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
# The live meeting's push (cases.live): through Redis, so that every server process's followers
# hear every change; in memory under the embedded default (one runserver process).
CHANNELS_REDIS_URL = os.environ.get("CHANNELS_REDIS_URL", "").strip() or REDIS_URL
if CHANNELS_REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [CHANNELS_REDIS_URL], "prefix": "st-live"},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# --- Email -------------------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if os.environ.get("EMAIL_HOST")
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Situation Table <no-reply@localhost>")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# --- REST framework ----------------------------------------------------------------------------
# The API (/api/v1/) calls the same services and selectors as the UI; see situation_table/api.py.
REST_FRAMEWORK = {
    # Token first: an anonymous request then gets 401 with "WWW-Authenticate: Token".
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "agencies.api.policies.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "core.api.policies.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_THROTTLE_CLASSES": ["agencies.api.policies.TokenRateThrottle"],
    "DEFAULT_SCHEMA_CLASS": "core.api.schema.ApiSchema",
    "EXCEPTION_HANDLER": "core.api.policies.exception_handler",
}
# Requests authenticated with an API token (integrations) are limited per user; the browser
# session is not. Counted in the default cache: see CACHES.
API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "600/hour").strip() or None
if API_RATE_LIMIT and not re.fullmatch(
    r"\d+/(s|sec|second|m|min|minute|h|hour|d|day)", API_RATE_LIMIT
):
    raise ImproperlyConfigured(f"API_RATE_LIMIT must look like 600/hour (got {API_RATE_LIMIT!r}).")
# Named explicitly: agencies.ApiTokenPolicy (scope, second factor, idle expiry) points at it.
KNOX_TOKEN_MODEL = "knox.AuthToken"  # noqa: S105  # nosec B105  # a model name
# A token unused for this many days stops working (each use restarts the count); knox's expiry
# (API_TOKEN_TTL_DAYS, or the days chosen at creation) is the hard limit.
API_TOKEN_IDLE_DAYS = int(os.environ.get("API_TOKEN_IDLE_DAYS", "14"))
REST_KNOX = {
    # Tokens are stored as SHA-512 digests; the raw token is shown once, at creation.
    "TOKEN_TTL": datetime.timedelta(days=int(os.environ.get("API_TOKEN_TTL_DAYS", "90"))),
    "TOKEN_LIMIT_PER_USER": int(os.environ.get("API_TOKEN_LIMIT_PER_USER", "10")),
    "AUTH_HEADER_PREFIX": "Token",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Situation Table API",
    "DESCRIPTION": (
        "De-identified situations, the four filters, meetings, tasks, Filter 3 disclosures and "
        "consent. Permissions are exactly those of the web interface. Authenticate with the "
        "browser session or with `Authorization: Token <token>`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # Fields the visibility policy withholds from a member are absent from the response
    # (cases.visibility), so no read-only field is "required".
    "COMPONENT_NO_READ_ONLY_REQUIRED": True,
    "ENUM_NAME_OVERRIDES": {
        "SituationStatusEnum": "cases.models.Status",
        "MeetingKindEnum": "cases.models.MeetingKind",
        "ConclusionReasonEnum": "cases.models.ConclusionReason",
        "ConsentKindEnum": "consent.models.ConsentKind",
        "IdentifierFieldEnum": "consent.models.IdentifierField",
        "NotificationKindEnum": "notifications.models.Kind",
    },
    # Docs assets are served by this site (drf-spectacular-sidecar), never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Security ----------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(8 * 3600)))
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp): scripts only from our own origin (htmx and Chart.js are
# served from static/vendor). Styles allow 'unsafe-inline' because several templates still carry
# small style="" attributes and htmx injects its indicator style; no script may be inline.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # Every cookie the site sets is Secure: session, CSRF and the language choice.
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)

# --- Logging: identifying information must never be logged; we log ids only. --------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        },
    },
    # Invitation and reset tokens travel in links: no log line shows them.
    "filters": {"redact_secrets": {"()": "situation_table.redaction.RedactSecretsFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_secrets"],
        },
        # runserver's request lines (Django's own handler, with the same filter added).
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": ["redact_secrets"],
        },
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
        # django-axes: lockouts and repeated failures are warnings; skip its start-up chatter.
        "axes": {"level": "WARNING"},
        # WeasyPrint logs each layout step of every PDF at INFO; keep its warnings only.
        "weasyprint": {"level": "WARNING"},
    },
}

# --- Product settings --------------------------------------------------------------------------
DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD", "situation-table-demo")
# Days identifying information is kept after a situation is concluded (tables may set their own).
RETENTION_DAYS_AFTER_CONCLUSION = int(os.environ.get("RETENTION_DAYS_AFTER_CONCLUSION", "30"))
# Repeat markers one person may cause to be computed per day before further ones are refused and
# flagged to the privacy officer ("more than a handful" is not a table's normal week).
REPEAT_MARKER_DAILY_LIMIT = int(os.environ.get("REPEAT_MARKER_DAILY_LIMIT", "10"))
# Identifying information of a draft unchanged for this many days, and of a situation open (past
# Filter 1) this many days after it was created, is purged too, with an email to the originating
# agency (consent/retention_gaps.py). 0 turns a rule off.
RETENTION_ABANDONED_DRAFT_DAYS = int(os.environ.get("RETENTION_ABANDONED_DRAFT_DAYS", "90"))
RETENTION_OPEN_DAYS = int(os.environ.get("RETENTION_OPEN_DAYS", "365"))

# --- Notifications -----------------------------------------------------------------------------
# Reminders, deadline notices and digests (notifications app). Beat runs the sweep; the sweep
# records what is due in the database and enqueues it, so a lost message is found again.
from celery.schedules import crontab  # noqa: E402

NOTIFICATION_REMINDER_OFFSETS_HOURS = [
    int(h) for h in env_list("NOTIFICATION_REMINDER_OFFSETS_HOURS", "48,2")
]
NOTIFICATION_ESCALATION_GRACE_DAYS = int(os.environ.get("NOTIFICATION_ESCALATION_GRACE_DAYS", "2"))
NOTIFICATION_FIRST_CONTACT_HOURS = int(os.environ.get("NOTIFICATION_FIRST_CONTACT_HOURS", "48"))
NOTIFICATION_DIGEST_WEEKDAY = int(os.environ.get("NOTIFICATION_DIGEST_WEEKDAY", "0"))  # Monday
NOTIFICATION_DIGEST_HOUR = int(os.environ.get("NOTIFICATION_DIGEST_HOUR", "7"))
NOTIFICATION_SWEEP_SECONDS = int(os.environ.get("NOTIFICATION_SWEEP_SECONDS", "300"))
# A claim older than this is a worker that died mid-send; it must exceed EMAIL_TIMEOUT by far.
NOTIFICATION_CLAIM_LEASE_SECONDS = int(os.environ.get("NOTIFICATION_CLAIM_LEASE_SECONDS", "900"))
NOTIFICATION_MAX_ATTEMPTS = int(os.environ.get("NOTIFICATION_MAX_ATTEMPTS", "10"))
# Past the cap a row is "abandoned" (ERROR log, /healthz count) but still retried this often.
NOTIFICATION_SLOW_RETRY_SECONDS = int(os.environ.get("NOTIFICATION_SLOW_RETRY_SECONDS", "3600"))
# First retry delay after an SMTP error; doubles each time (with jitter), up to 10 minutes.
NOTIFICATION_RETRY_BACKOFF_SECONDS = int(os.environ.get("NOTIFICATION_RETRY_BACKOFF_SECONDS", "30"))
# Ids per send_notifications message: one broker round trip per batch, not per email.
NOTIFICATION_BATCH_SIZE = int(os.environ.get("NOTIFICATION_BATCH_SIZE", "100"))
NOTIFICATION_QUEUE = os.environ.get("NOTIFICATION_QUEUE", "").strip()  # empty: Celery's default
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "30"))
if os.environ.get("EMAIL_FILE_PATH"):
    # For the file email backend (tests, or inspecting what a worker sends).
    EMAIL_FILE_PATH = os.environ["EMAIL_FILE_PATH"]

CELERY_BEAT_SCHEDULE = {
    "notifications-sweep": {
        "task": "notifications.tasks.run_sweep",
        "schedule": float(NOTIFICATION_SWEEP_SECONDS),
        # A sweep that waited longer than its period is superseded by the next one.
        "options": {"expires": NOTIFICATION_SWEEP_SECONDS},
    },
    "retention-purge": {
        "task": "consent.tasks.run_retention_purge",
        "schedule": crontab(hour=3, minute=15),
    },
    "consent-expiry": {
        "task": "consent.tasks.end_access_on_expired_consent",
        "schedule": crontab(hour=0, minute=5),
    },
    # Expired sessions and sign-in logs older than SIGN_IN_LOG_RETENTION_DAYS.
    "housekeeping": {
        "task": "core.tasks.run_housekeeping",
        "schedule": crontab(hour=3, minute=45),
    },
    # A signed checkpoint of the audit chain, outside the database (AUDIT_CHECKPOINT_DIR).
    "audit-checkpoint": {
        "task": "consent.tasks.write_audit_checkpoint",
        "schedule": crontab(minute=7),
    },
}
# Signed checkpoints of the audit chain (row count + head) are appended here, outside the
# database; ship the directory elsewhere (another host, a write-once bucket). See README.
AUDIT_CHECKPOINT_DIR = Path(
    os.environ.get("AUDIT_CHECKPOINT_DIR", "").strip() or BASE_DIR / "var" / "audit-checkpoints"
)
# How long an API Idempotency-Key is remembered (and its first answer replayed).
IDEMPOTENCY_KEY_HOURS = int(os.environ.get("IDEMPOTENCY_KEY_HOURS", "24"))
# An unrevoked disclosure identical to one recorded this many minutes ago is refused (a double
# submit, or two people recording the same act).
REPEATED_DISCLOSURE_MINUTES = int(os.environ.get("REPEATED_DISCLOSURE_MINUTES", "10"))
SIGN_IN_LOG_RETENTION_DAYS = int(os.environ.get("SIGN_IN_LOG_RETENTION_DAYS", "90"))

# --- Benchmarks --------------------------------------------------------------------------------
# ``make bench`` only: serves /__bench__/constant/, a constant page with no database access, as
# the baseline the measured pages are compared with. Never set in a deployment.
BENCH_CONSTANT_VIEW = env_bool("BENCH_CONSTANT_VIEW", False)
