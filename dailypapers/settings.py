"""Settings for Daily Papers, read from environment variables (see docs/configuration.md).

Two modes, one codebase:

* embedded (the default): SQLite in the data folder, jobs in the same database, a cache of
  SQLite files;
* production: chosen by setting ``DATABASE_URL`` (PostgreSQL), usually with ``REDIS_URL``
  (cache and the job queue) and ``EMAIL_URL`` (SMTP).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from dailypapers.conf import (
    env_bool,
    env_choice,
    env_database_url,
    env_email_url,
    env_float,
    env_int,
    env_list,
    env_path,
    env_str,
    is_set,
)

BASE_DIR = Path(__file__).resolve().parent

# --- mode and data folder -------------------------------------------------------------------
PRODUCTION = is_set("DATABASE_URL")
DATA_DIR = env_path("DAILYPAPERS_DATA_DIR", Path.cwd() / "var")
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", default=False)


def _secret_key() -> str:
    if is_set("SECRET_KEY"):
        return env_str("SECRET_KEY")
    if PRODUCTION:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DATABASE_URL is set (production mode): "
            "generate one with `python -c 'import secrets; print(secrets.token_urlsafe(50))'`."
        )
    # Embedded mode: generate a key once and keep it in the data folder.
    # Processes starting at once on a new folder agree on one key: each writes its own file,
    # and the first to link it into place wins (a link never replaces a file).
    path = DATA_DIR / "secret_key"
    if not path.exists():
        tmp = path.with_name(f"secret_key.{os.getpid()}.{secrets.token_hex(4)}.tmp")
        tmp.write_text(secrets.token_urlsafe(50))
        tmp.chmod(0o600)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text().strip()


SECRET_KEY = _secret_key()

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
SITE_NAME = env_str("SITE_NAME", "Daily Papers")
# Where readers write when an email does not come (shown on the account pages when set).
CONTACT_EMAIL = env_str("DAILYPAPERS_CONTACT_EMAIL", "")

# --- applications ---------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "template_partials",
    "django_tasks",
    "django_tasks_db",
    "dailypapers.core",
    "dailypapers.catalog",
    "dailypapers.sources",
    "dailypapers.community",
    "dailypapers.digests",
    "dailypapers.accounts",
    "dailypapers.library",
    "allauth",
    "allauth.account",
    "dailypapers.search",
    "ninja",  # so /api/docs serves Swagger UI from the site's own static files, not a CDN
    "csp",
    "corsheaders",
]

MIDDLEWARE = [
    "dailypapers.api.kept.KeptAnswerMiddleware",  # first: records what the door serves
    "django.middleware.security.SecurityMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "dailypapers.core.middleware.RejectNulMiddleware",
    "dailypapers.core.middleware.ApiHeadMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "dailypapers.urls"
WSGI_APPLICATION = "dailypapers.wsgi.application"

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
                "dailypapers.core.context_processors.site",
                "dailypapers.library.context_processors.library",
            ],
        },
    },
]

# --- database -------------------------------------------------------------------------------
_conn_max_age = env_int("DATABASE_CONN_MAX_AGE", 60)
if PRODUCTION:
    _db: dict[str, Any] = env_database_url("DATABASE_URL", conn_max_age=_conn_max_age)
else:
    _db = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": DATA_DIR / "dailypapers.sqlite3",
        "OPTIONS": {
            # WAL lets readers and the writer work at once; IMMEDIATE transactions avoid
            # "database is locked" upgrades when several processes write.
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL;"
                "PRAGMA synchronous=NORMAL;"
                "PRAGMA busy_timeout=20000;"
                "PRAGMA cache_size=-65536;"
                "PRAGMA mmap_size=268435456;"
                "PRAGMA foreign_keys=ON;"
            ),
        },
        # Kept open between requests as PostgreSQL's are: opening one (the file, the pragmas
        # above) was about 5% of a search's time. A connection has no transaction open between
        # requests, so each request reads the latest committed state.
        "CONN_MAX_AGE": _conn_max_age,
        "CONN_HEALTH_CHECKS": True,
    }
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache ----------------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL", "")
CACHE_MEGABYTES = env_int("DAILYPAPERS_CACHE_MEGABYTES", 512)  # embedded mode's cache
CACHES: dict[str, dict[str, Any]]
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "dailypapers",
        }
    }
else:
    # Shared by every process of an embedded installation, with nothing to set up: SQLite
    # files in the data folder (diskcache), atomic counters, oldest entries out beyond
    # CACHE_MEGABYTES. (Django's file cache keeps 300 entries and then deletes a third of them
    # at random, the community version and rate counters among them, listing the whole
    # folder on every write.)
    CACHES = {
        "default": {
            "BACKEND": "dailypapers.core.cache.DataFolderCache",
            "LOCATION": str(DATA_DIR / "cache"),
            "SHARDS": 4,
            "DATABASE_TIMEOUT": 0.5,  # a write waits this long for another process's
            "OPTIONS": {"size_limit": CACHE_MEGABYTES * 2**20},
        }
    }

# --- background jobs (Django's tasks API) ---------------------------------------------------
if REDIS_URL:
    INSTALLED_APPS.append("django_rq")
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 3600}}
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

# --- email ----------------------------------------------------------------------------------
_email = env_email_url("EMAIL_URL", "console://")
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email["EMAIL_HOST"] or "localhost"
EMAIL_PORT = _email["EMAIL_PORT"] or 25
EMAIL_HOST_USER = _email["EMAIL_HOST_USER"] or ""
EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_PASSWORD"] or ""
EMAIL_USE_TLS = _email["EMAIL_USE_TLS"]
EMAIL_USE_SSL = _email["EMAIL_USE_SSL"]
EMAIL_TIMEOUT = _email["EMAIL_TIMEOUT"] or 30
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Daily Papers <papers@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- security -------------------------------------------------------------------------------
# Behind a TLS proxy (BEHIND_PROXY), or when SITE_URL is https, the site is https only: HSTS, a
# redirect from http (but /healthz, which a load balancer asks over plain http), Secure cookies.
BEHIND_PROXY = env_bool("BEHIND_PROXY", default=False)
_https = SITE_URL.startswith("https://")
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True
SESSION_COOKIE_SECURE = _https
CSRF_COOKIE_SECURE = _https
_redirect = env_bool("SECURE_SSL_REDIRECT", default=True)
_hsts_seconds = env_int("SECURE_HSTS_SECONDS", 31_536_000)
SECURE_SSL_REDIRECT = _https and _redirect
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = _hsts_seconds if _https else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=False)
if not SECURE_HSTS_PRELOAD:
    # Preloading is a commitment an operator makes for the whole domain, not a default.
    SILENCED_SYSTEM_CHECKS = ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_FAILURE_VIEW = "dailypapers.core.views.csrf_failure"  # a refused form, in the site's layout
# Scripts, styles, fonts and images from the site itself only (htmx, KaTeX and Swagger UI
# are vendored); no inline script; no framing. KaTeX and Swagger UI set element styles from
# their scripts (the CSSOM), which style-src does not govern.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# CORS: the JSON API under /api/ may be read from any origin's pages, anonymously: no
# cookies or credentials, reads only (a token's writes come from scripts, not browsers).
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_ALL_ORIGINS = True
CORS_ALLOW_CREDENTIALS = False
CORS_ALLOW_METHODS = ("GET", "HEAD", "OPTIONS")
CORS_ALLOW_HEADERS = ("accept", "if-none-match", "if-modified-since")
CORS_EXPOSE_HEADERS = ("ETag", "Last-Modified", "Link", "Retry-After")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- i18n, static files ---------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env_path("STATIC_ROOT", DATA_DIR / "static")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- logging --------------------------------------------------------------------------------
LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "filters": {"reported": {"()": "dailypapers.core.logs.ReportedFailures"}},
    "handlers": {
        "stderr": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["reported"]}
    },
    "root": {"handlers": ["stderr"], "level": "WARNING"},
    "loggers": {
        "dailypapers": {"level": LOG_LEVEL},
        "django_tasks": {"level": LOG_LEVEL},
        "django_tasks_db": {"level": LOG_LEVEL},
    },
}

# --- serving ------------------------------------------------------------------------------
SERVE_HOST = env_str("HOST", "127.0.0.1")
SERVE_PORT = env_int("PORT", 8000)
WEB_CONCURRENCY = env_int("WEB_CONCURRENCY", 2)
WEB_THREADS = env_int("WEB_THREADS", 1)

# --- the catalogue and its sources ----------------------------------------------------------
INGEST_BATCH_SIZE = env_int("DAILYPAPERS_INGEST_BATCH_SIZE", 2000)

# --- live sources ---------------------------------------------------------------------------
# arXiv (API, OAI-PMH, announcement feeds) and Hugging Face's daily list; see docs/sources.md.
ARXIV_API_URL = env_str("DAILYPAPERS_ARXIV_API_URL", "https://export.arxiv.org/api/query")
ARXIV_OAI_URL = env_str("DAILYPAPERS_ARXIV_OAI_URL", "https://oaipmh.arxiv.org/oai")
ARXIV_FEED_URL = env_str("DAILYPAPERS_ARXIV_FEED_URL", "https://rss.arxiv.org/atom").rstrip("/")
HF_URL = env_str("DAILYPAPERS_HF_URL", "https://huggingface.co").rstrip("/")
HTTP_USER_AGENT = env_str("DAILYPAPERS_HTTP_USER_AGENT", "")
HTTP_MIN_INTERVAL = env_float("DAILYPAPERS_HTTP_MIN_INTERVAL", 3.0)
HTTP_TIMEOUT = env_float("DAILYPAPERS_HTTP_TIMEOUT", 60.0)
HTTP_RETRIES = env_int("DAILYPAPERS_HTTP_RETRIES", 4)
HTTP_BACKOFF = env_float("DAILYPAPERS_HTTP_BACKOFF", 5.0)
HTTP_MAX_WAIT = env_float("DAILYPAPERS_HTTP_MAX_WAIT", 600.0)
HTTP_MAX_BYTES = env_int("DAILYPAPERS_HTTP_MAX_BYTES", 100 * 1024 * 1024)
ARXIV_API_PAGE_SIZE = env_int("DAILYPAPERS_ARXIV_API_PAGE_SIZE", 200)
ARXIV_OAI_FORMAT = env_str("DAILYPAPERS_ARXIV_OAI_FORMAT", "arXiv")
if ARXIV_OAI_FORMAT not in {"arXiv", "arXivRaw"}:
    raise ImproperlyConfigured("DAILYPAPERS_ARXIV_OAI_FORMAT must be arXiv or arXivRaw")
ARXIV_CATEGORIES = env_list(
    "DAILYPAPERS_ARXIV_CATEGORIES", ["cs.AI", "cs.CL", "cs.CV", "cs.LG", "stat.ML"]
)
REFRESH_MINUTES = env_int("DAILYPAPERS_REFRESH_MINUTES", 240)
FOLLOW_HF = env_bool("DAILYPAPERS_FOLLOW_HF", default=True)
FIRST_FILL_DAYS = env_int("DAILYPAPERS_FIRST_FILL_DAYS", 7)

# --- digests --------------------------------------------------------------------------------
# Email digests and reply notifications; see docs/digests.md.
DIGEST_MINUTES = env_int("DAILYPAPERS_DIGEST_MINUTES", 10)  # how often due digests are composed
DIGEST_WORKERS = max(1, env_int("DAILYPAPERS_DIGEST_WORKERS", 1))
DIGEST_FROM_EMAIL = env_str("DAILYPAPERS_DIGEST_FROM_EMAIL", DEFAULT_FROM_EMAIL)
# The mailto: half of List-Unsubscribe; an address the operator reads (or filters) mail for.
DIGEST_UNSUBSCRIBE_MAILTO = env_str("DAILYPAPERS_DIGEST_UNSUBSCRIBE_MAILTO", "")
DIGEST_HARD_BOUNCES = env_int("DAILYPAPERS_DIGEST_HARD_BOUNCES", 3)  # in a row: paused
DIGEST_MAX_ATTEMPTS = env_int("DAILYPAPERS_DIGEST_MAX_ATTEMPTS", 8)  # transient failures
DIGEST_SEND_LEASE_SECONDS = env_int("DAILYPAPERS_DIGEST_SEND_LEASE_SECONDS", 300)

# --- community ------------------------------------------------------------------------------
# Accounts, submissions, votes, comments and their limits; see docs/configuration.md.
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{SITE_NAME}] "
ACCOUNT_ADAPTER = "dailypapers.accounts.adapter.AccountAdapter"  # the site's name in emails
ACCOUNT_FORMS = {"login": "dailypapers.accounts.forms.LoginForm"}  # the site's wording
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if _https else "http"
ACCOUNT_RATE_LIMITS = {
    "signup": env_str("DAILYPAPERS_RATE_SIGNUP", "20/h/ip"),
    "login": env_str("DAILYPAPERS_RATE_LOGIN", "30/m/ip"),
    "login_failed": env_str("DAILYPAPERS_RATE_LOGIN_FAILED", "10/m/ip,5/5m/key"),
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "confirm_email": "1/3m/key",
}
SUBMIT_WINDOW_DAYS = env_int("DAILYPAPERS_SUBMIT_WINDOW_DAYS", 14)
SUBMIT_DAILY_CAP = env_int("DAILYPAPERS_SUBMIT_DAILY_CAP", 3)
FETCH_MISSING_PAPERS = env_bool("DAILYPAPERS_FETCH_MISSING_PAPERS", default=True)
RATE_SUBMIT = env_str("DAILYPAPERS_RATE_SUBMIT", "20/h")
RATE_VOTE = env_str("DAILYPAPERS_RATE_VOTE", "120/m")
RATE_COMMENT = env_str("DAILYPAPERS_RATE_COMMENT", "10/m")
RATE_API = env_str("DAILYPAPERS_RATE_API", "300/m")
RATE_SUBSCRIBE = env_str("DAILYPAPERS_RATE_SUBSCRIBE", "10/h")  # digest sign-ups per address
COMMENT_MAX_LENGTH = env_int("DAILYPAPERS_COMMENT_MAX_LENGTH", 20000)
PAGE_CACHE_SECONDS = env_int("DAILYPAPERS_PAGE_CACHE_SECONDS", 60)

# --- search ---------------------------------------------------------------------------------
# The index files, how the index keeper works through the catalogue; see docs/search.md.
SEARCH_INDEX_DIR = env_path("DAILYPAPERS_SEARCH_INDEX_DIR", DATA_DIR / "search")
SEARCH_EMBEDDER = env_str("DAILYPAPERS_SEARCH_EMBEDDER", "papersearch.MiniLMEmbedder")
# The query encoder's arithmetic: int8 (2.5 times faster a query, rankings measured level)
# or float32 (the model's own vectors).
QUERY_PRECISION = env_choice("DAILYPAPERS_QUERY_PRECISION", "int8", ("int8", "float32"))
# How long a query's vector is kept in the shared cache for every process (0: not shared).
QUERY_VECTOR_SECONDS = env_int("DAILYPAPERS_QUERY_VECTOR_SECONDS", 86400)
SEARCH_EMBED_BATCH = env_int("DAILYPAPERS_SEARCH_EMBED_BATCH", 256)
SEARCH_JOB_SECONDS = env_float("DAILYPAPERS_SEARCH_JOB_SECONDS", 60.0)
SEARCH_WARM_UP = env_bool("DAILYPAPERS_SEARCH_WARM_UP", True)
