"""Roundtable settings: every knob comes from the environment.

With nothing set, a laptop gets the demo: SQLite, a serverless Celery broker
(kombu's filesystem transport) and email printed to the worker's console.
`DEBUG=false` turns on production checks: SECRET_KEY, ALLOWED_HOSTS,
DATABASE_URL and REDIS_URL become required.
"""

import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy

BASE_DIR = Path(__file__).resolve().parent.parent
# Local state of the demo set-up (SQLite file, broker folder, sent mail); never used in production.
VAR_DIR = Path(os.environ.get("ROUNDTABLE_VAR_DIR", BASE_DIR / "var"))


def env(name: str, default: str = "") -> str:
    """A setting from NAME, or from the file named by NAME_FILE (for secrets mounted as files)."""
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        return Path(file_name).read_text().strip()
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool) -> bool:
    raw = env(name).lower()
    if not raw:
        return default
    if raw not in {"true", "false", "1", "0", "yes", "no"}:
        raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")
    return raw in {"true", "1", "yes"}


def env_int(name: str, default: int) -> int:
    raw = env(name)
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = env(name)
    if not raw:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def required(name: str) -> str:
    value = env(name)
    if not value:
        raise ImproperlyConfigured(f"{name} must be set when DEBUG is false")
    return value


DEBUG = env_bool("DEBUG", default=True)  # a bare checkout runs the demo; servers set DEBUG=false

if DEBUG:
    SECRET_KEY = env("SECRET_KEY", "django-insecure-local-demo-key-never-use-in-production")
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
    DATABASE_URL = env("DATABASE_URL", f"sqlite:///{VAR_DIR / 'roundtable.sqlite3'}")
    REDIS_URL = env("REDIS_URL")
else:
    SECRET_KEY = required("SECRET_KEY")
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [])
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is false")
    DATABASE_URL = required("DATABASE_URL")
    REDIS_URL = required("REDIS_URL")

# Absolute links in emails ("https://roundtable.example.org"), without a trailing slash. In production it must be
# https: RFC 8058 one-click unsubscribe needs an https List-Unsubscribe URL. It defaults to the first allowed host.
_first_host = ALLOWED_HOSTS[0].lstrip(".") if ALLOWED_HOSTS else ""
_default_site_url = "http://localhost:8000" if DEBUG or not _first_host or "*" in _first_host else f"https://{_first_host}"
SITE_URL = env("SITE_URL", _default_site_url).rstrip("/")
if not DEBUG and not SITE_URL.startswith("https://"):
    raise ImproperlyConfigured(f"SITE_URL must be an https:// address when DEBUG is false, not {SITE_URL!r}")

INSTALLED_APPS = [
    "groupsite",
    "topics",
    "discussions",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "csp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",  # before WhiteNoise, so static files carry the policy too
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "groupsite.middleware.RefuseMalformedTextMiddleware",  # 400 for NUL bytes and invalid UTF-8, before any view
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",  # the browser's language until a member chooses one
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "groupsite.middleware.MemberLanguageMiddleware",  # the member's chosen language beats the browser's
    "groupsite.middleware.MemberTimezoneMiddleware",  # times on the member's own clock
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "groupsite.middleware.RateLimitedMiddleware",  # a RateLimited raised by a view becomes the 429 page
]

ROOT_URLCONF = "groupsite.urls"
WSGI_APPLICATION = "groupsite.wsgi.application"
ASGI_APPLICATION = "groupsite.asgi.application"

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
                "discussions.context_processors.unread_notifications",
            ],
        },
    },
]

DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # Connections are kept (CONN_MAX_AGE, as for PostgreSQL): opening the file and setting it up again for every
    # request was a large share of a visitor's cached page, which makes one query.
    # A file, not memory, so that a Celery worker process started by a test sees the test database;
    # one per test run, so that runs side by side do not share it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-roundtable-{os.getpid()}.sqlite3")}
    # WAL and a busy timeout let the web server and the Celery worker share the demo's SQLite file.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL;",
    }
