"""Settings for the ODR portal: one module, every deployment value read from the environment.

The defaults make a fresh clone run with nothing installed beyond Python: a SQLite file and a
file-system Celery broker under ``.data/``. Production names PostgreSQL and Redis through
``DATABASE_URL`` and ``CELERY_BROKER_URL`` (see README, "Configuration").
"""

import base64
import hashlib
from pathlib import Path

import environ
from celery.schedules import crontab
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(environ.Env().str("ODR_DATA_DIR", default=str(BASE_DIR / ".data")))
DATA_DIR.mkdir(parents=True, exist_ok=True)
(DATA_DIR / "staticfiles").mkdir(exist_ok=True)

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
# The default is for development only; `check --deploy` flags it (it starts "django-insecure-").
SECRET_KEY = env.str("SECRET_KEY", default="django-insecure-development-key-change-me-0123456789")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "core.apps.PortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "formtools",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "core",
    "accounts",
    "regulators",
    "merchants",
    "consumers",
    "cases",
    "api",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "core.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.middleware.NotFoundAuditMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "core.middleware.RefuseNulCharactersMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.SecondFactorMiddleware",
]

ROOT_URLCONF = "odr.urls"
WSGI_APPLICATION = "odr.wsgi.application"

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
                "accounts.context_processors.roles",
                "cases.context_processors.notifications",
            ],
        },
    },
]

