"""schema.org JSON-LD for pages and clinics, describing only what the page itself shows."""

import html
import json

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.html import strip_tags
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from .markdown import faq_pairs
from .models import WEEKDAYS, Procedure

SCHEMA_DAY = {day: f"https://schema.org/{day.capitalize()}" for day in WEEKDAYS}
PROCEDURE_TYPE = {
    Procedure.Type.SURGICAL: "SurgicalProcedure",
    Procedure.Type.THERAPEUTIC: "TherapeuticProcedure",
}


def absolute(path):
    return settings.SITE_URL + path


def organization(site):
    data = {
        "@type": "MedicalOrganization",
        "@id": absolute("/#organization"),
        "name": site.name,
        "url": absolute("/"),
        "telephone": site.phone,
    }
    if site.email:
        data["email"] = site.email
    if site.address:
        data["address"] = site.address
    return data


def breadcrumbs(*trail):
    """trail: (name, path) pairs, home first."""
    return {
        "@type": "BreadcrumbList",
        "itemListElement": [
            {"@type": "ListItem", "position": position, "name": name, "item": absolute(path)}
            for position, (name, path) in enumerate(trail, start=1)
        ],
    }


def _section_text(sections, kind):
    section = next((section for section in sections if section.kind == kind), None)
    return " ".join(strip_tags(section.body_html).split()) if section else None


def citations(sources):
    """A page's numbered sources as schema.org CreativeWorks, in their order on the page."""
    return [
        {
            "@type": "CreativeWork",
            "name": source["title"],
            "publisher": {"@type": "Organization", "name": source["publisher"]},
            "url": source["url"],
        }
        for source in sources or []
    ]


def faq_page(url, sections):
    section = next((section for section in sections if section.kind == "faqs"), None)
    pairs = faq_pairs(section.body_html) if section else []
    if not pairs:
        return None
    return {
        "@type": "FAQPage",
        "@id": url + "#faqs",
        "url": url + "#faqs",
        "mainEntity": [
            {"@type": "Question", "name": question, "acceptedAnswer": {"@type": "Answer", "text": answer}}
            for question, answer in pairs
        ],
    }


def in_language(language=None):
    """schema.org inLanguage of a page: its own language, or the language of the request."""
    language = language or ("es" if translation.get_language() == "es" else "en")
    return "es-US" if language == "es" else "en-US"


def home_path():
    return reverse("procedures:home")


def translation_link(page, versions=None):
    """workTranslation / translationOfWork: the page in the other language, when it is published.

    versions: {language: path} already looked up by the view (views.translation_versions)."""
    if versions is None:
        from .views import translation_versions

        versions = translation_versions(page)
    other = next((path for language, path in versions.items() if language != page.language), None)
    if other is None:
        return {}
    return {"workTranslation" if page.language == "en" else "translationOfWork": {"@id": absolute(other)}}


def procedure_graph(procedure, sections, site, *, versions=None):
    url = absolute(procedure.get_absolute_url())
    about = {
        "@type": PROCEDURE_TYPE[procedure.procedure_type],
        "name": procedure.title,
        "description": procedure.summary,
        "bodyLocation": _("Sacroiliac joint"),
        "procedureType": "https://schema.org/PercutaneousProcedure",
    }
    if procedure.also_called:
        about["alternateName"] = list(procedure.also_called)
    for prop, kind in (("preparation", "preparation"), ("howPerformed", "during"), ("followup", "follow_up")):
        text = _section_text(sections, kind)
        if text:
            about[prop] = text
    trail = breadcrumbs((pgettext("navigation", "Home"), home_path()), (procedure.title, procedure.get_absolute_url()))
    page = {
        "@type": "MedicalWebPage",
        "@id": url,
        "url": url,
        "name": procedure.title,
        "description": procedure.summary,
        "inLanguage": in_language(procedure.language),
        **translation_link(procedure, versions),
        "medicalAudience": {"@type": "MedicalAudience", "audienceType": "Patient"},
        "lastReviewed": procedure.last_reviewed.isoformat(),
        "reviewedBy": {"@type": "Person", "name": procedure.reviewed_by},
        "dateModified": procedure.updated_at.isoformat(),
        "publisher": organization(site),
        "breadcrumb": trail,
        "about": about,
        "mainEntity": about,
    }
    if procedure.sources:
        page["citation"] = citations(procedure.sources)
    faqs = faq_page(url, sections)
    return [page, trail, faqs] if faqs else [page, trail]


