"""Whatever the admin forms accept, export_content writes files that load back to the same records.

A property-based test: hypothesis generates site details, pages with sections and clinics with opening
hours, including awkward text (runs of spaces, tabs, hard line breaks, quotes, YAML-looking words,
control characters, code fences, extensions on phone numbers). Each goes through the admin's forms;
what they accept is exported, the database emptied, and the files loaded into it again.
"""

import datetime
import tempfile
from pathlib import Path

import pytest
from django.db import transaction
from django.forms import inlineformset_factory
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from procedures.admin_forms import (
    ClinicForm,
    OpeningHoursForm,
    ProcedureForm,
    SectionForm,
    SectionInlineFormSet,
    SiteDetailsForm,
)
from procedures.content import clinic_state, content_export, content_load, procedure_state, site_state
from procedures.models import Clinic, Procedure, Section, SiteDetails
from procedures.sections import SECTION_KINDS

SectionFormSet = inlineformset_factory(
    Procedure, Section, form=SectionForm, formset=SectionInlineFormSet, extra=0, can_delete=True
)


WORDS = st.sampled_from(
    ["SI", "joint", "pain", "Dr.", "café", "2026", "yes", "null", "~", "#", "- ", ": ", "'", '"', "—", "😀", "x", "*"]
)
# Mostly one space; sometimes what people paste: runs of spaces, tabs, line breaks, no-break spaces.
GAPS = st.sampled_from([" ", " ", " ", " ", " ", "  ", "\t", "\n", "\r\n", "", "\u00a0", " \u3000 "])


@st.composite
def one_line(draw, *, max_words=6):
    words = draw(st.lists(st.tuples(WORDS, GAPS), min_size=1, max_size=max_words))
    text = "".join(word + gap for word, gap in words)
    return text if text.strip() else "x"


MARKDOWN_LINES = st.sampled_from(
    [
        "Plain words about the joint.",
        "A line with a hard break  ",
        "trailing space ",
        "",
        "",
        "- a list item",
        "1. a numbered item",
        "### A sub-heading",
        "    indented code",
        "```\n## Overview\n# not a heading in code\n```",
        "~~~\ncode\n~~~",
        "[the clinic's page](https://example.org/clinic)",
        "**bold** and _em_",
        "\ttab-indented",
        "---",
        "> a quote",
        "Ünïcödé: 😀 — \u00a0 non-breaking",
        "null: yes",
        "  leading spaces",
        "a \t \u3000  ",
    ]
)


@st.composite
def markdown(draw):
    lines = draw(st.lists(MARKDOWN_LINES, min_size=1, max_size=8))
    text = draw(st.sampled_from(["\n", "\r\n"])).join(lines)
    return text if text.strip() else "Words."


# Values the admin must refuse, put into one field of about half the generated records.
BAD_LINES = ["x" * 201, "a\x01b", "   "]
BAD_MARKDOWN = ["## A section-level heading", "# Title", "```\nopen fence", "[here](https://example.org)", "a\x0cb"]
BAD_VALUES = {
    "phone": ["555-0100", "(612) 555-0100 ext"],
    "email": ["not an address"],
    "slug": ["Not a slug"],
    "latitude": ["91"],
    "timezone": ["Mars/Olympus"],
    "zip_code": ["00000"],
    "state": ["WI"],
    "access_notes": ["x" * 301],
    "next_review_due": ["2019-01-01"],
}


@st.composite
def broken(draw, data, line_fields, markdown_fields=()):
    """data, or data with one field given a value the admin must refuse."""
    if not (draw(st.booleans()) and draw(st.booleans())):
        return data
    candidates = [*line_fields, *markdown_fields, *(name for name in BAD_VALUES if name in data)]
    name = draw(st.sampled_from(candidates))
    bad = BAD_VALUES.get(name, BAD_MARKDOWN if name in markdown_fields else BAD_LINES)
    return data | {name: draw(st.sampled_from(bad))}


PHONES = st.sampled_from(["(612) 555-0142", "612-555-0100 ext. 12", "+1 612 555 0100", "(612) 555-0100 x7"])
TIMES = st.sampled_from(["08:00", "12:00", "13:00", "17:00", "17:30", "08:00:30"])