# --- Data stores -------------------------------------------------------------------------------

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'odr.sqlite3'}"),
}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Parameters bound by the server (psycopg's server-side cursors), not quoted into the SQL
    # text in Python: about a quarter less CPU per complaint filed (docs/benchmarks.md). psycopg
    # also prepares a statement a connection runs often, so keep connections (CONN_MAX_AGE).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "server_side_binding", env.bool("DB_SERVER_SIDE_BINDING", default=True)
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The worker, beat and web processes share the file: wait for locks instead of failing, and
    # keep the test database in a file so a Celery worker started by a test can see it.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    # Redis that does not answer degrades the rate limits to per-process counting instead of
    # failing every sign-in and API call (core/cache.py).
    CACHES["default"]["BACKEND"] = "core.cache.ResilientRedisCache"

# --- Celery ------------------------------------------------------------------------------------

BROKER_DIR = DATA_DIR / "broker"
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    for _sub in ("queue", "processed", "control"):
        (BROKER_DIR / _sub).mkdir(parents=True, exist_ok=True)
    # kombu's file-system transport with every file written whole and claimed by one rename
    # (odr/broker.py: the stock one races between processes and can kill the worker).
    CELERY_BROKER_TRANSPORT = "odr.broker:Transport"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
    # Nothing fans out on this broker: the one worker is the only reader of the task queue.
    CELERY_WORKER_ENABLE_REMOTE_CONTROL = False
else:
    # A broker that does not answer must not hold anything up: connecting gives up quickly (the
    # nudge published after a commit, cases.tasks, also retries once at most).
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "socket_connect_timeout": env.float("ODR_BROKER_CONNECT_TIMEOUT", default=1.0)
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")

# The one place where periodic work is scheduled. Each entry is a sweep over indexed columns and
# is safe to run twice at once.
# Beat's heartbeat: /healthz answers 503 once three of them were missed.
ODR_HEARTBEAT_SECONDS = env.float("ODR_HEARTBEAT_SECONDS", default=60.0)
CELERY_BEAT_SCHEDULE = {
    "heartbeat": {
        "task": "core.tasks.heartbeat",
        "schedule": ODR_HEARTBEAT_SECONDS,
    },
    "sweep-deadlines": {
        "task": "cases.tasks.sweep_deadlines",
        "schedule": env.float("ODR_SWEEP_SECONDS", default=60.0),
    },
    "recompute-provisional-deadlines": {
        "task": "cases.tasks.recompute_provisional_deadlines",
        "schedule": 6 * 60 * 60.0,
    },
    # The outbox relay: sends pending notification emails and webhook deliveries, and the
    # retries that are due. A run not started within a minute is dropped: the next one does it.
    "relay-outbox": {
        "task": "cases.tasks.relay_outbox",
        "schedule": env.float("ODR_OUTBOX_RELAY_SECONDS", default=5.0),
        "options": {"expires": 60},
    },
    # The regulator dashboards' rollup (regulators/stats.py): recent weeks often, the year nightly.
    "refresh-recent-office-stats": {
        "task": "regulators.tasks.refresh_recent_office_stats",
        "schedule": env.float("ODR_STATS_REFRESH_SECONDS", default=300.0),
    },
    "refresh-office-stats": {
        "task": "regulators.tasks.refresh_office_stats",
        "schedule": 24 * 60 * 60.0,
    },
    # The callback list (回访): each night, a share of the cases closed the days before.
    "sample-callbacks": {
        "task": "regulators.tasks.sample_callbacks",
        "schedule": crontab(hour=1, minute=30),
    },
}

# --- People and sign-in ------------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
# Django's and allauth's backends, each loading the person's role rows with them (one query).
AUTHENTICATION_BACKENDS = [
    "accounts.backends.ModelBackend",
    "accounts.backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "landing"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
# Sign in with the email address or the verified mobile number, and a password. Consumers sign up
# with a mobile number, checked by a code sent to it (accounts.adapter.AccountAdapter.send_sms);
# the email is optional.
ACCOUNT_LOGIN_METHODS = {"email", "phone"}
ACCOUNT_SIGNUP_FIELDS = ["phone*", "email", "password1*", "password2*"]
ACCOUNT_SIGNUP_FORM_CLASS = "consumers.forms.ConsumerSignupForm"
ACCOUNT_FORMS = {
    "login": "accounts.forms.LoginForm",
    "signup": "accounts.forms.SignupForm",
    # The reset mail is looked up, made and sent by a worker, whether the address has an account
    # or not: the answer takes as long either way (accounts/forms.py).
    "reset_password": "accounts.forms.ResetPasswordForm",
}
ACCOUNT_PHONE_VERIFICATION_CODE_FORMAT = {"numeric": True, "length": 6, "dashed": False}
ACCOUNT_PHONE_VERIFICATION_SUPPORTS_RESEND = True
ACCOUNT_PHONE_VERIFICATION_SUPPORTS_CHANGE = True
# `mandatory` would need an email at every sign-up, which phone sign-up does not ask for.
ACCOUNT_EMAIL_VERIFICATION = env.str("ACCOUNT_EMAIL_VERIFICATION", default="optional")
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
# Rate limits, kept in the shared cache (CACHE_URL) by allauth: "amount/period/per", per "ip" (the
# client's address) or "key" (what the limit is about). Mobile carriers put many people behind one
# address, so the per-address limits are high and the per-account ones low.
ACCOUNT_RATE_LIMITS = {
    # Sign-in posts of any outcome from one address.
    "login": env.str("ODR_RATE_LIMIT_SIGN_IN", default="60/m/ip"),
    # Failed sign-ins, for one account (a guesser: a hard stop; the account's email and its
    # mobile number share one allowance), and from one address (a password sprayer). The
    # per-address limit only slows: its period is a minute, so that a carrier's or a campus's
    # shared address, with many honest people behind it, waits a minute at worst and is never
    # locked for longer (a limit per address over an hour locked them all out for the hour). A
    # sprayer from one address gets 10 tries a minute at most, and each account 5 in 5 minutes.
    "login_failed": env.str("ODR_RATE_LIMIT_SIGN_IN_FAILED", default="10/m/ip,5/5m/key"),
    # Codes sent to a mobile number (sign-up, resend, change): per number and per address. Each
    # code takes ACCOUNT_PHONE_VERIFICATION_MAX_ATTEMPTS (3) wrong guesses at most, so this also
    # bounds guessing a number's code.
    "verify_phone": env.str("ODR_RATE_LIMIT_PHONE_CODE", default="1/m/key,5/h/key,20/m/ip"),
    # Public tracking (cases.tracking): failed look-ups from one address whatever the number,
    # and of one case number from one address ("key" is the number and the address).
    "track_failed": env.str("ODR_RATE_LIMIT_TRACK_FAILED", default="60/h/ip,5/15m/key"),
    # ... and of one case number from every address together: a guesser with many addresses.
    "track_failed_number": env.str("ODR_RATE_LIMIT_TRACK_FAILED_NUMBER", default="100/h/key"),
}
# A reverse proxy that every request passes through and that writes the client's address into one
# header (nginx: "X-Real-IP"). Unset, the address is the connection's: a header the client sent
# proves nothing. Used by the rate limits (allauth) and the audit log alike.
_CLIENT_IP_HEADER = env.str("ODR_TRUSTED_CLIENT_IP_HEADER", default="")
ALLAUTH_TRUSTED_CLIENT_IP_HEADER = _CLIENT_IP_HEADER or None
ODR_TRUSTED_PROXY_HEADER = (
    "HTTP_" + _CLIENT_IP_HEADER.upper().replace("-", "_") if _CLIENT_IP_HEADER else None
)
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "ODR 12315"
# TOTP secrets and recovery-code seeds are stored encrypted (Fernet) by the MFA adapter.
MFA_ADAPTER = "accounts.mfa.MFAAdapter"
# The Fernet keys that encrypt them: comma-separated, the first one encrypts and every one
# decrypts (a new key goes first; `manage.py mfa_rotate_keys` re-encrypts everything with it;
# the old one can go after that). Generate one with `python -c "from cryptography.fernet import
# Fernet; print(Fernet.generate_key().decode())"`. Required in production: without it, a key is
# derived from SECRET_KEY, and only while SECRET_KEY is the development one or DEBUG is on (a
# development machine, the tests); otherwise the portal refuses to start.
ODR_MFA_ENCRYPTION_KEY = [
    key.strip() for key in env.list("ODR_MFA_ENCRYPTION_KEY", default=[]) if key.strip()
]
if not ODR_MFA_ENCRYPTION_KEY:
    if not DEBUG and not SECRET_KEY.startswith("django-insecure-"):
        raise ImproperlyConfigured(
            "Set ODR_MFA_ENCRYPTION_KEY: the key that encrypts the TOTP secrets (README, "
            '"Configuration"); python -c "from cryptography.fernet import Fernet; '
            'print(Fernet.generate_key().decode())" makes one.'
        )
    # Development and tests only: a key derived from SECRET_KEY.
    ODR_MFA_ENCRYPTION_KEY = [
        base64.urlsafe_b64encode(
            hashlib.sha256(b"odr.mfa.encryption:" + SECRET_KEY.encode()).digest()
        ).decode()
    ]
for _key in ODR_MFA_ENCRYPTION_KEY:
    try:
        Fernet(_key)
    except ValueError:
        raise ImproperlyConfigured(
            "ODR_MFA_ENCRYPTION_KEY: each key must be 32 url-safe base64-encoded bytes, as "
            "Fernet.generate_key() makes them."
        ) from None

# --- Internationalisation ----------------------------------------------------------------------

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# The portal's date formats where Django's are not what its pages need (odr/formats/).
FORMAT_MODULE_PATH = ["odr.formats"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static files ------------------------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(DATA_DIR / "media")))
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
WHITENOISE_USE_FINDERS = DEBUG

# --- Email -------------------------------------------------------------------------------------

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="ODR 12315 <noreply@odr.example.cn>")
# Seconds to wait for the mail server: a relay's sending thread never hangs on it.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
ADMINS = [("Operators", a) for a in env.list("ADMIN_EMAILS", default=[])]

