"""Agora settings: everything comes from environment variables with safe laptop defaults.

Two modes: ``AGORA_ENV=development`` (default; embedded SQLite, file-based Celery broker, console
email) and ``AGORA_ENV=production`` (refuses to start without SECRET_KEY and ALLOWED_HOSTS, secure
cookies, HSTS). Scale-out services are switched on by their URLs (DATABASE_URL, REDIS_URL, ...).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse, urlsplit, urlunsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


AGORA_ENV = os.environ.get("AGORA_ENV", "development").strip().lower()
if AGORA_ENV not in {"development", "production"}:
    raise ImproperlyConfigured(
        f"AGORA_ENV must be 'development' or 'production', got {AGORA_ENV!r}"
    )
PRODUCTION = AGORA_ENV == "production"

VAR_DIR = Path(os.environ.get("AGORA_VAR_DIR", BASE_DIR / "var")).resolve()
# `make test` runs the suite in several pytest-xdist processes ("gw0", "gw1", ...): each gets its
# own files (test database, media, runs, broker folder) and, below, its own Redis database, so one
# process's cache.clear() or queued job never reaches another's. The worker processes a test
# starts inherit the variable and so land in the same place.
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if XDIST_WORKER:
    VAR_DIR = VAR_DIR / f"xdist-{XDIST_WORKER}"
VAR_DIR.mkdir(parents=True, exist_ok=True)

# --- secrets and hosts ---
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set when AGORA_ENV=production.")
    # A laptop gets a random key kept under var/, so sessions survive restarts.
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(64))
        key_file.chmod(0o600)
    SECRET_KEY = key_file.read_text().strip()

DEBUG = env_bool("AGORA_DEBUG", False)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("AGORA_DEBUG cannot be on when AGORA_ENV=production.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["localhost", "127.0.0.1", "[::1]"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when AGORA_ENV=production.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# --- applications ---
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "template_partials",
    "allauth",
    "allauth.account",
    "agora.core",
    "agora.accounts",
    "agora.forum",
    "agora.notifications",
    "agora.moderation",
    "agora.events",
    "agora.learn",
    "agora.showcase",
    "agora.gallery",
    "agora.pages",
    "agora.following",
    "agora.lab",
    "agora.challenges",
    "agora.search",
    "agora.api",
    "ninja",  # its static Swagger UI (the CDN page would break our CSP)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "agora.core.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "agora.core.middleware.UserPreferencesMiddleware",
    "agora.moderation.middleware.DailyVisitMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "agora.urls"
WSGI_APPLICATION = "agora.wsgi.application"
ASGI_APPLICATION = "agora.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "agora" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "agora.core.context_processors.site",
                "agora.notifications.context_processors.notifications",
            ],
        },
    },
    {
        # The forum's per-post and per-row templates (agora/*/jinja2/): see agora.core.jinja_env.
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "APP_DIRS": True,
        "OPTIONS": {"environment": "agora.core.jinja_env.environment"},
    },
]

# --- database ---
DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'agora.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
# A kept connection is checked before each request reuses it: after a database restart the next
# request reconnects instead of failing on a dead socket.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Kept open between requests: a new connection first parses the whole schema (~5 ms).
    DATABASES["default"]["CONN_MAX_AGE"] = 60
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers and one writer work at once; writers wait instead of failing.
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        ),
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
    }
    # A file (not :memory:) so a real worker process can share the test database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USING_POSTGRES = DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql")
if USING_POSTGRES:
    # The same backend, waiting a few seconds for a restarting database instead of answering
    # 503 at once (agora/core/dbbackends/postgresql/base.py).
    DATABASES["default"]["ENGINE"] = "agora.core.dbbackends.postgresql"
DATABASE_CONNECT_WAIT_SECONDS = float(os.environ.get("AGORA_DB_CONNECT_WAIT_SECONDS", "5"))

# --- cache, broker, background jobs ---
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL and XDIST_WORKER:
    # gw0 keeps the given database (0 when none is given), gw1 the one below it (or above 0).
    _redis = urlsplit(REDIS_URL)
    _db, _worker = int(_redis.path.strip("/") or 0), int(XDIST_WORKER.removeprefix("gw"))
    _db = _db - _worker if _db else _worker
    REDIS_URL = urlunsplit(_redis._replace(path=f"/{_db}"))
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("AGORA_CACHE_PREFIX", "agora"),
        }
    }
else:
    # A database table, so the web server and the worker share rate limits and locks.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "agora_cache",
        }
    }
# Parts of the page layout that only the language and the page's name decide ({% cache ...
# using="layout" %} in base.html): kept in each process, never shared, never stale after a
# deploy (a new process starts empty).
CACHES["layout"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "agora-layout",
    "TIMEOUT": None,
    "OPTIONS": {"MAX_ENTRIES": 2000},
}
# The rendered rows of the topic lists (agora.forum.views.topic_rows), each under a key made of
# everything the row shows: kept in each process, never stale, about 1 KB a row.
CACHES["rows"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "agora-rows",
    "TIMEOUT": 3600,
    "OPTIONS": {"MAX_ENTRIES": 10000},
}

BROKER_DIR = Path(os.environ.get("AGORA_BROKER_DIR", VAR_DIR / "broker")).resolve()
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or REDIS_URL or "filesystem://"
if CELERY_BROKER_URL.startswith("filesystem://"):
    for sub in ("queue", "processed"):
        (BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "control_folder": str(BROKER_DIR / "control"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "store_processed": False,
        # kombu polls the folder once a second by default: up to 1 s added to every job.
        "polling_interval": float(os.environ.get("AGORA_BROKER_POLL_SECONDS", "0.1")),
    }
    (BROKER_DIR / "control").mkdir(parents=True, exist_ok=True)
if CELERY_BROKER_URL.startswith("redis"):
    # A job whose worker died unacknowledged goes back to the queue after this long.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env_int("AGORA_BROKER_VISIBILITY_TIMEOUT", 3600)
    }
EMAIL_SEND_LEASE_SECONDS = env_int("AGORA_EMAIL_SEND_LEASE_SECONDS", 300)
# The database row is the job (agora/core/jobs.py): how often beat sweeps each kind, how long a
# waiting row goes unwoken before the sweep wakes it again, a worker's lease on a Job row, and
# how many failures a Job row gets before it stays for staff to look at.
JOB_SWEEP_SECONDS = env_int("AGORA_JOB_SWEEP_SECONDS", 30)
JOB_WAKE_AFTER_SECONDS = env_int("AGORA_JOB_WAKE_AFTER_SECONDS", 120)
JOB_LEASE_SECONDS = env_int("AGORA_JOB_LEASE_SECONDS", 300)
JOB_MAX_ATTEMPTS = env_int("AGORA_JOB_MAX_ATTEMPTS", 5)
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ALWAYS_EAGER = env_bool("AGORA_TASKS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    "event-reminders": {"task": "agora.events.tasks.send_event_reminders", "schedule": 15 * 60},
    "lab-recover-stalled-runs": {
        "task": "agora.lab.tasks.recover_stalled_runs",
        "schedule": JOB_SWEEP_SECONDS,
    },
    "sqlite-optimize": {"task": "agora.core.tasks.optimize_database", "schedule": 6 * 3600},
    # One sweep per kind of job (agora/core/jobs.py): wake what a dead worker or broker lost.
    "sweep-emails": {"task": "agora.core.tasks.sweep_emails", "schedule": JOB_SWEEP_SECONDS},
    "sweep-jobs": {"task": "agora.core.tasks.sweep_jobs", "schedule": JOB_SWEEP_SECONDS},
    "sweep-webhooks": {"task": "agora.api.tasks.sweep_deliveries", "schedule": JOB_SWEEP_SECONDS},
    "sweep-challenges": {
        "task": "agora.challenges.tasks.sweep_challenges",
        "schedule": JOB_SWEEP_SECONDS,
    },
}
CELERY_TASK_ROUTES = {
    "agora.lab.tasks.train_run": {"queue": "training"},
    # an evaluation rebuilds the run: it trains, so it waits in the training queue
    "agora.challenges.tasks.evaluate_submission": {"queue": "training"},
    # lesson widgets' live trainings (GAN game, VAE, sampler table) are trainings too
    "agora.learn.tasks.run_widget": {"queue": "training"},
}
# Members of trust level 3 and up may create challenges and contests (staff always may).
CHALLENGES_TRUSTED_MAY_CREATE = env_bool("AGORA_CHALLENGES_TRUSTED_MAY_CREATE", False)

# --- the lab ----------------------------------------------------------------------------------
# Working folders of training runs; with workers on several machines this must be shared storage.
LAB_RUNS_DIR = Path(os.environ.get("AGORA_LAB_RUNS_DIR", VAR_DIR / "runs")).resolve()
LAB_MAX_ACTIVE_RUNS_PER_MEMBER = env_int("AGORA_LAB_MAX_ACTIVE_RUNS_PER_MEMBER", 2)
LAB_MAX_QUEUED_RUNS = env_int("AGORA_LAB_MAX_QUEUED_RUNS", 20)
LAB_MAX_STEPS = env_int("AGORA_LAB_MAX_STEPS", 20_000)
LAB_RUN_STALE_SECONDS = env_int("AGORA_LAB_RUN_STALE_SECONDS", 90)
LAB_MAX_DATASETS_PER_MEMBER = env_int("AGORA_LAB_MAX_DATASETS_PER_MEMBER", 5)
LAB_TORCH_THREADS = env_int("AGORA_LAB_TORCH_THREADS", 2)
# Checkpoints a worker process keeps loaded for generations (least recently used dropped; 0: none)
LAB_MODEL_CACHE_SIZE = env_int("AGORA_LAB_MODEL_CACHE_SIZE", 4)
LAB_MAX_DATASET_BYTES = env_int("AGORA_LAB_MAX_DATASET_BYTES", 50 * 1024 * 1024)
# Images in one uploaded data set: each costs 12 KB of float32 at 32x32 in the worker (20,000:
# ~250 MB); an archive with more is refused before any image is decoded.
LAB_MAX_DATASET_IMAGES = env_int("AGORA_LAB_MAX_DATASET_IMAGES", 20_000)
API_WEBHOOK_RETRY_BASE_S = env_int("AGORA_WEBHOOK_RETRY_BASE_S", 30)  # first webhook retry delay
WORKER_HEARTBEAT_SECONDS = env_int("AGORA_WORKER_HEARTBEAT_SECONDS", 10)
WORKER_HEARTBEAT_STALE_SECONDS = env_int("AGORA_WORKER_HEARTBEAT_STALE_SECONDS", 60)

# --- accounts ---
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_REDIRECT_URL = "/"
LOGIN_URL = "account_login"
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
# Discourse-style: a duplicate address gets a clear message rather than a silent "check your mail".
ACCOUNT_PREVENT_ENUMERATION = False
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_REDIRECT_URL = "/"
ACCOUNT_USERNAME_MIN_LENGTH = 3
# "zoo": the account the official models belong to (agora.lab.services.zoo)
ACCOUNT_USERNAME_BLACKLIST = [
    "admin",
    "administrator",
    "root",
    "staff",
    "agora",
    "system",
    "api",
    "zoo",
]
ACCOUNT_ADAPTER = "agora.accounts.adapter.AccountAdapter"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Agora] "
ACCOUNT_CHANGE_EMAIL = True
# Failed logins per IP and per account; past the limit allauth refuses with a clear message.
ACCOUNT_RATE_LIMITS = {
    "login_failed": os.environ.get("AGORA_LOGIN_FAILED_LIMIT", "10/m/ip,5/5m/key"),
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
}
AGORA_OPEN_SIGNUP = env_bool("AGORA_OPEN_SIGNUP", True)

AVATAR_MAX_BYTES = env_int("AGORA_AVATAR_MAX_BYTES", 5 * 1024 * 1024)
AVATAR_MAX_PIXELS = 40_000_000
AVATAR_SIZE = 256
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- email ---
# Absolute links in emails (no request to build them from in a worker).
# The address `manage.py serve` (make run) listens on; the site's address follows it by default.
AGORA_SERVE_ADDR = os.environ.get("AGORA_SERVE_ADDR", "127.0.0.1:8000")
AGORA_SITE_URL = os.environ.get("AGORA_SITE_URL", f"http://{AGORA_SERVE_ADDR}").rstrip("/")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Agora <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_URL = os.environ.get("EMAIL_URL", "")
if EMAIL_URL:
    parsed = urlparse(EMAIL_URL)
    if parsed.scheme not in {"smtp", "smtps", "console", "file"}:
        raise ImproperlyConfigured(
            "EMAIL_URL must start with smtp://, smtps://, console:// or file://"
        )
    if parsed.scheme == "console":
        EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    elif parsed.scheme == "file":
        EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
        EMAIL_FILE_PATH = parsed.path
    else:
        query = parse_qs(parsed.query)
        EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        EMAIL_HOST = parsed.hostname or "localhost"
        EMAIL_PORT = parsed.port or (465 if parsed.scheme == "smtps" else 587)
        EMAIL_HOST_USER = unquote(parsed.username or "")
        EMAIL_HOST_PASSWORD = unquote(parsed.password or "")
        EMAIL_USE_SSL = parsed.scheme == "smtps"
        EMAIL_USE_TLS = not EMAIL_USE_SSL and query.get("tls", ["1"])[0] not in {"0", "false"}
        EMAIL_TIMEOUT = 20
elif PRODUCTION:
    raise ImproperlyConfigured("EMAIL_URL must be set when AGORA_ENV=production (smtp://...).")
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

# --- languages and time ---
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
LANGUAGE_COOKIE_NAME = "agora_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
LOCALE_PATHS = [BASE_DIR / "agora" / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"
TIMEZONE_COOKIE_NAME = "agora_tz"
LANGUAGE_NAMES = {"en": _("English"), "zh-hans": _("Simplified Chinese")}

# --- static and media ---
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "agora" / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("AGORA_MEDIA_ROOT", VAR_DIR / "media")).resolve()
# Behind nginx: after the permission check Agora answers with `X-Accel-Redirect: <this><path>`
# and nginx sends the file from an `internal` location (see docs/operations.md). Empty: Django
# sends it.
MEDIA_ACCEL_REDIRECT = os.environ.get("AGORA_MEDIA_ACCEL_REDIRECT", "")
S3_BUCKET = os.environ.get("AWS_STORAGE_BUCKET_NAME", "")
# How long the signed address the media view redirects to stays valid, once access is checked.
S3_SIGNED_URL_SECONDS = env_int("AGORA_S3_SIGNED_URL_SECONDS", 300)
STORAGES = {
    "default": {"BACKEND": "agora.core.storage.SafeFileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
if S3_BUCKET:
    STORAGES["default"] = {
        "BACKEND": "agora.core.storage.CheckedS3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "endpoint_url": os.environ.get("AWS_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("AWS_S3_REGION_NAME") or None,
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
# Whitenoise serves app static files straight from their folders until collectstatic has run.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# --- security ---
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("AGORA_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("AGORA_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("AGORA_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("AGORA_HSTS_PRELOAD", True)
    if env_bool("AGORA_BEHIND_PROXY", True):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("AGORA_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- lessons (agora/learn/widgets) ------------------------------------------------------------
# New figure settings a member may compute per hour (cached figures are free for everyone).
LEARN_WIDGET_QUOTA_PER_HOUR = env_int("AGORA_LEARN_WIDGET_QUOTA_PER_HOUR", 30)
CELERY_BEAT_SCHEDULE["sweep-lesson-widgets"] = {
    "task": "agora.learn.tasks.sweep_widgets",
    "schedule": JOB_SWEEP_SECONDS,
}
