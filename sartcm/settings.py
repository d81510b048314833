"""SARTCM settings: one module, driven by the environment (see README "Configuration").

SARTCM_ENV is `development` (default), `test` or `production`. In production every required
variable must be set and well-formed, or start-up fails with a message naming it. In
development, a missing DATABASE_URL / REDIS_URL starts embedded PostgreSQL / Redis.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import dj_database_url

from sartcm.env import SettingsError, envbool, envfloat, envint, envlist, envstr, envurl

BASE_DIR = Path(__file__).resolve().parent.parent

SARTCM_ENV = envstr("SARTCM_ENV", "development")
if SARTCM_ENV not in ("development", "test", "production"):
    raise SettingsError(f"SARTCM_ENV must be development, test or production; got {SARTCM_ENV!r}.")
PRODUCTION = SARTCM_ENV == "production"

if not PRODUCTION:
    warnings.filterwarnings("ignore", module="platformdirs")
    from sartcm.embedded import ensure_environment

    ensure_environment()

SECRET_KEY = envstr(
    "SECRET_KEY", None if PRODUCTION else "dev-only-insecure-key", required=PRODUCTION
)
if PRODUCTION and len(SECRET_KEY or "") < 50:
    raise SettingsError("SECRET_KEY must be at least 50 characters long in production.")
DEBUG = envbool("DEBUG", not PRODUCTION)
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", [] if PRODUCTION else ["localhost", "127.0.0.1", "[::1]"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise SettingsError("ALLOWED_HOSTS must be set in production (comma-separated host names).")
SITE_URL = envstr("SITE_URL", "http://localhost:8000")

DATABASE_URL = envurl("DATABASE_URL", ("postgres", "postgresql"), required=True)
REDIS_URL = envurl("REDIS_URL", ("redis", "rediss", "unix"), required=True)

DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=envint("DB_CONN_MAX_AGE", 60))
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# PostgreSQL's JIT compiler off for this application's sessions (DB_JIT=true turns it back on).
# Every query here is short; JIT only starts on a high cost *estimate*, and the alert sweep's
# statements (estimated at 500,000-800,000 on the statewide dataset) then spent 3-4 s each
# compiling and optimising ~450 functions for a query that runs in 0.2-1.5 s (docs/performance.md).
if not envbool("DB_JIT", False):
    _db_options = DATABASES["default"].setdefault("OPTIONS", {})
    _db_options["options"] = f"{_db_options.get('options', '')} -c jit=off".strip()
# The planner's cost of a random page read, for this application's sessions: 1.1 (SSD, data
# in memory) instead of PostgreSQL's 4 (spinning disks), which priced a partner's few hundred
# case lookups by id above a sequential scan of every case (docs/performance.md, design change
# 16). DB_RANDOM_PAGE_COST sets another value; empty leaves the server's.
_random_page_cost = envfloat("DB_RANDOM_PAGE_COST", 1.1)
if _random_page_cost is not None:
    _db_options = DATABASES["default"].setdefault("OPTIONS", {})
    _db_options["options"] = (
        f"{_db_options.get('options', '')} -c random_page_cost={_random_page_cost}".strip()
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    # The admin site needs an OTP-verified device (sartcm.security.admin_site).
    "sartcm.security.apps.SecureAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "pgtrigger",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "sartcm",
    "sartcm.security",
    "agencies",
    "protocols",
    "mou",
    "cases",
]

MIDDLEWARE = [
    # First: turns any HTML error under /api/ (unmatched URL, uncaught exception) into problem+json.
    "sartcm.api.errors.ProblemResponseMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "sartcm.security.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Django's AuthenticationMiddleware + django-otp's OTPMiddleware, reading the user, the
    # session's device and the account state in one statement (sartcm.security.signin).
    "sartcm.security.signin.SignedInUserMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "sartcm.middleware.RequestContextMiddleware",
    # After the audit context opens, so what they end is audited with the source address.
    "sartcm.security.middleware.MFARequiredMiddleware",
    "sartcm.security.middleware.SessionPolicyMiddleware",
    "sartcm.security.middleware.PasswordPolicyMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a lockout into the lockout page
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses locked accounts before any check
    "sartcm.security.signin.ModelBackend",  # Django's, serving the user signin loaded
    "guardian.backends.ObjectPermissionBackend",
]
ANONYMOUS_USER_NAME = None  # guardian: no anonymous user row; anonymous sees nothing

ROOT_URLCONF = "sartcm.urls"
WSGI_APPLICATION = "sartcm.wsgi.application"
ASGI_APPLICATION = "sartcm.asgi.application"

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
                "sartcm.context_processors.staff",
            ],
        },
    },
]

# Passwords (CJIS IA-5, ASVS V6): 12+ characters (CJIS and ASVS say at least 8; 12 leaves room
# for passphrases while staying typeable), up to 128 so long passphrases fit; common/breached
# and agency words refused; the last 10 not reused. See docs/security.md.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": envint("PASSWORD_MIN_LENGTH", 12)},
    },
    {"NAME": "sartcm.security.validators.MaximumLengthValidator", "OPTIONS": {"max_length": 128}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "sartcm.security.validators.BannedWordsValidator"},
    {"NAME": "sartcm.security.validators.PasswordHistoryValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = envstr("TIME_ZONE", "America/Chicago")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Front-end libraries come from npm (package.json) at set-up; never committed.
STATICFILES_DIRS = [
    ("vendor/bootstrap", BASE_DIR / "node_modules" / "bootstrap" / "dist"),
    ("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
    ("vendor/chartjs", BASE_DIR / "node_modules" / "chart.js" / "dist"),
    BASE_DIR / "static",
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Outside production, serve static files straight from the finders (no collectstatic needed).
WHITENOISE_AUTOREFRESH = not PRODUCTION
MEDIA_ROOT = Path(envstr("MEDIA_ROOT", str(BASE_DIR / "media")))
MEDIA_URL = "/media/"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

# Sessions: CJIS 5.5.5 — lock after 30 idle minutes (refreshed on each request).
SESSION_COOKIE_AGE = envint("SESSION_IDLE_SECONDS", 30 * 60)
# Saved when modified: SessionPolicyMiddleware moves the last-seen clock once a minute.
SESSION_SAVE_EVERY_REQUEST = False
# Django's database sessions, loaded with one SELECT instead of the ORM (sartcm.security.sessions).
SESSION_ENGINE = "sartcm.security.sessions"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Email.
EMAIL_BACKEND = envstr(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = envstr("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", 25)
EMAIL_HOST_USER = envstr("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = envstr("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "sartcm@localhost", required=PRODUCTION)

# Cache and Celery share Redis.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
}
CELERY_BROKER_URL = (
    REDIS_URL.replace("unix://", "redis+socket://", 1)
    if REDIS_URL.startswith("unix://")
    else REDIS_URL
)
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# The alert sweep's rules run in this many lanes side by side, each on its own database
# connection (cases.alerts.engine.run_sweep): the statewide sweep is bound by the database's
# CPU. 1 runs them one after the other.
ALERT_SWEEP_WORKERS = envint("ALERT_SWEEP_WORKERS", 2)
CELERY_BEAT_SCHEDULE: dict[str, dict] = {}  # filled by sartcm/celery.py from each app's tasks

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "sartcm.api.authentication.APIKeyAuthentication",
        "sartcm.api.authentication.SessionAuthentication",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["sartcm.api.throttling.PerClientThrottle"],
    "DEFAULT_THROTTLE_RATES": {"client": envstr("API_RATE", "1200/minute")},
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "sartcm.api.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "sartcm.api.exceptions.problem_exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "SARTCM API",
    "DESCRIPTION": "Multi-agency case management for SART partners. Every endpoint is restricted "
    "to what the caller's role, agency standing (MOU terms) and field allow-lists permit.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Choice sets used under several field names, or one field name used for two sets.
    "ENUM_NAME_OVERRIDES": {
        "RoleEnum": "agencies.choices.Role",
        # A case-team role (fields named `role`) is another set; unnamed, it took "RoleEnum".
        "TeamRoleEnum": "cases.choices.TeamRole",
        "RegistrationRuleEnum": "protocols.choices.RegistrationRule",
        "AlertRuleCodeEnum": "protocols.choices.AlertRuleCode",
        "RegistrationEventKindEnum": "cases.choices.RegistrationEventKind",
        "InstrumentKindEnum": "protocols.choices.InstrumentKind",
        "VerificationResultEnum": "cases.choices.VerificationResult",
        "PolygraphResultEnum": "cases.choices.PolygraphResult",
        "ContactOutcomeEnum": "cases.choices.ContactOutcome",
        "AuditOutcomeEnum": "sartcm.models.AuditOutcome",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Passwords, tokens, secrets and OTP codes never reach the log (sartcm.security.redaction).
    "filters": {"redact": {"()": "sartcm.security.redaction.RedactSensitiveFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact"]}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Error reports hide settings and POST values that look sensitive (OTP codes, URLs with passwords).
DEFAULT_EXCEPTION_REPORTER_FILTER = "sartcm.security.redaction.SensitiveExceptionReporterFilter"

# --- Security policy (sartcm.security; docs/security.md) --------------------------------------
# Lockout (CJIS AC-7): 5 consecutive failures within 15 minutes lock the username until an agency
# administrator unlocks it (no cool-off). The window is applied by our handler.
AXES_HANDLER = "sartcm.security.lockout.WindowedLockoutHandler"
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = None
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True  # "consecutive": a completed logon (MFA included) resets the count
AXES_ENABLE_ACCESS_FAILURE_LOG = False  # our handler writes the per-failure rows itself
AXES_LOCKOUT_CALLABLE = "sartcm.security.views.lockout_response"
AXES_VERBOSE = False
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "password", "code", "csrfmiddlewaretoken"]
SECURITY_LOCKOUT_WINDOW_MINUTES = envint("LOCKOUT_WINDOW_MINUTES", 15)
# axes.W006 asks for ip_address among the lockout parameters. CJIS locks the *account*; locking
# by IP as well would let one agency's shared NAT address lock every colleague until an
# administrator intervened. Rotating user agents or cookies cannot dodge a username lock.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

# MFA (CJIS IA-2): TOTP for every account, recovery codes as the fallback.
OTP_TOTP_ISSUER = envstr("OTP_TOTP_ISSUER", "SARTCM")
OTP_LOGIN_URL = "login"

# Sessions (CJIS AC-11/AC-12): the idle limit is enforced in the session data as well as by
# the cookie/store expiry, so it holds whatever SESSION_COOKIE_AGE says.
SECURITY_SESSION_IDLE_SECONDS = envint("SESSION_IDLE_SECONDS", 30 * 60)
SECURITY_SESSION_ABSOLUTE_SECONDS = envint("SESSION_ABSOLUTE_SECONDS", 12 * 3600)
SECURITY_PASSWORD_MAX_AGE_DAYS = envint("PASSWORD_MAX_AGE_DAYS", 365)
SECURITY_PASSWORD_HISTORY = 10
SECURITY_ACCOUNT_INACTIVE_DAYS = envint("ACCOUNT_INACTIVE_DAYS", 90)

# Response headers (SecurityHeadersMiddleware). No inline scripts or styles anywhere.
SECURITY_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=()"
)
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Demo accounts (README): only honoured outside production.
DEMO_MODE = not PRODUCTION and envbool("DEMO_MODE", True)

os.environ.setdefault("SARTCM_SETTINGS_LOADED", "1")