# --- Security (production values make `check --deploy` silent) ----------------------------------

SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# A form whose CSRF token is out of date gets the portal's page, not Django's.
CSRF_FAILURE_VIEW = "core.views.csrf_failure"
SILENCED_SYSTEM_CHECKS = env.list("SILENCED_SYSTEM_CHECKS", default=[])
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default has no covering indexes (INCLUDE): the rollup's index is made without
    # its extra column there, which only PostgreSQL's index-only scans need.
    SILENCED_SYSTEM_CHECKS = [*SILENCED_SYSTEM_CHECKS, "models.W040"]

# --- API ---------------------------------------------------------------------------------------

REST_FRAMEWORK = {
    # A token first, so that a request without credentials is answered 401 with
    # "WWW-Authenticate: Bearer"; the browser's session (with its CSRF check) second.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "api.permissions.TokenScope",
    ],
    # Requests per token and writes per person or token, checked together (api/throttling.py).
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.DefaultRateLimits"],
    # Requests per period ("s", "m", "h" or "d"), counted in the shared cache (CACHE_URL).
    "DEFAULT_THROTTLE_RATES": {
        # Requests authenticated by one token, whatever they do.
        "api_token": env.str("ODR_API_RATE_TOKEN", default="3600/h"),
        # Writes (POST) by one person or token.
        "api_write": env.str("ODR_API_RATE_WRITE", default="60/m"),
        # Requests with a token that does not exist, per client address (token guessing): once
        # the address has used its allowance, unknown tokens are answered 429 instead of 401.
        # A live token is never refused for them, and the period is short, so that an address
        # shared by many integrations is at worst slowed, never shut (api/authentication.py).
        "api_auth_failed": env.str("ODR_API_RATE_AUTH_FAILED", default="10/m"),
        # Tokens created by one merchant owner or regulator supervisor.
        "api_token_create": env.str("ODR_API_RATE_TOKEN_CREATE", default="10/h"),
        # Complaints filed through the API by one consumer.
        "api_complaint": env.str("ODR_API_RATE_COMPLAINT", default="20/h"),
        # Complaints transferred by one 12345 hotline token.
        "api_hotline": env.str("ODR_API_RATE_HOTLINE", default="600/h"),
    },
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "api.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
        "rest_framework.parsers.FormParser",
    ],
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "DEFAULT_METADATA_CLASS": "api.metadata.ApiMetadata",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ODR portal API",
    "DESCRIPTION": (
        "The REST API of the ODR portal: cases addressed by number, every action of the case "
        "engine, each role's lists, and 12345 hotline intake. See docs/api.md."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    # Swagger UI and ReDoc from our own static files, never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "CaseStatusEnum": "cases.models.Status",
        "ResolutionEnum": "cases.models.Resolution",
        "RemedyEnum": "cases.models.Remedy",
        "ChannelEnum": "cases.models.Channel",
    },
}
# How long an API token works after it is created (days).
ODR_API_TOKEN_DAYS = env.int("ODR_API_TOKEN_DAYS", default=365)

