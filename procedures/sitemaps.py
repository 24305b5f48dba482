"""sitemap.xml: the home page, the finder, the glossary, every published procedure and guide, every listed clinic,
in English and in Spanish, each address with its other-language address as an xhtml:link alternate."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.urls import reverse
from django.utils import translation

from .models import Clinic, GlossaryTerm, Guide, Procedure, url_language

LANGUAGES = ("en", "es")


class SiteUrlSitemap(Sitemap):
    """Absolute URLs from SITE_URL, whatever host the request came in on; alternates in each language."""

    def get_protocol(self, protocol=None):
        return urlsplit(settings.SITE_URL).scheme

    def get_domain(self, site=None):
        return urlsplit(settings.SITE_URL).netloc

    def versions(self, item):
        """{language: path} of the item's page in each language it exists in."""
        return {}

    def _urls(self, page, protocol, domain):
        urls = super()._urls(page, protocol, domain)
        base = settings.SITE_URL.rstrip("/")
        for info in urls:
            versions = self.versions(info["item"])
            if len(versions) > 1:
                info["alternates"] = [
                    {"location": base + versions[code], "lang_code": code} for code in LANGUAGES if code in versions
                ] + [{"location": base + versions["en"], "lang_code": "x-default"}]
        return urls


def _in(language, name, **kwargs):
    with translation.override(url_language(language)):
        return reverse(name, kwargs=kwargs or None)


class PagesSitemap(SiteUrlSitemap):
    priority = 0.8

    def items(self):
        return [
            (name, language)
            for name in ("procedures:home", "procedures:clinic_finder", "procedures:glossary")
            for language in LANGUAGES
        ]

    def location(self, item):
        return _in(item[1], item[0])

    def versions(self, item):
        return {language: _in(language, item[0]) for language in LANGUAGES}

    def lastmod(self, item):
        if item[0] == "procedures:glossary":
            terms = GlossaryTerm.objects.filter(language=item[1])
            return terms.order_by("-updated_at").values_list("updated_at", flat=True).first()
        return Procedure.objects.published().order_by("-updated_at").values_list("updated_at", flat=True).first()


class TranslatedPagesSitemap(SiteUrlSitemap):
    model = None

    def items(self):
        return self.model.objects.published().select_related("translation_of").order_by("language", "slug")

    def lastmod(self, page):
        return page.updated_at

    def versions(self, page):
        from .views import translation_versions

        return translation_versions(page)


class ProcedureSitemap(TranslatedPagesSitemap):
    priority = 1.0
    model = Procedure


class GuideSitemap(TranslatedPagesSitemap):
    priority = 0.9
    model = Guide


class ClinicSitemap(SiteUrlSitemap):
    priority = 0.6

    def items(self):
        return [(clinic, language) for clinic in Clinic.objects.listed().order_by("slug") for language in LANGUAGES]

    def location(self, item):
        return _in(item[1], "procedures:clinic_detail", slug=item[0].slug)

    def versions(self, item):
        return {language: _in(language, "procedures:clinic_detail", slug=item[0].slug) for language in LANGUAGES}

    def lastmod(self, item):
        return item[0].updated_at


SITEMAPS = {"pages": PagesSitemap, "procedures": ProcedureSitemap, "guides": GuideSitemap, "clinics": ClinicSitemap}
