"""The content version (read at most once per request), the cached menu and site details, and the page cache.

Every cache key includes the content version: after any content change the version moves on and no old
entry is ever read again, in any process. The version is read once per request, on every path (pages,
API, admin), and remembered in a context variable that `RequestContentVersionMiddleware` opens and
closes around each request.

The cache is an optimisation, never a dependency: the cache backend (sijoint_site.cache) answers from
process memory while Redis is away. A database outage is survivable too: the version falls back to the
last one this process or the shared cache saw, so pages already cached keep being served, and the site
details fall back to the last copy seen, then to content/site.yaml on disk, so the error pages still
show the phone number.
"""

import contextvars
import hashlib
import logging
from urllib.parse import urlencode

import yaml
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import DisallowedHost
from django.db import DatabaseError, OperationalError
from django.http import HttpResponse
from django.utils import timezone, translation

from .models import ContentVersion, Procedure, SiteDetails

logger = logging.getLogger(__name__)

# Cached fragments are keyed by the content version, so they never go stale; this only bounds memory.
FRAGMENT_SECONDS = 24 * 60 * 60
PAGE_SECONDS = 60 * 60
OPENING_STATUS_MINUTES = 5
# Browsers keep a page a minute (then revalidate with the ETag, cheaply). Shared caches in front (nginx,
# a CDN) keep it a second (nginx: 1 to 2 s), so a save is live everywhere within 2 s, and may answer with their
# last copy for a day while the app cannot (deploy/nginx.conf).
BROWSER_MAX_AGE = 60
FRONT_MAX_AGE = 1
FRONT_STALE_IF_ERROR = 24 * 60 * 60
CACHE_CONTROL = f"public, max-age={BROWSER_MAX_AGE}, s-maxage={FRONT_MAX_AGE}, stale-if-error={FRONT_STALE_IF_ERROR}"
LAST_VERSION_KEY = "content-version:last-known"

# Query parameters that change what a cached page shows (the finder's search). Any other parameter
# (utm_source, fbclid, a random cache-buster) is left out of the key, so it cannot create new entries.
PAGE_PARAMETERS = ("q", "zip", "radius", "procedure", "language")
PARAMETER_MAX_LENGTH = 101

_request_version = contextvars.ContextVar("content_version", default=None)
_last_seen = {"version": None, "site": None, "menu": None}


class ContentUnavailable(OperationalError):
    """The database is away and no earlier content version is known: nothing cached can be trusted."""


def content_version():
    """The content version for this request: read from the database once, then remembered.

    With the database away, the last version this process or the shared cache saw, so that pages
    already cached keep being served; ContentUnavailable when there is none.
    """
    holder = _request_version.get()
    if holder is not None and "version" in holder:
        return holder["version"]
    try:
        version = ContentVersion.read()
    except DatabaseError:
        version = _last_seen["version"]
        if version is None:
            version = cache.get(LAST_VERSION_KEY)
        if version is None:
            raise ContentUnavailable("The database is unavailable and no content version is known.") from None
        logger.warning("database unavailable: serving content version %s from memory", version)
    else:
        if version != _last_seen["version"]:
            _last_seen["version"] = version
            cache.set(LAST_VERSION_KEY, version, None)
    if holder is not None:
        holder["version"] = version
    return version


def versioned_key(name):
    return f"{name}:v{content_version()}"


class RequestContentVersionMiddleware:
    """Opens the per-request memory of the content version; the first reader fills it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _request_version.set({})
        try:
            return self.get_response(request)
        finally:
            _request_version.reset(token)


def procedure_menu():
    """[{id, title, slug, url, procedure_type}] of each published procedure in reading order (cached), in
    the language of the request: the Spanish pages under /es/."""
    language = "es" if translation.get_language() == "es" else "en"
    try:
        key = versioned_key(f"procedure-menu-{language}")
        items = cache.get(key)
        if items is None:
            items = [
                {
                    # A Spanish page stands for its English page, which is what clinics say they offer.
                    "id": procedure.translation_of_id or procedure.pk,
                    "title": procedure.title,
                    "slug": procedure.slug,
                    "url": procedure.get_absolute_url(),
                    "procedure_type": procedure.procedure_type,
                }
                for procedure in Procedure.objects.published()
                .filter(language=language)
                .in_reading_order()
                .only("title", "slug", "procedure_type", "language", "translation_of")
            ]
            cache.set(key, items, FRAGMENT_SECONDS)
    except DatabaseError:
        return _last_seen.get(f"menu-{language}") or []
    _last_seen[f"menu-{language}"] = items
    return items


def site_details():
    """The organisation's details, with the Spanish texts on a Spanish page."""
    return _site_details().in_language(translation.get_language())


