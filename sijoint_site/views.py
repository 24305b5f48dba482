"""Operational views: health check, robots.txt, favicon and the error pages (404, 500, 503).

The 500 and 503 pages render with neither database nor cache: they use no context processors and take
the organisation's phone number from caching.site_details(), which falls back to the last copy seen and
then to content/site.yaml on disk. Error pages are in Spanish for addresses under /es/: the 500 and 503
pages may render before (or without) the middleware that activates a language, so they pick it from the path.
"""

import logging
import sys

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.http import HttpResponse, HttpResponseNotFound, HttpResponsePermanentRedirect, JsonResponse
from django.template import loader
from django.templatetags.static import static
from django.utils import translation
from django.utils.translation import gettext as _

from procedures.caching import site_details, site_details_from_file

from .http import public_page

logger = logging.getLogger(__name__)

OUTAGE_RETRY_SECONDS = 60


def healthz(request):
    """For load balancers: 503 only when this server cannot answer (its database is away).

    A cache outage is reported but stays 200: the site answers without its cache, and a shared Redis
    going away must not take every app server out of rotation at once.
    """
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        checks["database"] = "ok"
    except DatabaseError as error:
        checks["database"] = f"error: {type(error).__name__}"
    checks["cache"] = "ok" if cache_answers() else "unavailable (pages are served without it)"
    status = "ok"
    if checks["cache"] != "ok":
        status = "degraded"
    if checks["database"] != "ok":
        status = "unavailable"
    response = JsonResponse({"status": status, **checks}, status=503 if status == "unavailable" else 200)
    response["Cache-Control"] = "no-store"
    return response


def cache_answers():
    """True when the shared cache itself stores and returns a value (not the in-process stand-in)."""
    probe = getattr(cache, "shared_cache_answers", None)
    if probe is not None:
        return probe()
    try:
        cache.set("healthz", "ok", 10)
        return cache.get("healthz") == "ok"
    except Exception:  # any backend failure is a "no", which is what this check reports
        return False


@public_page
def robots_txt(request):
    lines = [
        "User-agent: *",
        f"Disallow: /{settings.ADMIN_PATH}",
        "Disallow: /api/",
        "Disallow: /markdownx/",
        f"Sitemap: {settings.SITE_URL}/sitemap.xml",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


def favicon(request):
    """Browsers and the admin ask for /favicon.ico; the icon lives with the other static files."""
    return HttpResponsePermanentRedirect(static("img/favicon.svg"))


SPANISH_PREFIX = "/es/"


def language_for_path(path):
    """ "es" for addresses under /es/ (and /es itself), else "en": how error pages choose their language."""
    return "es" if path == SPANISH_PREFIX.rstrip("/") or path.startswith(SPANISH_PREFIX) else "en"


def page_not_found(request, exception):
    with translation.override(language_for_path(request.path)):
        template = loader.get_template("404.html")
        context = {
            "page_title": _("Page not found"),
            "page_description": _("We could not find the page you asked for."),
            "canonical_url": None,
        }
        return HttpResponseNotFound(template.render(context, request))


def outage_site_details():
    """Site details for an error page, whatever else is down."""
    try:
        return site_details()
    except Exception:  # the error page must render even when the thing that failed is what we asked
        return site_details_from_file()


OUTAGE_TEMPLATE = "503.html"


def error_page(template_name, status, language="en"):
    response = HttpResponse(outage_page_html(template_name, language), status=status)
    response["Cache-Control"] = "no-store"
    return response


def outage_page_html(template_name=OUTAGE_TEMPLATE, language="en"):
    """The 503 page's HTML (or another outage page's), in English or Spanish; the 503 is also written to a
    static file for the front server (manage.py outage_page)."""
    with translation.override(language):
        context = {"site": outage_site_details(), "home_url": "/es/" if language == "es" else "/"}
        return loader.get_template(template_name).render(context)


def service_unavailable(request=None):
    """The designed 503 page: the site's look, the phone number, try again shortly."""
    language = language_for_path(request.path) if request is not None else "en"
    response = error_page(OUTAGE_TEMPLATE, 503, language)
    response["Retry-After"] = str(OUTAGE_RETRY_SECONDS)
    return response


def server_error(request):
    """handler500: a database outage is a 503 (temporary, with Retry-After); anything else the 500 page."""
    error = sys.exc_info()[1]
    if isinstance(error, (OperationalError, InterfaceError)):
        logger.error("database unavailable: answered 503 to %s", request.path)
        return service_unavailable(request)
    return error_page("500.html", 500, language_for_path(request.path))