elif env_bool("DB_POOL", default=True):
    # A bounded pool per process (Django's psycopg pool): runserver's thread per request, or gunicorn's threads,
    # wait up to DB_POOL_TIMEOUT seconds for a free connection instead of opening more than PostgreSQL allows
    # ("too many clients already"). Size it so that processes × DB_POOL_MAX_SIZE stays under max_connections.
    # A pool requires CONN_MAX_AGE = 0: the pool, not Django, keeps connections open.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env_int("DB_POOL_MIN_SIZE", 1),
        "max_size": env_int("DB_POOL_MAX_SIZE", 10),
        "timeout": env_int("DB_POOL_TIMEOUT", 10),
        "max_idle": 5 * 60,
    }
else:
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "groupsite.User"

if REDIS_URL:
    # Fails open (groupsite/cache.py): with Redis down, posting still works and only the rate limits lapse.
    CACHES = {
        "default": {
            "BACKEND": "groupsite.cache.FailOpenRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "socket_connect_timeout": env_int("CACHE_CONNECT_TIMEOUT", 1),
                "socket_timeout": env_int("CACHE_SOCKET_TIMEOUT", 2),
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Sessions live in the database, so any web process behind the load balancer can serve any request.
SESSION_ENGINE = "django.contrib.sessions.backends.db"

# allauth's backend alone: it is Django's ModelBackend (permissions too) and also logs in by email. With ModelBackend
# listed first, a login by email first failed a username lookup and hashed a dummy password (Django's defence against
# timing attacks), so every login by email paid for two password hashes instead of one.
AUTHENTICATION_BACKENDS = ["allauth.account.auth_backends.AuthenticationBackend"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# django-allauth: email and password, and no access until the address is verified.
ACCOUNT_LOGIN_METHODS = {"email", "username"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False  # mail scanners prefetch links; confirming takes a click
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Roundtable] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if DEBUG else "https"
# Usernames are plain ASCII (every one has a reachable /people/<username>/) and none may read like staff's.
ACCOUNT_ADAPTER = "groupsite.adapter.AccountAdapter"
ACCOUNT_USERNAME_VALIDATORS = "groupsite.names.username_validators"
ACCOUNT_USERNAME_BLACKLIST = ["admin", "administrator", "moderator", "owner", "staff", "support", "roundtable"]
ACCOUNT_FORMS = {"login": "groupsite.forms.LoginForm"}  # "Remember me", in the site's words
# What emails call the site (allauth's "Hello from Roundtable!"); their links keep the host people reached it at.
SITE_NAME = "Roundtable"
LOGIN_REDIRECT_URL = "/"
LOGIN_URL = "account_login"

LANGUAGE_CODE = "en-gb"
# The interface ships in these languages; translations live in groupsite/locale (`python3 groupsite/dev.py messages`).
LANGUAGES = [("en-gb", gettext_lazy("English")), ("zh-hans", gettext_lazy("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "groupsite" / "locale"]
# The site's own date formats per language (groupsite/formats/<locale>/formats.py): Django's, with a 24-hour clock,
# plus named ones for a day ("DAY_FORMAT") that templates use as `|date:"DAY_FORMAT"`.
FORMAT_MODULE_PATH = ["groupsite.formats"]
TIME_ZONE = env("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Where collectstatic writes and WhiteNoise reads; the load benchmark gives each run a folder of its own, so that
# its collectstatic never rewrites files that another process is serving.
STATIC_ROOT = Path(env("STATIC_ROOT") or BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "groupsite" / "static"]
# In production collectstatic writes hashed names, which WhiteNoise serves with a ten-year immutable Cache-Control,
# and a gzipped copy of each text file (README, Static files); in development files are served as they are edited.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Email: every message is handed to a Celery task, which delivers it through EMAIL_DELIVERY_BACKEND.
EMAIL_BACKEND = "groupsite.mail.CeleryEmailBackend"
EMAIL_HOST = env("EMAIL_HOST")
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=True)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
# A mail server that refuses (4xx) or is down is tried again after about this many seconds, doubling each time.
EMAIL_RETRY_BACKOFF_SECONDS = env_int("EMAIL_RETRY_BACKOFF_SECONDS", 30)
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", str(VAR_DIR / "sent-mail"))
EMAIL_DELIVERY_BACKEND = env(
    "EMAIL_DELIVERY_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.console.EmailBackend",
)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Roundtable <noreply@localhost>")
# The domain in List-Id headers ("<china-car-t.roundtable.example.org>").
EMAIL_LIST_DOMAIN = env("EMAIL_LIST_DOMAIN", SITE_URL.split("://", 1)[-1].split("/")[0].split(":")[0] or "localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Celery: Redis in production (CELERY_BROKER_URL may name another Redis database than the cache's,
# so that clearing the cache never drops queued tasks); with no Redis, a broker made of files.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", REDIS_URL) or "filesystem://"
if CELERY_BROKER_URL == "filesystem://":
    _broker_dir = VAR_DIR / "broker"
    _broker_dir.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "control_folder": str(_broker_dir),
    }
else:
    # A request hands its jobs to the broker after its commit (groupsite/outbox.py): a Redis that is down,
    # unreachable or hung must fail that hand-off within seconds, not hang the request; the job waits in the
    # outbox. The socket timeout stays above the one second a worker's BRPOP waits for work.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "socket_connect_timeout": env_int("BROKER_CONNECT_TIMEOUT", 2),
        "socket_timeout": env_int("BROKER_SOCKET_TIMEOUT", 2),
    }
CELERY_BROKER_CONNECTION_TIMEOUT = env_int("BROKER_CONNECT_TIMEOUT", 2)
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0.1, "interval_step": 0.2, "interval_max": 0.2}
# Three queues, `default`, `email` and `digest`, so that a digest run never holds up urgent mail: groupsite/queues.py
# routes each task and says why. CELERY_QUEUE_SUFFIX gives a test or a benchmark a set of its own ("email-b1");
# CELERY_QUEUE instead puts every task on that one queue (a test's or a benchmark's single worker).
CELERY_QUEUE_SUFFIX = env("CELERY_QUEUE_SUFFIX", "")
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE", "default" + CELERY_QUEUE_SUFFIX)
CELERY_TASK_ROUTES = ("groupsite.queues.route",)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True  # a worker that dies mid-task leaves the message for another
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = env("CELERY_BEAT_SCHEDULE_FILENAME", str(VAR_DIR / "celerybeat-schedule"))
CELERY_BEAT_SCHEDULE = {
    # Publishing is idempotent and catches up on anything missed, so a tick every minute is all it needs.
    "run-prompt-schedule": {"task": "topics.tasks.run_prompt_schedule", "schedule": 60},
    "clear-expired-sessions": {"task": "groupsite.tasks.clear_expired_sessions", "schedule": 24 * 60 * 60},
    # Notification emails wait a few minutes to batch a thread's replies; a tick every minute keeps that wait short.
    "send-notification-emails": {"task": "discussions.tasks.send_due_notification_emails", "schedule": 60},
    # Thread views wait in Redis (discussions/view_counts.py) until this adds them to their threads.
    "flush-view-counts": {"task": "discussions.tasks.flush_view_counts", "schedule": 60},
    # Prompt reminders go out a day before closing; a quarter-hour early or late is fine, and each is sent once.
    "create-prompt-reminders": {"task": "discussions.tasks.create_prompt_reminders", "schedule": 15 * 60},
    # Digests go out at the first tick after each member's local send time; on the quarter hours, so 08:00 means 08:00.
    "send-due-digests": {"task": "discussions.tasks.enqueue_due_digests", "schedule": crontab(minute="*/15")},
    # Jobs that waited in the outbox while the broker was down go out within a minute of its return.
    "send-pending-outbox": {"task": "groupsite.tasks.send_pending_outbox", "schedule": 60},
}
# The outbox (groupsite/outbox.py): a drain leaves rows this young to their request's own hand-off; re-sends an
# email still undelivered this long after its hand-off (a broker restarted empty), at most OUTBOX_MAX_HANDOFFS
# times in all; and deletes rows sent this many days ago.
OUTBOX_GRACE_SECONDS = env_int("OUTBOX_GRACE_SECONDS", 30)
OUTBOX_RESEND_AFTER_SECONDS = env_int("OUTBOX_RESEND_AFTER_SECONDS", 2 * 60 * 60)
OUTBOX_MAX_HANDOFFS = env_int("OUTBOX_MAX_HANDOFFS", 3)
OUTBOX_KEEP_DAYS = env_int("OUTBOX_KEEP_DAYS", 7)

# Markdown posts: the longest body accepted, in characters.
POST_BODY_MAX_LENGTH = 50_000
POSTS_PER_PAGE = env_int("POSTS_PER_PAGE", 20)
THREADS_PER_PAGE = env_int("THREADS_PER_PAGE", 25)
# Visitors' copies of whole pages (groupsite/page_cache.py) expire after this, for what changes with the clock alone.
ANONYMOUS_PAGE_SECONDS = env_int("ANONYMOUS_PAGE_SECONDS", 60)
BOOKMARKS_PER_PAGE = env_int("BOOKMARKS_PER_PAGE", 20)
INVITATION_LIFETIME_DAYS = env_int("INVITATION_LIFETIME_DAYS", 14)
# A notification the member wants "at once" is emailed after this wait, with whatever else its thread brings meanwhile.
NOTIFICATION_EMAIL_DELAY_MINUTES = env_int("NOTIFICATION_EMAIL_DELAY_MINUTES", 5)
# Members per digest task: each batch costs the same few queries, so bigger batches mean fewer queries in all.
DIGEST_BATCH_SIZE = env_int("DIGEST_BATCH_SIZE", 200)

FORMS_URLFIELD_ASSUME_HTTPS = True  # Django 6 behaviour: a bare "example.org" means https

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [f"https://{host}" for host in ALLOWED_HOSTS])

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
}

# Posting rate limits per account (discussions/moderation.py), counted in the cache so every web process shares
# them; the group's moderators are exempt from the first two.
POSTS_PER_MINUTE = env_int("POSTS_PER_MINUTE", 6)  # replies and new threads together
NEW_THREADS_PER_HOUR = env_int("NEW_THREADS_PER_HOUR", 10)
PREVIEWS_PER_MINUTE = env_int("PREVIEWS_PER_MINUTE", 30)

# Content-Security-Policy (django-csp 4), in development too, so that the browser tests see what production sends.
# Pages load only the site's own script and stylesheet: no inline scripts, styles or event handlers anywhere
# (README, Architecture). Images are the site's own, and no data: URLs: no page or stylesheet needs one, and posts
# cannot hold images at all (discussions/markdown.py).
# With DEBUG=true, Django's technical 404 and 500 pages (inline styles) are left without the header.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}

# Rate limits. Every one answers 429 with templates/429.html (allauth renders it by that name; a RateLimited raised
# in a view becomes it through groupsite.middleware.RateLimitedMiddleware). Counts live in the cache (Redis in
# production), shared by every web process.
# allauth's own, written out rather than left to its defaults: "amount/period/per", per ip, key (the email address
# or login typed) or user. A hospital or a company shares one address, so the per-ip limits are generous.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",  # a form error; a success clears the key's count
    "signup": "20/h/ip",
    "reset_password": "20/m/ip,5/h/key",
    "reset_password_from_key": "20/m/ip",
    "confirm_email": "1/3m/key",  # resending a verification email: at most every three minutes per address
    "manage_email": "10/m/user",
    "change_password": "5/m/user",
    "reauthenticate": "10/m/user",
}
# The site's own, per account (group moderators are exempt from the posting and mention limits).
INVITATIONS_PER_HOUR = env_int("INVITATIONS_PER_HOUR", 50)  # per moderator: emails and links together
JOIN_REQUESTS_PER_HOUR = env_int("JOIN_REQUESTS_PER_HOUR", 5)  # per person, across groups
MENTIONS_PER_POST = env_int("MENTIONS_PER_POST", 10)
MENTIONS_PER_HOUR = env_int("MENTIONS_PER_HOUR", 30)  # people notified by someone's @mentions in an hour
FLAGS_PER_HOUR = env_int("FLAGS_PER_HOUR", 10)  # flags a member may raise (discussions/flags.py)
REACTIONS_PER_HOUR = env_int("REACTIONS_PER_HOUR", 300)  # reactions given or taken back (discussions/reactions.py)
SEARCHES_PER_MINUTE = env_int("SEARCHES_PER_MINUTE", 30)  # per account, or per address for visitors