@st.composite
def site_data(draw):
    data = {
        "name": draw(one_line()),
        "short_name": draw(st.sampled_from(["", "Cedar", " Cedar  Bend "])),
        "phone": draw(PHONES),
        "email": draw(st.sampled_from(["", "hello@example.org"])),
        "opening_hours": draw(one_line()),
        "address": draw(st.sampled_from(["", "1 Main St,  Edina"])),
        "disclaimer": draw(markdown()),
        "urgent_care": draw(markdown()),
        "languages": draw(st.sampled_from(["", "Large print.  \nBraille."])),
    }
    return draw(broken(data, ["name", "opening_hours"], ["disclaimer", "urgent_care"]))


@st.composite
def page_data(draw):
    last = draw(st.dates(min_value=datetime.date(2020, 1, 1), max_value=datetime.date(2030, 1, 1)))
    data = {
        "title": draw(one_line()),
        "slug": draw(st.sampled_from(["si-joint-injection", "si-joint-fusion"])),
        "status": draw(st.sampled_from(["published", "draft"])),
        "procedure_type": draw(st.sampled_from(["therapeutic", "surgical"])),
        "summary": draw(one_line()),
        "also_called": "\n".join(draw(st.lists(one_line(max_words=3), max_size=3))),
        "duration": draw(one_line(max_words=3)),
        "anaesthetic": draw(one_line(max_words=3)),
        "going_home": draw(one_line(max_words=3)),
        "recovery_time": draw(one_line(max_words=3)),
        "reviewed_by": draw(one_line(max_words=3)),
        "last_reviewed": last.isoformat(),
        "next_review_due": (last + datetime.timedelta(days=draw(st.integers(1, 800)))).isoformat(),
    }
    data = draw(broken(data, ["title", "summary", "duration", "going_home", "recovery_time"]))
    kinds = draw(st.lists(st.sampled_from([kind.key for kind in SECTION_KINDS]), max_size=4, unique=True))
    rarely = st.sampled_from([False, False, False, False, False, True])
    if not draw(rarely):
        kinds = ["overview", "get_help", *(kind for kind in kinds if kind not in ("overview", "get_help"))]
    sections = [(kind, draw(markdown())) for kind in kinds]
    if sections and draw(rarely):
        sections[-1] = (sections[-1][0], draw(st.sampled_from(BAD_MARKDOWN)))
    if sections and draw(rarely):
        sections.append(sections[0])  # the same kind twice
    return data, sections


@st.composite
def clinic_data(draw):
    zip_code, state = draw(st.sampled_from([("55435", "MN"), ("55435", "mn"), ("98101", "WA")]))
    data = {
        "name": draw(one_line()),
        "slug": draw(st.sampled_from(["edina", "seattle"])),
        "is_listed": "on",
        "address": draw(one_line(max_words=4)),
        "city": draw(one_line(max_words=2)),
        "state": state,
        "zip_code": zip_code,
        "latitude": draw(st.sampled_from(["44.8752", "44.87523456789", "-0.0"])),
        "longitude": draw(st.sampled_from(["-93.3301", "-122.33", "0"])),
        "timezone": draw(st.sampled_from(["America/Chicago", "America/Los_Angeles", "UTC"])),
        "phone": draw(PHONES),
        "email": draw(st.sampled_from(["", "edina@example.org"])),
        "access_notes": draw(st.sampled_from(["", "Step-free  entrance."])),
    }
    for flag in ("telemedicine", "step_free_access", "accepting_new_patients"):
        if draw(st.booleans()):
            data[flag] = "on"
    data = draw(broken(data, ["name", "address", "city"]))
    hours = draw(st.lists(st.tuples(st.integers(0, 6), TIMES, TIMES), max_size=4))
    return data, hours


def admin_save_page(data, sections):
    """What the admin's add view does: the page form, then its section inline, saved only if both are valid."""
    form = ProcedureForm(data=data)
    if not form.is_valid():
        return None
    procedure = form.save(commit=False)
    post = {"sections-TOTAL_FORMS": str(len(sections)), "sections-INITIAL_FORMS": "0"}
    for number, (kind, body) in enumerate(sections):
        post |= {f"sections-{number}-kind": kind, f"sections-{number}-body": body}
    formset = SectionFormSet(post, instance=procedure, prefix="sections")
    if not formset.is_valid():
        return None
    procedure.save()
    form.save_m2m()
    formset.instance = procedure
    formset.save()
    return procedure


