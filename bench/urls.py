"""The site's URLconf plus /bench/ceiling/: a fixed page, to measure what the framework alone costs.

The load benchmark serves the site with bench.settings, whose ROOT_URLCONF is this module. The ceiling
view does no work of its own, so its throughput is the most any page can reach through the same server,
middleware and cache:
every other page is reported as a fraction of it.
"""

from django.http import HttpResponse
from django.urls import path

import sijoint_site.urls

CEILING_HTML = (
    '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Ceiling</title></head>'
    "<body><p>A fixed page for the load benchmark.</p></body></html>\n"
)


def ceiling(request):
    return HttpResponse(CEILING_HTML)


urlpatterns = [path("bench/ceiling/", ceiling), *sijoint_site.urls.urlpatterns]

handler404 = sijoint_site.urls.handler404
handler500 = sijoint_site.urls.handler500
