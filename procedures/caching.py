"""Whole-page caching for anonymous visitors, keyed by the content version.

A request reads the content version once (one small query), and every cache key it uses includes it:
after any content change the version moves on and no old entry is ever read again, in every process.
Pages showing "open today" change with the clock, so the key also carries the hour. Signed-in staff,
non-GET requests, the admin, the JSON API and anything but a 200 answer are never cached. Each stored page carries an ETag so
that ConditionalGetMiddleware can answer a browser's revalidation with 304 Not Modified.
"""

import contextvars
import hashlib

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.utils import timezone

from .models import ContentVersion

_request_version = contextvars.ContextVar("content_version", default=None)

PAGE_SECONDS = 60 * 60
BROWSER_MAX_AGE = 60  # browsers revalidate after a minute (cheap, thanks to the ETag)


def content_version():
    version = _request_version.get()
    return version if version is not None else ContentVersion.current()


def versioned_key(name):
    return f"{name}:v{content_version()}"


def _page_key(request):
    hour = timezone.now().strftime("%Y%m%d%H")
    digest = hashlib.sha256(request.get_full_path().encode()).hexdigest()[:32]
    return f"page:{hour}:{digest}:{versioned_key('')}"


class PageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        # Never cached, and the version is not even read: the health check must work with the
        # database down, the API counts every call for its rate limit, staff pages are personal.
        self.uncached_prefixes = (
            "/healthz", "/api/", "/" + settings.ADMIN_PATH, "/markdownx/", settings.STATIC_URL, settings.MEDIA_URL,
        )

    def __call__(self, request):
        if request.path.startswith(self.uncached_prefixes):
            return self.get_response(request)
        token = _request_version.set(ContentVersion.current())
        try:
            if not self._cacheable_request(request):
                return self.get_response(request)
            key = _page_key(request)
            stored = cache.get(key)
            if stored is not None:
                return self._response(stored)
            response = self.get_response(request)
            if self._cacheable_response(response):
                response["ETag"] = '"%s"' % hashlib.md5(response.content, usedforsecurity=False).hexdigest()
                response["Cache-Control"] = f"public, max-age={BROWSER_MAX_AGE}"
                cache.set(key, (response.status_code, list(response.items()), response.content), PAGE_SECONDS)
            return response
        finally:
            _request_version.reset(token)

    def _cacheable_request(self, request):
        return (
            request.method in ("GET", "HEAD")
            and settings.SESSION_COOKIE_NAME not in request.COOKIES
        )

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
