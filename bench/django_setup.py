"""Start Django inside a benchmark process against a scratch database, never the developer's own."""

import os
import secrets


def setup_django(database_url, **extra_environment):
    """Point the settings at database_url with production-like settings (DEBUG off), then django.setup().

    REDIS_URL is removed so nothing a benchmark caches lands in a shared Redis.
    """
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "sijoint_site.settings",
            "DATABASE_URL": database_url,
            "DJANGO_SECRET_KEY": f"bench-only-{secrets.token_urlsafe(32)}",
            "DJANGO_DEBUG": "0",
            **extra_environment,
        }
    )
    os.environ.pop("REDIS_URL", None)

    import django

    django.setup()