# --- Logging -----------------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

# --- Product settings --------------------------------------------------------------------------

# Tests that need PostgreSQL, Redis or Chromium fail instead of skipping when this is set (CI).
ODR_REQUIRE_SERVICES = env.bool("ODR_REQUIRE_SERVICES", default=False)
# How many due cases one sweep claims per transaction.
ODR_SWEEP_BATCH_SIZE = env.int("ODR_SWEEP_BATCH_SIZE", default=500)

# Evidence files (cases/evidence.py). A photo or a PDF may be up to ODR_EVIDENCE_MAX_FILE_BYTES;
# a video, which is larger for the same few seconds of proof, up to ODR_EVIDENCE_MAX_VIDEO_BYTES;
# everything attached to one case together up to ODR_EVIDENCE_MAX_CASE_BYTES.
#
# An image costs what its pixels cost, not its bytes (Pillow holds four bytes a pixel: 240 MB for
# 60 MP, from a PNG of 200 KB), so each is judged from its header before any pixel is decoded:
# - ODR_EVIDENCE_MAX_IMAGE_PIXELS: more is refused. 40 MP keeps every photo phones save by default
#   (12 MP, 24 MP on recent iPhones; 50 MP sensors save 12.5 MP unless told otherwise) and 4K and
#   5K screenshots; only the rarely chosen 48–50 MP full-resolution modes must be saved smaller.
# - ODR_EVIDENCE_STORED_IMAGE_PIXELS: a larger image is stored reduced by the least whole factor
#   that brings it under (a 24 MP photo at half its width and height), and decoded at that size
#   (a JPEG by its decoder's own scale, a PNG a strip of rows at a time). 13 MP keeps a phone's
#   default photo as it is (4032 × 3024, 4160 × 3120) and is plenty to read a receipt or a chat;
#   the stored picture (52 MB at most) and its copy turned upright keep a worker's growth for any
#   image near 100 MB, under the 150 MB aimed at (docs/benchmarks.md, "Evidence images").
# - ODR_EVIDENCE_MAX_PIXELS_PER_BYTE: an image larger than what is stored must bring at least one
#   byte for this many pixels. A photo carries sensor noise: 2–10 pixels a byte as a JPEG (and
#   a camera's JPEG of one flat colour, a few bits for each 8 × 8 block, is still about 64); a
#   screenshot of text or a chat is 5–40 as a PNG. One colour deflates to 300 pixels a byte and
#   more (the 233 KB PNG of 60 MP: 257). 100 refuses such a file and no genuine photo or
#   screenshot; a blank screenshot, which can pass it, is smaller than what is stored and is not
#   judged by it.
# ODR_RATE_LIMIT_EVIDENCE: evidence files one person uploads on the pages (the case page and the
# filing form), in allauth's format ("amount/period/per", per "user"; empty: no limit); a file
# over it is refused unread (HTTP 429). Checking a large image takes a worker up to a second or
# two: 30 in 10 minutes and 300 a day are more than a person's evidence (a complaint's photos, a
# merchant agent answering cases all day) and bound what one account makes the workers decode.
# The API counts every write by ODR_API_RATE_WRITE.
ODR_EVIDENCE_MAX_FILE_BYTES = env.int("ODR_EVIDENCE_MAX_FILE_BYTES", default=10 * 1024 * 1024)
ODR_EVIDENCE_MAX_VIDEO_BYTES = env.int("ODR_EVIDENCE_MAX_VIDEO_BYTES", default=30 * 1024 * 1024)
ODR_EVIDENCE_MAX_CASE_BYTES = env.int("ODR_EVIDENCE_MAX_CASE_BYTES", default=50 * 1024 * 1024)
ODR_EVIDENCE_MAX_IMAGE_PIXELS = env.int("ODR_EVIDENCE_MAX_IMAGE_PIXELS", default=40_000_000)
ODR_EVIDENCE_STORED_IMAGE_PIXELS = env.int("ODR_EVIDENCE_STORED_IMAGE_PIXELS", default=13_000_000)
ODR_EVIDENCE_MAX_PIXELS_PER_BYTE = env.int("ODR_EVIDENCE_MAX_PIXELS_PER_BYTE", default=100)
ODR_RATE_LIMIT_EVIDENCE = env.str("ODR_RATE_LIMIT_EVIDENCE", default="30/10m/user,300/d/user")