def guide_graph(guide, site, *, versions=None):
    url = absolute(guide.get_absolute_url())
    trail = breadcrumbs((pgettext("navigation", "Home"), home_path()), (guide.title, guide.get_absolute_url()))
    page = {
        "@type": "MedicalWebPage",
        "@id": url,
        "url": url,
        "name": guide.title,
        "description": guide.summary,
        "inLanguage": in_language(guide.language),
        **translation_link(guide, versions),
        "medicalAudience": {"@type": "MedicalAudience", "audienceType": "Patient"},
        "lastReviewed": guide.last_reviewed.isoformat(),
        "reviewedBy": {"@type": "Person", "name": guide.reviewed_by},
        "dateModified": guide.updated_at.isoformat(),
        "publisher": organization(site),
        "breadcrumb": trail,
        "about": {"@type": "MedicalCondition", "name": _("Sacroiliac joint pain"), "alternateName": _("SI joint pain")},
        "citation": citations(guide.sources),
    }
    return [page, trail]


def glossary_graph(terms):
    url = absolute(reverse("procedures:glossary"))
    return [
        {
            "@type": "DefinedTermSet",
            "@id": url,
            "url": url,
            "name": _("Medical words explained"),
            "inLanguage": in_language(),
            "hasDefinedTerm": [
                {
                    "@type": "DefinedTerm",
                    "@id": f"{url}#{term.anchor}",
                    "name": term.term,
                    "description": " ".join(html.unescape(strip_tags(term.definition_html)).split()),
                    "url": f"{url}#{term.anchor}",
                    "inDefinedTermSet": url,
                    **({"alternateName": list(term.also_called)} if term.also_called else {}),
                }
                for term in terms
            ],
        }
    ]


def clinic_graph(clinic):
    url = absolute(clinic.get_absolute_url())
    hours = [
        {
            "@type": "OpeningHoursSpecification",
            "dayOfWeek": SCHEMA_DAY[WEEKDAYS[period.weekday]],
            "opens": f"{period.opens:%H:%M}",
            "closes": f"{period.closes:%H:%M}",
        }
        for period in clinic.opening_hours.all()
    ]
    data = {
        "@type": "MedicalClinic",
        "@id": url,
        "name": clinic.name,
        "url": url,
        "telephone": clinic.phone,
        "address": {
            "@type": "PostalAddress",
            "streetAddress": clinic.address,
            "addressLocality": clinic.city,
            "addressRegion": clinic.state,
            "postalCode": clinic.zip_code,
            "addressCountry": "US",
        },
        "geo": {"@type": "GeoCoordinates", "latitude": clinic.latitude, "longitude": clinic.longitude},
        "openingHoursSpecification": hours,
        "isAcceptingNewPatients": clinic.accepting_new_patients,
        "availableService": [
            {"@type": PROCEDURE_TYPE[p["procedure_type"]], "name": p["title"], "url": absolute(p["url"])}
            for p in clinic.offered
        ],
    }
    if clinic.email:
        data["email"] = clinic.email
    data["knowsLanguage"] = [{"es": "es-US", "en": "en-US"}.get(code, code) for code in clinic.languages or []]
    trail = breadcrumbs(
        (pgettext("navigation", "Home"), home_path()),
        (_("Find a clinic"), reverse("procedures:clinic_finder")),
        (clinic.name, clinic.get_absolute_url()),
    )
    return [data, trail]


def home_graph(site):
    return [
        organization(site),
        {"@type": "WebSite", "url": absolute(home_path()), "name": site.name, "inLanguage": in_language()},
    ]


def json_ld(graph):
    """A <script type="application/ld+json"> block; <, > and & are escaped so text can never close it."""
    text = json.dumps({"@context": "https://schema.org", "@graph": graph}, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return mark_safe(f'<script type="application/ld+json">{text}</script>')
