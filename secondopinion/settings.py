"""Settings for the Second Opinion portal, read from the environment (secondopinion/env.py).

Every variable has a default that is safe for local use only (DESIGN.md, "Configuration").
With nothing set the portal runs on SQLite, runs tasks in-process once the transaction commits
and prints emails to the console. With DEBUG off it refuses to start on the default secret key.
"""

from __future__ import annotations

import json
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from .env import email_config, env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

# --- Core ---------------------------------------------------------------------------------

_INSECURE_KEY = "django-insecure-local-development-only"
DEBUG = env_bool("DEBUG", True)
SECRET_KEY = env_str("SECRET_KEY", _INSECURE_KEY)
if not DEBUG and (SECRET_KEY == _INSECURE_KEY or len(SECRET_KEY) < 50):
    raise ImproperlyConfigured(
        "DEBUG is off: set SECRET_KEY to a random value of at least 50 characters "
        "(python -c 'import secrets; print(secrets.token_urlsafe(64))')."
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "secondopinion.apps.PortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "csp",
    "crispy_forms",
    "crispy_bootstrap5",
    "bootstrap",
    "django_htmx",
    "secondopinion.apps.SecondOpinionConfig",
    "requests.apps.RequestsConfig",
    "navigators.apps.NavigatorsConfig",
]

MIDDLEWARE = [
    # First: what follows must not read X-Forwarded-* headers a client wrote itself.
    "secondopinion.middleware.TrustedProxyMiddleware",
    # Before the size limit, so that every answer but the program's pages says noindex
    # (413s included).
    "secondopinion.seo.RobotsTagMiddleware",
    "secondopinion.middleware.RequestSizeLimitMiddleware",
    "secondopinion.middleware.AllowedMethodsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "secondopinion.middleware.SessionRenewalMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "secondopinion.middleware.StaffSessionMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Every admin list and object page a member of staff opens goes in the audit trail.
    "requests.audit_reads.AuditReadsMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "secondopinion.middleware.PortalCSPMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "secondopinion.urls"
WSGI_APPLICATION = "secondopinion.wsgi.application"

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
                "secondopinion.context_processors.program",
            ],
        },
    },
]

# --- Data ---------------------------------------------------------------------------------

DATABASE_URL = env_str("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
    }