def _site_details():
    """The organisation's details: cached; with the database away, the last copy seen or content/site.yaml."""
    try:
        key = versioned_key("site-details")
        details = cache.get(key)
        if details is None:
            details = SiteDetails.objects.filter(pk=1).first() or SiteDetails()
            if details.pk:
                cache.set(key, details, FRAGMENT_SECONDS)
    except DatabaseError:
        return _last_seen["site"] or site_details_from_file()
    if details.pk:
        _last_seen["site"] = details
    return details


def site_details_from_file():
    """SiteDetails built from content/site.yaml without touching the database: for the outage pages only."""
    try:
        data = yaml.safe_load((settings.CONTENT_DIR / "site.yaml").read_text(encoding="utf-8"))
    except (OSError, ValueError, yaml.YAMLError):
        data = None
    if not isinstance(data, dict):
        return SiteDetails()
    fields = {"name", "short_name", "phone", "email", "opening_hours", "address"}
    return SiteDetails(**{name: str(value) for name, value in data.items() if name in fields and value})


def _page_key(request):
    """The cache key of a page: its path, the parameters that change it, the hour and the content version."""
    params = request.GET
    kept = sorted(
        (name, value[:PARAMETER_MAX_LENGTH])
        for name in PAGE_PARAMETERS
        if name in params
        for value in params.getlist(name)[:1]
    )
    address = request.path + ("?" + urlencode(kept) if kept else "")
    now = timezone.now()
    # "Open now, closes 6 pm" changes with the clock: a page is rendered afresh every five minutes.
    moment = f"{now:%Y%m%d%H}{now.minute // OPENING_STATUS_MINUTES:02d}"
    digest = hashlib.sha256(address.encode()).hexdigest()[:32]
    return f"page:{moment}:{digest}:{versioned_key('')}"


class PageCacheMiddleware:
    """Whole-page cache for anonymous GETs, answered before sessions, auth or any view run."""

    def __init__(self, get_response):
        self.get_response = get_response
        # Never cached: the health check must work with the database down, the API counts every call
        # for its rate limit, staff pages are personal.
        self.uncached_prefixes = (
            "/healthz",
            "/api/",
            "/" + settings.ADMIN_PATH,
            "/markdownx/",
            settings.STATIC_URL,
            settings.MEDIA_URL,
        )

    def __call__(self, request):
        if request.path.startswith(self.uncached_prefixes) or not self._cacheable_request(request):
            return self.get_response(request)
        try:
            request.get_host()  # a disallowed Host is a 400 whether or not the page is cached
        except DisallowedHost:
            return self.get_response(request)  # let Django answer it, as for any other page
        key = _page_key(request)
        stored = cache.get(key)
        if stored is not None:
            return self._response(stored)
        response = self.get_response(request)
        if self._cacheable_response(response):
            response["ETag"] = f'"{hashlib.md5(response.content, usedforsecurity=False).hexdigest()}"'
            response["Cache-Control"] = CACHE_CONTROL
            cache.set(key, (response.status_code, list(response.items()), response.content), PAGE_SECONDS)
            # Kept beside the pages it keys, so that even a Redis restarted empty learns it again and a
            # worker started during a database outage can still find those pages.
            cache.set(LAST_VERSION_KEY, content_version(), None)
        return response

    def _cacheable_request(self, request):
        return request.method in ("GET", "HEAD") and settings.SESSION_COOKIE_NAME not in request.COOKIES

    @staticmethod
    def _cacheable_response(response):
        return (
            response.status_code == 200
            and not response.streaming
            and not response.cookies
            and "private" not in response.get("Cache-Control", "")
        )

    @staticmethod
    def _response(stored):
        status, headers, content = stored
        response = HttpResponse(content, status=status)
        for name, value in headers:
            response[name] = value
        return response
