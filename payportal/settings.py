"""PayPortal settings: one module, every value from the environment.

Parsing is strict (environs raises on ``PAYPORTAL_DEBUG=maybe``) and no secret
has a default: without ``SECRET_KEY`` one is generated once and kept in the
data dir, so an embedded install works with no configuration at all.
"""

import secrets
from datetime import timedelta
from pathlib import Path

from csp.constants import NONE, SELF
from environs import Env

env = Env()

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(env.path("PAYPORTAL_DATA_DIR", Path.cwd() / "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key(name: str = "secret_key") -> str:
    # Keep the generated key in the data dir so sessions and reset links
    # survive a restart; never fall back to a key written in code.
    path = DATA_DIR / name
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = env.str("SECRET_KEY", "") or _secret_key()
DEBUG = env.bool("PAYPORTAL_DEBUG", False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", [])
# The address users are sent in invite and reset emails when no request is
# at hand (commands); views use the request's own host.
PAYPORTAL_BASE_URL = env.str("PAYPORTAL_BASE_URL", "http://localhost:8000")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.forms",
    "axes",
    "django_htmx",
    "template_partials",
    "payportal.core",
    "payportal.merchants",
    "payportal.accounts",
    "payportal.audit",
    "payportal.dashboard",
    "payportal.payments",
    "payportal.processors",
    "payportal.seed",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "payportal.core.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Before the portal's middleware, which answer htmx requests too.
    "django_htmx.middleware.HtmxMiddleware",
    "payportal.accounts.middleware.SessionLimitsMiddleware",
    "payportal.merchants.middleware.MerchantMiddleware",
    "payportal.accounts.mfa.middleware.MFAMiddleware",
    "payportal.accounts.middleware.PasswordChangeRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

# Every form renders its fields through one template (label, input, help,
# errors tied to the input with aria-describedby).
FORM_RENDERER = "payportal.core.forms.PortalFormRenderer"
ROOT_URLCONF = "payportal.urls"
WSGI_APPLICATION = "payportal.wsgi.application"

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
                "payportal.core.context_processors.portal",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------
DATABASES = {
    "default": env.dj_db_url(
        "DATABASE_URL",
        f"sqlite:///{DATA_DIR / 'payportal.sqlite3'}",
        # Each server thread keeps its connection for a minute: a new
        # PostgreSQL connection per request tripled the load test's latency
        # (docs/performance.md). Checked before reuse, so a restarted
        # database costs one failed request at most.
        conn_max_age=env.int("PAYPORTAL_DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the single writer; IMMEDIATE transactions
    # take the write lock up front, which serialises writes (DESIGN §6).
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and sessions -----------------------------------------------------
REDIS_URL = env.str("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        },
    }
    CACHES["throttle"] = CACHES["default"]
    SESSION_ENGINE = "django.contrib.sessions.backends.cache"
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        # Throttle counters must be shared by every server process, so the
        # embedded default keeps them in the database.
        "throttle": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "payportal_throttle",
        },
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.db"

# Sessions end after more than 15 minutes idle (PCI DSS 8.2.8) and 12 hours
# in all: SessionLimitsMiddleware enforces both to the second. The store's
# own expiry (renewed on every request) is a minute longer, so it is only a
# backstop and never ends a session at 15:00 exactly, before the rule does.
PAYPORTAL_SESSION_IDLE = timedelta(minutes=15)
SESSION_COOKIE_AGE = int(PAYPORTAL_SESSION_IDLE.total_seconds()) + 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
PAYPORTAL_SESSION_MAX_AGE = timedelta(hours=12)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# htmx sends the token from the page (base.html), so no script reads it.
CSRF_COOKIE_HTTPONLY = True
# Behind HTTPS (every production install), cookies are Secure and HSTS is
# sent; the embedded demo runs on plain http://localhost.
HTTPS = env.bool("PAYPORTAL_HTTPS", False)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = 365 * 24 * 60 * 60 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = env.bool("PAYPORTAL_HSTS_PRELOAD", HTTPS)
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https")
    if env.bool("PAYPORTAL_BEHIND_PROXY", False)
    else None
)

# --- Authentication ---------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "payportal.accounts.backends.PortalBackend",
]
# "/" is the login page for a visitor and the dashboard after login.
LOGIN_URL = "dashboard"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "dashboard"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# DESIGN §4: 12-128 characters (15 when the firm does not require two-step
# sign-in), a letter and a digit, not like the user's own details, not
# common (Django's list and the portal's), not one of the last four.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "payportal.accounts.validators.FirmMinimumLengthValidator"},
    {"NAME": "payportal.accounts.validators.MaximumLengthValidator"},
    {"NAME": "payportal.accounts.validators.LetterAndDigitValidator"},
    {
        "NAME": (
            "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"
        ),
        "OPTIONS": {"user_attributes": ("username", "full_name", "email")},
    },
    {"NAME": "payportal.accounts.validators.CommonPasswordBlocklistValidator"},
    {"NAME": "payportal.accounts.validators.PasswordHistoryValidator"},
]
PASSWORD_RESET_TIMEOUT = 60 * 60  # one hour (DESIGN §4)
PAYPORTAL_SET_PASSWORD_LINK_TIMEOUT = 72 * 60 * 60

# Lockout (PCI DSS 8.3.4): 10 consecutive failures per username lock it for
# 30 minutes or until an admin unlocks it. Unknown usernames are counted the
# same way, so lockout does not reveal which usernames exist.
AXES_FAILURE_LIMIT = 10
# A callable: the lock lasts exactly 30 minutes (open at 30:00), see lockout.py.
AXES_COOLOFF_TIME = "payportal.accounts.lockout.axes_cool_off"
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_USERNAME_CALLABLE = "payportal.accounts.lockout.username_from_request"
AXES_LOCKOUT_CALLABLE = "payportal.accounts.lockout.lockout_response"
AXES_ENABLE_ADMIN = False
AXES_VERBOSE = False
AXES_DISABLE_ACCESS_LOG = True
# Per-address throttling of sign-in and reset requests (django-ratelimit).
RATELIMIT_USE_CACHE = "throttle"
RATELIMIT_ENABLE = env.bool("PAYPORTAL_RATELIMIT", True)
PAYPORTAL_LOGIN_RATE = env.str("PAYPORTAL_LOGIN_RATE", "30/5m")
PAYPORTAL_RESET_RATE = env.str("PAYPORTAL_RESET_RATE", "10/h")

# --- Email ------------------------------------------------------------------
_email_url = env.str("EMAIL_URL", "")
if _email_url:
    if _email_url.startswith("smtp+tls://"):
        _email_url = "smtp://" + _email_url.removeprefix("smtp+tls://")
        _email_url += ("&" if "?" in _email_url else "?") + "tls=True"
    vars().update(env.dj_email_url("EMAIL_URL_PARSED", _email_url))
else:
    EMAIL_BACKEND = "payportal.core.mail.OutboxBackend"
    EMAIL_FILE_PATH = str(DATA_DIR / "outbox")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", "PayPortal <no-reply@localhost>")
EMAIL_TIMEOUT = 10

# --- Static files -----------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- Uploads (chargeback evidence) -----------------------------------------
# Served only through a permission-checked view, never as public media.
MEDIA_ROOT = DATA_DIR / "uploads"
EVIDENCE_MAX_FILE_BYTES = 5 * 1024 * 1024
# Text of the evidence fields together, as processors limit it.
EVIDENCE_MAX_TEXT_CHARS = 150_000
# Whole request: five evidence files' worth plus the form.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# --- Processors -------------------------------------------------------------
# The signing secret of the sandbox processor's webhooks: the sandbox signs
# with it and /webhooks/sandbox/ verifies with it, as a real processor's
# endpoint secret. Generated into the data dir when not given.
SANDBOX_WEBHOOK_SECRET = env.str("PAYPORTAL_SANDBOX_WEBHOOK_SECRET", "") or (
    _secret_key("sandbox_webhook_secret")
)
WEBHOOK_TOLERANCE_SECONDS = 300

# --- Security headers -------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Browser features the portal never uses, off for every page (an empty
# list is "()": allowed nowhere); passkeys (WebAuthn) for the portal's own
# pages only. PermissionsPolicyMiddleware sends it.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    **{
        feature: []
        for feature in (
            "accelerometer",
            "camera",
            "display-capture",
            "geolocation",
            "gyroscope",
            "magnetometer",
            "microphone",
            "midi",
            "payment",
            "serial",
            "usb",
            "xr-spatial-tracking",
        )
    },
    "publickey-credentials-create": ["self"],
    "publickey-credentials-get": ["self"],
}
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("PAYPORTAL_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# Usernames are unique ignoring case through a database constraint on
# Lower("username"), and the backend looks them up with iexact; Django's check
# only recognises a plain unique=True.
# axes.W006: per-address throttling is django-ratelimit's job here (a
# firm's staff share one office address; locking it would lock them all).
SILENCED_SYSTEM_CHECKS = ["auth.W004", "axes.W006"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        # Its DEBUG lines print template context and query strings, which may
        # hold a card number someone typed (refused, but shown again): never
        # log them, even when the root level is turned down to DEBUG.
        "django.template": {"level": "INFO"},
    },
}
