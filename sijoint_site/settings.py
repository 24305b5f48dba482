"""Settings for the SI joint patient information site: one file, driven by environment variables.

Every variable is listed in the README. Defaults suit a laptop (SQLite, local-memory cache, local
media); production sets DJANGO_SECRET_KEY, DATABASE_URL and, when it runs on several machines,
REDIS_URL. With DJANGO_DEBUG off the site refuses to start without a real secret key.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

DEVELOPMENT_SECRET_KEY = "django-insecure-development-only-never-use-in-production"


def env_str(name, default=""):
    value = os.environ.get(name)
    return default if value is None or value.strip() == "" else value.strip()


def env_bool(name, default=False):
    value = env_str(name)
    if not value:
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be 1/0, true/false, yes/no or on/off, not {value!r}.")


def env_int(name, default):
    value = env_str(name)
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from None


def env_list(name, default):
    value = env_str(name)
    return [item.strip() for item in value.split(",") if item.strip()] if value else list(default)


DEBUG = env_bool("DJANGO_DEBUG", False)
# Behind a load balancer or front server that ends TLS and sets X-Forwarded-Proto and X-Forwarded-For.
BEHIND_PROXY = env_bool("DJANGO_BEHIND_PROXY", False)

SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. In production set it to a long random value, for example "
            'the output of: python -c "import secrets; print(secrets.token_urlsafe(50))". '
            "On a development machine set DJANGO_DEBUG=1 instead (make run does this)."
        )
    SECRET_KEY = DEVELOPMENT_SECRET_KEY
elif not DEBUG and (SECRET_KEY == DEVELOPMENT_SECRET_KEY or SECRET_KEY.startswith("django-insecure")):
    raise ImproperlyConfigured("DJANGO_SECRET_KEY is a development key; production needs its own secret.")

# Local names are always allowed so that health checks from the machine itself get through.
ALLOWED_HOSTS = sorted(set(env_list("DJANGO_ALLOWED_HOSTS", [])) | {"127.0.0.1", "localhost"})

# The public address of the site, used for canonical URLs, the sitemap and structured data.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [SITE_URL])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "markdownx",
    "simple_history",
    "axes",
    "procedures",
]

MIDDLEWARE = [
    # Security headers first, so that every answer carries them: static files, cached pages, error pages.
    "django.middleware.security.SecurityMiddleware",
    "sijoint_site.middleware.PermissionsPolicyMiddleware",
    "sijoint_site.middleware.ContentSecurityPolicyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "procedures.caching.RequestContentVersionMiddleware",
    # The language from the address (/es/...), before the page cache and the URL resolver need it.
    "sijoint_site.middleware.PathLanguageMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.http.ConditionalGetMiddleware",
    # Anonymous pages are answered from the cache before sessions, auth or any view run.
    "procedures.caching.PageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, so that it sees the outcome of every sign-in attempt.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses sign-in while an account or address is locked out
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "sijoint_site.urls"

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
                "procedures.context_processors.site_details_and_menu",
            ],
        },
    },
]

WSGI_APPLICATION = "sijoint_site.wsgi.application"

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 600),
        conn_health_checks=True,
    )
}

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    # Redis when it answers, this process's memory while it does not (sijoint_site/cache.py).
    CACHES = {"default": {"BACKEND": "sijoint_site.cache.FallbackRedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "sijoint"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# English is the default language, at unprefixed addresses; Spanish lives under /es/ (the address decides,
# sijoint_site.middleware.PathLanguageMiddleware). LANGUAGE_CODE must be one of LANGUAGES exactly ("en", not
# "en-us"), or English addresses would be reversed with an /en/ prefix.
LANGUAGE_CODE = "en"
TIME_ZONE = env_str("DJANGO_TIME_ZONE", "America/Chicago")
USE_I18N = True
LANGUAGES = [("en", "English"), ("es", "Español")]
# The site's own translations of its interface (locale/es/LC_MESSAGES/django.po, compiled django.mo committed).
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_TZ = True
# One US date format per language, times with the zone named (sijoint_site/formats/en/formats.py and
# formats/es/formats.py win over Django's own locale formats, which would otherwise override these settings).
FORMAT_MODULE_PATH = ["sijoint_site.formats"]
DATE_FORMAT = "F j, Y"
SHORT_DATE_FORMAT = "F j, Y"
DATETIME_FORMAT = "F j, Y, P T"
SHORT_DATETIME_FORMAT = "F j, Y, P T"

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("DJANGO_MEDIA_ROOT", str(BASE_DIR / "media")))

# Uploaded images: local disk by default (one app server); S3-compatible object storage when
# AWS_STORAGE_BUCKET_NAME is set, so that several app servers share them (django-storages reads the
# AWS_* variables: AWS_S3_ENDPOINT_URL, AWS_S3_REGION_NAME, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
# AWS_S3_CUSTOM_DOMAIN).
AWS_STORAGE_BUCKET_NAME = env_str("AWS_STORAGE_BUCKET_NAME")
if AWS_STORAGE_BUCKET_NAME:
    MEDIA_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env_str("AWS_S3_ENDPOINT_URL") or None,
            "region_name": env_str("AWS_S3_REGION_NAME") or None,
            "custom_domain": env_str("AWS_S3_CUSTOM_DOMAIN") or None,
            "location": env_str("AWS_LOCATION", "media"),
            "querystring_auth": False,  # images in pages are public; signed URLs would expire in cached pages
            "file_overwrite": False,
            "object_parameters": {"CacheControl": "public, max-age=31536000, immutable"},
        },
    }
    MEDIA_ORIGIN = (
        f"https://{env_str('AWS_S3_CUSTOM_DOMAIN')}"
        if env_str("AWS_S3_CUSTOM_DOMAIN")
        else env_str("AWS_S3_ENDPOINT_URL", f"https://{AWS_STORAGE_BUCKET_NAME}.s3.amazonaws.com").rstrip("/")
    )
else:
    MEDIA_STORAGE = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    MEDIA_ORIGIN = None

STORAGES = {
    "default": MEDIA_STORAGE,
    # Hashed, compressed file names: a page's CSS can be cached for a year and still change on deploy.
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The ZIP code and town tables (procedures/geo.py): one read-only SQLite file that every worker shares,
# built on first use from the zipcodes package. A folder the app can write to once.
GEO_DATA_DIR = Path(env_str("GEO_DATA_DIR", str(BASE_DIR / "var")))

# Where load_content and export_content read and write the authored files.
CONTENT_DIR = Path(env_str("CONTENT_DIR", str(BASE_DIR / "content")))

ADMIN_PATH = env_str("DJANGO_ADMIN_PATH", "admin").strip("/") + "/"

# Markdown preview in the admin goes through the same pipeline as the public page.
MARKDOWNX_MARKDOWNIFY_FUNCTION = "procedures.markdown.markdown_to_html"

# --- Security -------------------------------------------------------------------------------------
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers check health over plain HTTP
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = 0 if DEBUG else env_int("DJANGO_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"

# Content Security Policy: nothing loads from anywhere but this site.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", *([MEDIA_ORIGIN] if MEDIA_ORIGIN else [])],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Logs go to stdout, one JSON object a line, for whatever collects the container's output.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
        "plain": {"format": "%(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": env_str("DJANGO_LOG_FORMAT", "json")}},
    "root": {"handlers": ["console"], "level": env_str("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

# --- Sign-in protection (django-axes) --------------------------------------------------------------
# After AXES_FAILURE_LIMIT wrong passwords for one account from one address, that pair is locked out
# for AXES_COOLOFF_HOURS; every failure and lock-out is logged.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_HOURS", 1)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "sijoint_site.lockout.locked_out"  # plain words, when to try again, a log line
# The client's address (django-ipware, read by axes and by sijoint_site.client for the rate limits): behind
# our front server, the X-Forwarded-For it sets to the address it saw (one entry, never the client's own
# header: deploy/nginx.conf overwrites it); otherwise the connection's own address.
AXES_IPWARE_PROXY_ORDER = "right-most"
AXES_IPWARE_PROXY_COUNT = 0 if BEHIND_PROXY else None
AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if BEHIND_PROXY else ["REMOTE_ADDR"]

# --- JSON API rate limit (django-ratelimit) --------------------------------------------------------
# Counted per client address in the cache: shared by every app server when REDIS_URL is set, per
# process with the local-memory cache.
API_RATE_LIMIT = env_str("API_RATE_LIMIT", "60/m")
# The HTML finder's searches, counted the same way (the empty form is not a search and is not counted).
SEARCH_RATE_LIMIT = env_str("SEARCH_RATE_LIMIT", "30/m")

# --- E-mail (review reminders) ---------------------------------------------------------------------------
# Printed to the console unless EMAIL_HOST is set; then sent by SMTP with the EMAIL_* settings below.
EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "patient-information@localhost")
# Who gets review reminders when no user is in the "Clinical reviewer" group (comma-separated).
REVIEW_REMINDER_EMAILS = env_list("REVIEW_REMINDER_EMAILS", [])