def admin_save_clinic(data, hours, procedures):
    form = ClinicForm(data=data | {"procedures": [p.pk for p in procedures]})
    if not form.is_valid():
        return None
    clinic = form.save()
    for weekday, opens, closes in hours:
        hours_form = OpeningHoursForm(data={"weekday": weekday, "opens": opens, "closes": closes})
        if hours_form.is_valid():
            period = hours_form.save(commit=False)
            period.clinic = clinic
            period.save()
    return clinic


def states():
    return (
        [site_state(details) for details in SiteDetails.objects.all()],
        [procedure_state(p) for p in Procedure.objects.prefetch_related("sections").order_by("slug")],
        [clinic_state(c) for c in Clinic.objects.prefetch_related("opening_hours", "procedures").order_by("slug")],
    )


FALLBACK_SITE = {
    "name": "Cedar Bend",
    "phone": "(612) 555-0142",
    "opening_hours": "Weekdays",
    "disclaimer": "General information.",
    "urgent_care": "Call 911.",
}


def admin_edit_sections(procedure, data):
    """The admin's change view on a saved page: sections' kinds shuffled, some deleted, the status changed.

    Returns whether the forms accepted the edit; either way the save must not crash."""
    sections = list(procedure.sections.all())
    kinds = [section.kind for section in sections]
    shift = data.draw(st.integers(1, max(1, len(kinds) - 1)), label="kinds rotated by")
    kinds = data.draw(st.sampled_from([kinds[shift:] + kinds[:shift], kinds[::-1]]), label="new kinds")
    rarely = st.sampled_from([False, False, False, True])
    deleted = data.draw(st.lists(rarely, min_size=len(sections), max_size=len(sections)), label="deleted")
    status = data.draw(st.sampled_from(["published", "draft"]), label="status")
    form = ProcedureForm(data=page_form_data(procedure) | {"status": status}, instance=procedure)
    if not form.is_valid():
        return False
    post = {"sections-TOTAL_FORMS": str(len(sections)), "sections-INITIAL_FORMS": str(len(sections))}
    for number, (section, kind, delete) in enumerate(zip(sections, kinds, deleted, strict=True)):
        post |= {
            f"sections-{number}-id": str(section.pk),
            f"sections-{number}-kind": kind,
            f"sections-{number}-body": section.body,
        }
        if delete:
            post[f"sections-{number}-DELETE"] = "on"
    edited = form.save(commit=False)
    formset = SectionFormSet(post, instance=edited, prefix="sections")
    if not formset.is_valid():
        return False
    edited.save()
    formset.save()
    assert sorted(edited.sections.values_list("kind", flat=True)) == sorted(
        kind for kind, delete in zip(kinds, deleted, strict=True) if not delete
    )
    return True


def page_form_data(procedure):
    """The change form as the admin fills it for a saved page."""
    form = ProcedureForm(instance=procedure)
    return {name: form.initial.get(name) or "" for name in form.fields} | {
        "last_reviewed": procedure.last_reviewed.isoformat(),
        "next_review_due": procedure.next_review_due.isoformat(),
    }


@pytest.mark.django_db
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(site=site_data(), page=page_data(), clinic=clinic_data(), data=st.data())
def test_whatever_the_admin_accepts_exports_and_loads_back_the_same(site, page, clinic, data):
    with transaction.atomic():
        site_form = SiteDetailsForm(data=site)
        (site_form if site_form.is_valid() else SiteDetailsForm(data=FALLBACK_SITE)).save()
        procedure = admin_save_page(*page)
        saved = admin_save_clinic(*clinic, [procedure] if procedure else [])
        event(f"site {'accepted' if site_form.is_valid() else 'refused'}")
        event(f"page {'accepted' if procedure else 'refused'}")
        event(f"clinic {'accepted' if saved else 'refused'}")
        if procedure:
            event(f"sections edit {'accepted' if admin_edit_sections(procedure, data) else 'refused'}")
        before = states()

        with tempfile.TemporaryDirectory() as folder:
            content_export(folder)
            Clinic.objects.all().delete()
            Procedure.objects.all().delete()
            SiteDetails.objects.all().delete()
            content_load(Path(folder))
        assert states() == before
        transaction.set_rollback(True)