# How long the link in an email inviting someone to a merchant's staff works (merchants/services).
ODR_STAFF_INVITATION_DAYS = env.int("ODR_STAFF_INVITATION_DAYS", default=7)

# Callback visits (回访, regulators/services.py): the share of the cases closed each day that is
# sampled into the owning office's callback list, from 0 to 1 (all of them).
ODR_CALLBACK_SHARE = env.float("ODR_CALLBACK_SHARE", default=0.10)
# Abnormal complainants (product §6, regulators/selectors.py): a consumer with at least this many
# complaints in twelve months, or with complaints against at least this many merchants, is listed
# for the regulator to decide on.
ODR_ABNORMAL_COMPLAINTS = env.int("ODR_ABNORMAL_COMPLAINTS", default=20)
ODR_ABNORMAL_MERCHANTS = env.int("ODR_ABNORMAL_MERCHANTS", default=10)

# The outbox (cases/notifications.py): notification emails and webhook deliveries are rows
# written with the event, sent by the relay. A failed attempt is tried again after
# ODR_OUTBOX_RETRY_SECONDS, doubling each time up to ODR_OUTBOX_RETRY_MAX_SECONDS; an email is
# given up after ODR_EMAIL_MAX_ATTEMPTS attempts, a webhook delivery after
# ODR_WEBHOOK_MAX_ATTEMPTS (the owner can redeliver it). One relay run sends at most
# ODR_OUTBOX_BATCH_SIZE emails and as many deliveries.
ODR_OUTBOX_BATCH_SIZE = env.int("ODR_OUTBOX_BATCH_SIZE", default=200)
# The relay claims ODR_OUTBOX_CLAIM_SIZE rows at a time under a lease of ODR_OUTBOX_LEASE_SECONDS
# (another relay takes them only once it ends: a relay that died) and sends them with
# ODR_OUTBOX_SENDERS threads, committing each one's outcome as soon as it is known. The lease
# must outlast a claim's sending: CLAIM_SIZE / SENDERS times the slowest send (EMAIL_TIMEOUT,
# twice ODR_WEBHOOK_TIMEOUT_SECONDS).
ODR_OUTBOX_CLAIM_SIZE = env.int("ODR_OUTBOX_CLAIM_SIZE", default=32)
ODR_OUTBOX_LEASE_SECONDS = env.int("ODR_OUTBOX_LEASE_SECONDS", default=120)
ODR_OUTBOX_SENDERS = env.int("ODR_OUTBOX_SENDERS", default=8)
ODR_OUTBOX_RETRY_SECONDS = env.int("ODR_OUTBOX_RETRY_SECONDS", default=30)
ODR_OUTBOX_RETRY_MAX_SECONDS = env.int("ODR_OUTBOX_RETRY_MAX_SECONDS", default=3600)
ODR_EMAIL_MAX_ATTEMPTS = env.int("ODR_EMAIL_MAX_ATTEMPTS", default=10)
# After a commit, each process nudges the relay for the events just recorded, at most once per
# ODR_OUTBOX_NUDGE_SECONDS (the nudge names the events of the commits in between; 0: after
# every commit). Beat's relay sends anything a nudge did not name.
ODR_OUTBOX_NUDGE_SECONDS = env.float("ODR_OUTBOX_NUDGE_SECONDS", default=1.0)

