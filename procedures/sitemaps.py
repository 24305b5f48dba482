"""sitemap.xml: the home page, the finder, the glossary, every published procedure and guide, every listed clinic."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from .models import Clinic, GlossaryTerm, Guide, Procedure


class SiteUrlSitemap(Sitemap):
    """Absolute URLs from SITE_URL, whatever host the request came in on."""

    def get_protocol(self, protocol=None):
        return urlsplit(settings.SITE_URL).scheme

    def get_domain(self, site=None):
        return urlsplit(settings.SITE_URL).netloc


class PagesSitemap(SiteUrlSitemap):
    priority = 0.8

    def items(self):
        return ["procedures:home", "procedures:clinic_finder", "procedures:glossary"]

    def location(self, item):
        return reverse(item)

    def lastmod(self, item):
        if item == "procedures:glossary":
            return GlossaryTerm.objects.order_by("-updated_at").values_list("updated_at", flat=True).first()
        return Procedure.objects.published().order_by("-updated_at").values_list("updated_at", flat=True).first()


class ProcedureSitemap(SiteUrlSitemap):
    priority = 1.0

    def items(self):
        return Procedure.objects.published().order_by("slug")

    def lastmod(self, procedure):
        return procedure.updated_at


class GuideSitemap(SiteUrlSitemap):
    priority = 0.9

    def items(self):
        return Guide.objects.published().order_by("slug")

    def lastmod(self, guide):
        return guide.updated_at


class ClinicSitemap(SiteUrlSitemap):
    priority = 0.6

    def items(self):
        return Clinic.objects.listed().order_by("slug")

    def lastmod(self, clinic):
        return clinic.updated_at


SITEMAPS = {"pages": PagesSitemap, "procedures": ProcedureSitemap, "guides": GuideSitemap, "clinics": ClinicSitemap}