else:
    DATABASES = {
        "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / "db.sqlite3"}
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "secondopinion",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Rendered parts of pages that are the same for everyone (the public forms' fields, in each
# language), kept in each process: a deploy starts afresh, and no page waits on Redis.
CACHES["fragments"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "fragments",
    "TIMEOUT": 3600,
}

# --- The program --------------------------------------------------------------------------

APPOINTMENT_TARGET_DAYS = env_int("APPOINTMENT_TARGET_DAYS", 7, minimum=1)
TARGET_WARNING_DAYS = env_int("TARGET_WARNING_DAYS", 2, minimum=0)
PLAN_TARGET_DAYS = env_int("PLAN_TARGET_DAYS", 7, minimum=1)
# Records gate the visit, not the booking: a visit this close with records still missing is
# flagged "records at risk" to the navigator and the records staff.
VISIT_RECORDS_WARNING_DAYS = env_int("VISIT_RECORDS_WARNING_DAYS", 2, minimum=0)
# Where most first visits are: the booking form starts with it (a navigator may change it).
APPOINTMENT_LOCATION = env_str("APPOINTMENT_LOCATION", "Cancer Center, Building B, 3rd floor")
# A new case nobody has taken after this many hours is brought to the supervisors.
UNASSIGNED_ALERT_HOURS = env_int("UNASSIGNED_ALERT_HOURS", 4, minimum=1)
TARGET_SWEEP_MINUTES = env_int("TARGET_SWEEP_MINUTES", 5, minimum=1)
# A record requested this many days ago and not received is flagged to chase.
RECORDS_FOLLOW_UP_DAYS = env_int("RECORDS_FOLLOW_UP_DAYS", 2, minimum=1)
RECORDS_DIGEST_HOUR = env_int("RECORDS_DIGEST_HOUR", 7, minimum=0)
# Withdrawn and declined requests are anonymised this many days after they closed.
RETENTION_DAYS = env_int("RETENTION_DAYS", 365, minimum=1)
PATIENT_ACCESS_PHONE = env_str("PATIENT_ACCESS_PHONE", "833-773-3111")
PROGRAM_NAME = "Cancer Second Opinion Program"
# Imaging discs (requests/imaging): the DICOM server that keeps them, unset to keep them in
# private storage only (with previews rendered by the portal); its URL carries the
# credentials, http://user:password@127.0.0.1:8042, and it is never exposed to the internet.
ORTHANC_URL = env_str("ORTHANC_URL", "")
# A disc larger than this once unpacked is refused, and so is a .zip that unpacks to more
# than this many times its size (a zip bomb; DICOM compresses two to five times).
IMAGING_MAX_BYTES = env_int("IMAGING_MAX_BYTES", 2 * 1024**3, minimum=1)
IMAGING_MAX_RATIO = env_int("IMAGING_MAX_RATIO", 100, minimum=2)
# Sending to Orthanc is retried this many times, the first after this many seconds and each
# next one twice as long (at most 30 minutes): about a day of outage in all.
IMAGING_SEND_MAX_RETRIES = env_int("IMAGING_SEND_MAX_RETRIES", 50, minimum=0)
IMAGING_RETRY_BACKOFF = env_int("IMAGING_RETRY_BACKOFF", 10, minimum=1)

# --- Celery -------------------------------------------------------------------------------

CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
# Without a broker, tasks run in the web process once the transaction commits.
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "secondopinion")
CELERY_TASK_TIME_LIMIT = 120
CELERY_TASK_SOFT_TIME_LIMIT = 90
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A submission must never hang on a broker that is down: connect and publish fail fast,
# the outbox row stays pending, and the requeue job sends it once the broker is back.
CELERY_BROKER_CONNECTION_TIMEOUT = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 3600,
    "socket_connect_timeout": 1,
    "socket_timeout": 5,
}
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
# Queued work not started this long after it was recorded lost its task (the broker was down,
# a process was killed): the requeue jobs below queue it again (owed emails, new cases to
# assign). Longer than a healthy queue's wait, so that work in flight is not doubled.
REQUEUE_AFTER_SECONDS = env_int("REQUEUE_AFTER_SECONDS", 120, minimum=1)
CELERY_BEAT_SCHEDULE = {
    "outbox-requeue": {
        "task": "requests.tasks.notification_requeue_task",
        "schedule": 120.0,
        "options": {"expires": 110},
    },
    "assignment-requeue": {
        "task": "navigators.tasks.case_auto_assign_requeue_task",
        "schedule": 120.0,
        "options": {"expires": 110},
    },
    "target-sweep": {
        "task": "requests.tasks.target_sweep_task",
        "schedule": 60.0 * TARGET_SWEEP_MINUTES,
        "options": {"expires": 60.0 * TARGET_SWEEP_MINUTES - 10},
    },
    "retention": {
        "task": "requests.tasks.retention_task",
        "schedule": crontab(hour=3, minute=30),
        "options": {"expires": 3600},
    },
    "records-digest": {
        "task": "requests.tasks.records_digest_task",
        "schedule": crontab(hour=RECORDS_DIGEST_HOUR, minute=0),
        "options": {"expires": 3600},
    },
}

# --- Email --------------------------------------------------------------------------------

