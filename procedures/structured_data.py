"""schema.org JSON-LD for pages and clinics, describing only what the page itself shows."""

import json

from django.conf import settings
from django.utils.html import strip_tags
from django.utils.safestring import mark_safe

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


def procedure_graph(procedure, sections, site):
    url = absolute(procedure.get_absolute_url())
    about = {
        "@type": PROCEDURE_TYPE[procedure.procedure_type],
        "name": procedure.title,
        "description": procedure.summary,
        "bodyLocation": "Sacroiliac joint",
        "procedureType": "https://schema.org/PercutaneousProcedure",
    }
    if procedure.also_called:
        about["alternateName"] = list(procedure.also_called)
    for prop, kind in (("preparation", "preparation"), ("howPerformed", "during"), ("followup", "follow_up")):
        text = _section_text(sections, kind)
        if text:
            about[prop] = text
    trail = breadcrumbs(("Home", "/"), (procedure.title, procedure.get_absolute_url()))
    page = {
        "@type": "MedicalWebPage",
        "@id": url,
        "url": url,
        "name": procedure.title,
        "description": procedure.summary,
        "inLanguage": "en-US",
        "medicalAudience": {"@type": "MedicalAudience", "audienceType": "Patient"},
        "lastReviewed": procedure.last_reviewed.isoformat(),
        "reviewedBy": {"@type": "Person", "name": procedure.reviewed_by},
        "dateModified": procedure.updated_at.isoformat(),
        "publisher": organization(site),
        "breadcrumb": trail,
        "about": about,
        "mainEntity": about,
    }
    return [page, trail]


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
    trail = breadcrumbs(("Home", "/"), ("Find a clinic", "/clinics/"), (clinic.name, clinic.get_absolute_url()))
    return [data, trail]


def home_graph(site):
    return [organization(site), {"@type": "WebSite", "url": absolute("/"), "name": site.name, "inLanguage": "en-US"}]


def json_ld(graph):
    """A <script type="application/ld+json"> block; <, > and & are escaped so text can never close it."""
    text = json.dumps({"@context": "https://schema.org", "@graph": graph}, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return mark_safe(f'<script type="application/ld+json">{text}</script>')
