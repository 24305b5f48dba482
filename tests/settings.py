"""The test suite runs the real settings file, with a test-only secret, plain HTTP and plain static files.

DEBUG stays off, as in production. DATABASE_URL and REDIS_URL pass straight through, so the same suite
runs against PostgreSQL and Redis when they are set (.ci/run does both passes).
"""

import os

if not os.environ.get("DJANGO_SECRET_KEY"):
    os.environ["DJANGO_SECRET_KEY"] = "tests-only-secret-key-that-is-long-enough-for-the-checks-0123456789"
if not os.environ.get("DJANGO_SECURE_SSL_REDIRECT"):
    os.environ["DJANGO_SECURE_SSL_REDIRECT"] = "0"

from sijoint_site.settings import *  # noqa: F403
from sijoint_site.settings import STORAGES

# The manifest storage needs collectstatic; tests read the source files directly.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Serve static files straight from static/ (no collectstatic needed), as runserver does.
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
