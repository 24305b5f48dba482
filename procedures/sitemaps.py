"""sitemap.xml: the home page, the finder, every published procedure and every listed clinic."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from .models import Clinic, Procedure


class SiteUrlSitemap(Sitemap):
    """Absolute URLs from SITE_URL, whatever host the request came in on."""

    def get_protocol(self, protocol=None):
        return urlsplit(settings.SITE_URL).scheme

    def get_domain(self, site=None):
        return urlsplit(settings.SITE_URL).netloc


class PagesSitemap(SiteUrlSitemap):
    priority = 0.8

    def items(self):
        return ["procedures:home", "procedures:clinic_finder"]

    def location(self, item):
        return reverse(item)

    def lastmod(self, item):
        return Procedure.objects.published().order_by("-updated_at").values_list("updated_at", flat=True).first()


class ProcedureSitemap(SiteUrlSitemap):
    priority = 1.0

    def items(self):
        return Procedure.objects.published().order_by("slug")

    def lastmod(self, procedure):
        return procedure.updated_at


class ClinicSitemap(SiteUrlSitemap):
    priority = 0.6

    def items(self):
        return Clinic.objects.listed().order_by("slug")

    def lastmod(self, clinic):
        return clinic.updated_at


SITEMAPS = {"pages": PagesSitemap, "procedures": ProcedureSitemap, "clinics": ClinicSitemap}