_email = email_config(env_str("EMAIL_URL", "console:"))
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email["EMAIL_HOST"]
EMAIL_PORT = _email["EMAIL_PORT"]
EMAIL_HOST_USER = _email["EMAIL_HOST_USER"]
EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_PASSWORD"]
EMAIL_USE_TLS = _email["EMAIL_USE_TLS"]
EMAIL_USE_SSL = _email["EMAIL_USE_SSL"]
EMAIL_TIMEOUT = _email["EMAIL_TIMEOUT"]
DEFAULT_FROM_EMAIL = env_str(
    "DEFAULT_FROM_EMAIL", "Cancer Second Opinion Program <secondopinion@example.org>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# An email the outbox owes is retried this many times, with backoff, before it is failed.
EMAIL_MAX_ATTEMPTS = env_int("EMAIL_MAX_ATTEMPTS", 6, minimum=1)
# The first retry waits this many seconds; each next one twice as long, at most 30 minutes.
EMAIL_RETRY_BACKOFF = env_int("EMAIL_RETRY_BACKOFF", 30, minimum=1)
# A claimed email not marked sent after this long belongs to a dead worker and is sent again
# (longer than the task's hard time limit, so a live worker is never second-guessed).
EMAIL_CLAIM_TIMEOUT_SECONDS = env_int("EMAIL_CLAIM_TIMEOUT_SECONDS", 600, minimum=1)

# --- Auth, i18n, static -------------------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"
# Where a sign-in lands when its `next` is missing, foreign or names no page: the staff home.
LOGIN_REDIRECT_URL = "admin:index"
AUTHENTICATION_BACKENDS = [
    # First: refuses a login from an address locked out after repeated failures.
    "axes.backends.AxesStandaloneBackend",
    "secondopinion.auth.PortalModelBackend",
]
# Staff need a second factor (TOTP) on the admin site itself; optional only for local demos
# (`check --deploy` warns when it is off with DEBUG off: secondopinion.checks).
MFA_REQUIRED = env_bool("MFA_REQUIRED", not DEBUG)
OTP_TOTP_ISSUER = "Cancer Second Opinion Program"
# A first sign-in (or one after a reset) must finish enrolling its device within this time.
MFA_ENROLMENT_SECONDS = env_int("MFA_ENROLMENT_SECONDS", 300, minimum=60)
# Lockout (django-axes): AXES_FAILURE_LIMIT failed sign-ins lock the address out for an hour,
# and as many on one account lock that account out, from any address. Each entry of
# AXES_LOCKOUT_PARAMETERS is counted on its own (a nested list would count the pair).
# A failure is a wrong password, or a right one with a wrong or missing code.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
# Off: axes' reset would forget every failure from the signing-in address too; the sign-in
# forgets only that account's failures (secondopinion.mfa.sign_in).
AXES_RESET_ON_SUCCESS = False
AXES_LOCKOUT_TEMPLATE = "lockout.html"
# Codes typed at sign-in are not kept in the failure records shown in the admin.
AXES_SENSITIVE_PARAMETERS = ["otp_token"]
# The address comes from secondopinion.ratelimit.client_ip, which trusts X-Forwarded-For only
# as far as TRUSTED_PROXY_COUNT says (see SECURITY.md).
AXES_CLIENT_IP_CALLABLE = "secondopinion.ratelimit.client_ip"
AXES_VERBOSE = False

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "America/New_York")
CELERY_TIMEZONE = TIME_ZONE
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Patients' documents: outside the static and media paths, served only through the download
# view. Production may point PRIVATE_STORAGE_BACKEND at an object store (django-storages),
# with its options in PRIVATE_STORAGE_OPTIONS (JSON).
PRIVATE_MEDIA_ROOT = Path(env_str("PRIVATE_MEDIA_ROOT", str(BASE_DIR / "private_media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {
        "BACKEND": env_str(
            "PRIVATE_STORAGE_BACKEND", "django.core.files.storage.FileSystemStorage"
        ),
        "OPTIONS": json.loads(env_str("PRIVATE_STORAGE_OPTIONS", "null"))
        or {"location": str(PRIVATE_MEDIA_ROOT), "base_url": None},
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Limits on what a client may send (a larger body is a 400 with a message) -------------

DATA_UPLOAD_MAX_MEMORY_SIZE = 512 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 200
# Reverse proxies in front of the portal that append to X-Forwarded-For (0: none; then
# REMOTE_ADDR is the client). Rate limits and the login lockout key on this address.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
# The addresses the reverse proxy connects from: X-Forwarded-For and X-Forwarded-Proto are
# read only on their requests, dropped on any other (TrustedProxyMiddleware). Gunicorn reads
# the same variable (forwarded_allow_ips, secondopinion/gunicorn_conf.py).
TRUSTED_PROXY_ADDRESSES = env_list("TRUSTED_PROXY_ADDRESSES", ["127.0.0.1", "::1"])
# Public posts per client address and hour; status lookups per reference and hour.
PUBLIC_POSTS_PER_HOUR = env_int("PUBLIC_POSTS_PER_HOUR", 20, minimum=1)
STATUS_LOOKUPS_PER_HOUR = env_int("STATUS_LOOKUPS_PER_HOUR", 5, minimum=1)
STATUS_LINK_HOURS = 24
UPLOAD_MAX_FILES = env_int("UPLOAD_MAX_FILES", 5, minimum=1)
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 20 * 1024 * 1024, minimum=1024)
# A whole request larger than this is refused before it is read (413, with a message).
MAX_REQUEST_BYTES = UPLOAD_MAX_FILES * UPLOAD_MAX_BYTES + 2 * 1024 * 1024
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
# An image is decoded whole to check it: larger than this (in pixels) is refused, so that a
# small file cannot unpack into gigabytes (below Pillow's own bomb limit, 89 million).
UPLOAD_MAX_IMAGE_PIXELS = env_int("UPLOAD_MAX_IMAGE_PIXELS", 50_000_000, minimum=1)

# Virus scanning. CLAMD_SOCKET: clamd's unix socket path, or tcp://host:port. Each upload is
# scanned before staff can open it; unset, documents are stored as "not scanned" and shown.
# clamd's StreamMaxLength must be larger than UPLOAD_MAX_BYTES, or every scan fails.
CLAMD_SOCKET = env_str("CLAMD_SOCKET", "")
CLAMD_TIMEOUT = env_int("CLAMD_TIMEOUT", 30, minimum=1)  # seconds for one scan's answer
# When clamd gives no verdict, the task tries again after 30 s, 60 s ... (at most 30 min
# apart), then the periodic job queues the documents still pending after CLAMD_RESCAN_MINUTES.
CLAMD_RETRY_BACKOFF = env_int("CLAMD_RETRY_BACKOFF", 30, minimum=1)
CLAMD_MAX_RETRIES = env_int("CLAMD_MAX_RETRIES", 8)
CLAMD_RESCAN_MINUTES = env_int("CLAMD_RESCAN_MINUTES", 10, minimum=1)
CELERY_BEAT_SCHEDULE["document-scan-requeue"] = {
    "task": "requests.tasks.document_scan_requeue_task",
    "schedule": 300.0,
    "options": {"expires": 290},
}
# Imaging readings and sends whose task was lost (requests.imaging.imaging_requeue).
CELERY_BEAT_SCHEDULE["imaging-requeue"] = {
    "task": "requests.imaging.tasks.imaging_requeue_task",
    "schedule": 600.0,
    "options": {"expires": 300},
}

# --- Security -----------------------------------------------------------------------------

CSRF_FAILURE_VIEW = "secondopinion.views.csrf_failure"
# Idle sessions end after 15 minutes (requests renew the session at most once a minute:
# SessionRenewalMiddleware); staff sessions end 12 hours after login whatever happens
# (StaffSessionMiddleware).
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_MINUTES", 15, minimum=1) * 60
SESSION_RENEW_SECONDS = 60
STAFF_SESSION_MAX_HOURS = env_int("STAFF_SESSION_MAX_HOURS", 12, minimum=1)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# The language choice: never sent with another site's requests, nor over plain HTTP in
# production; no script reads it.
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SECURE = not DEBUG
# A monitor sending `Authorization: Bearer <HEALTH_TOKEN>` gets /health/'s details (unset:
# only signed-in staff do).
HEALTH_TOKEN = env_str("HEALTH_TOKEN", "")
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# No inline script or style on the public pages; the admin's own templates need inline
# styles, which PortalCSPMiddleware allows under /admin/ only.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [SITE_URL])

# --- Logging: never request bodies or form data (PHI) -------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "filters": {"redact_phi": {"()": "secondopinion.logfilters.RedactPHI"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_phi"],
        },
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # Replace Django's own handlers (including the error emails, which would quote the
        # request): everything goes through the redacting console handler.
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "WARNING"},
        # In-process mode runs every task inside the web process: one line each is noise.
        "celery.app.trace": {"level": "INFO" if REDIS_URL else "WARNING"},
    },
}