# Webhooks (merchants/webhooks.py, docs/webhooks.md). URLs must be https unless DEBUG, and every
# address their host resolves to must be public (no private, loopback, link-local or reserved
# ones), checked when the URL is registered and again at each delivery. Addresses or networks in
# ODR_WEBHOOK_ALLOWED_ADDRESSES are let through all the same (tests: 127.0.0.1).
ODR_WEBHOOK_REQUIRE_HTTPS = env.bool("ODR_WEBHOOK_REQUIRE_HTTPS", default=not DEBUG)
ODR_WEBHOOK_ALLOWED_ADDRESSES = env.list("ODR_WEBHOOK_ALLOWED_ADDRESSES", default=[])
# Seconds to connect, and again to wait for the answer, of one delivery.
ODR_WEBHOOK_TIMEOUT_SECONDS = env.float("ODR_WEBHOOK_TIMEOUT_SECONDS", default=5.0)
ODR_WEBHOOK_MAX_ATTEMPTS = env.int("ODR_WEBHOOK_MAX_ATTEMPTS", default=10)
# Failed attempts in a row (whatever the delivery) after which an endpoint is disabled.
ODR_WEBHOOK_DISABLE_AFTER_FAILURES = env.int("ODR_WEBHOOK_DISABLE_AFTER_FAILURES", default=20)
