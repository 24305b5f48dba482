"""The field maps: each record type described once, so what is loaded, compared and exported agrees.

Also holds `write_content`, the tiny content set the other test_content_* files build in tmp_path.
"""

import pytest

from procedures.content import ContentInvalid, clinic_state, content_export, content_load, procedure_state, site_state
from procedures.models import Clinic, Procedure, Section, SiteDetails

SITE_YAML = """\
name: Test Clinic Group
phone: "(612) 555-0142"
opening_hours: Monday to Friday, 8 am to 6 pm
disclaimer: General information, not medical advice.
urgent_care: Call 911 in an emergency.
"""

PAGE_FRONT = """\
---
title: SI joint injection
slug: {slug}
status: {status}
procedure_type: therapeutic
summary: A shot of numbing medicine and steroid into the joint.
also_called:
  - Sacroiliac joint injection
key_facts:
  duration: About 20 minutes
  anaesthetic: Local anaesthetic
  going_home: The same day
  recovery: The next day
reviewed_by: Dr Example
last_reviewed: 2026-09-21
next_review_due: 2027-09-21
sources: [{{title: SI joint injection, publisher: Example, url: "https://www.example.org/", checked: 2026-09-21}}]
---
"""

SECTIONS = {
    "Overview": "Your SI joints are where your spine meets your pelvis.",
    "When to get medical help": (
        "Call us if you have a fever.\n### Call 911 or go to the emergency room\n\n- You cannot move your legs.\n\n"
        "### Call the clinic now\n\n- A fever of 100.4 °F (38 °C) or higher.\n\n"
        "### Call the clinic in the next few days\n\n- Your pain is no better after a week."
    ),
}

CLINICS_YAML = """\
- name: Edina Clinic
  slug: edina
  address: 4120 France Ave S
  city: Edina
  state: MN
  zip: "55435"
  phone: "(952) 555-0141"
  hours:
    monday: "08:00-17:00"
    tuesday: "08:00-17:00"
    wednesday: closed
    thursday: closed
    friday: closed
    saturday: closed
    sunday: closed
  procedures: [si-joint-injection]
"""


def page_text(slug="si-joint-injection", status="published", sections=None):
    sections = SECTIONS if sections is None else sections
    body = "".join(f"\n## {heading}\n\n{text}\n" for heading, text in sections.items())
    # The `sources` line takes the blank line after the front matter, so every line below keeps its number.
    return PAGE_FRONT.format(slug=slug, status=status) + body.removeprefix("\n")


def write_content(root, *, site=SITE_YAML, pages=None, clinics=CLINICS_YAML):
    """A small content folder: site.yaml, procedures/<slug>.md (default: one page) and clinics.yaml."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "procedures").mkdir(exist_ok=True)
    if site is not None:
        (root / "site.yaml").write_text(site, encoding="utf-8")
    pages = {"si-joint-injection": page_text()} if pages is None else pages
    for slug, text in pages.items():
        (root / "procedures" / f"{slug}.md").write_text(text, encoding="utf-8")
    if clinics is not None:
        (root / "clinics.yaml").write_text(clinics, encoding="utf-8")
    return root


def snapshot():
    """Every record's state and hash, and the history count: proof that nothing was written."""
    return (
        [procedure_state(p) | {"hash": p.loaded_state_hash} for p in Procedure.objects.order_by("slug")],
        [clinic_state(c) | {"hash": c.loaded_state_hash} for c in Clinic.objects.order_by("slug")],
        list(SiteDetails.objects.values()),
        Procedure.history.count() + Section.history.count() + Clinic.history.count() + SiteDetails.history.count(),
    )


def test_every_editable_model_field_is_named_once_in_its_field_map():
    """A model field missing from the map would be silently dropped by export; a repeated one would clash."""
    from procedures.content.fields import CLINIC, PROCEDURE_ES, SITE, SITE_ES

    not_content = {"id", "created_at", "updated_at", "loaded_state_hash", "position", "body_html"}
    # A Spanish page's map holds every field of an English one plus the translation's own.
    site = type("SiteMaps", (), {"model": SITE.model, "name": "site", "fields": SITE.fields + SITE_ES.fields})
    for record_type in (PROCEDURE_ES, CLINIC, site):
        model = record_type.model
        editable = {
            f.name
            for f in model._meta.get_fields()
            if getattr(f, "editable", False) and not f.auto_created and f.concrete and not f.name.endswith("_html")
        } - not_content
        named = [item.attr for item in record_type.fields if item.attr in editable]
        assert sorted(named) == sorted(editable), record_type.name
        assert len(named) == len(set(named)), record_type.name


@pytest.mark.django_db
def test_a_time_zone_set_in_the_admin_survives_export_and_load(tmp_path):
    content_load(write_content(tmp_path / "content"))
    Clinic.objects.filter(slug="edina").update(timezone="America/Denver")
    content_export(tmp_path / "exported")
    assert "timezone: America/Denver" in (tmp_path / "exported/clinics.yaml").read_text()
    Clinic.objects.all().delete()
    content_load(tmp_path / "exported")
    assert Clinic.objects.get(slug="edina").timezone == "America/Denver"


@pytest.mark.django_db
def test_a_clinic_without_a_timezone_key_gets_its_zip_codes_and_export_leaves_it_out(tmp_path):
    content_load(write_content(tmp_path / "content"))
    assert Clinic.objects.get(slug="edina").timezone == "America/Chicago"
    content_export(tmp_path / "exported")
    assert "timezone" not in (tmp_path / "exported/clinics.yaml").read_text()


@pytest.mark.django_db
def test_renamed_keys_are_written_back_under_their_file_names(tmp_path):
    content_load(write_content(tmp_path / "content"))
    Procedure.objects.update(recovery_time="A week", going_home="Next morning")
    Clinic.objects.update(zip_code="55436")
    content_export(tmp_path / "exported")
    page = (tmp_path / "exported/procedures/si-joint-injection.md").read_text()
    assert "  recovery: A week\n" in page
    assert "  going_home: Next morning\n" in page
    assert "zip: '55436'" in (tmp_path / "exported/clinics.yaml").read_text()
    before = (procedure_state(Procedure.objects.get()), clinic_state(Clinic.objects.get()))
    report = content_load(tmp_path / "exported")
    assert report.updated == report.conflicts == []
    assert (procedure_state(Procedure.objects.get()), clinic_state(Clinic.objects.get())) == before


@pytest.mark.django_db
def test_a_draft_may_lack_required_sections_but_a_published_page_may_not(tmp_path):
    only_why = {"Why it is done": "It can ease pain."}
    root = write_content(
        tmp_path / "content", pages={"si-joint-injection": page_text(status="draft", sections=only_why)}
    )
    content_load(root)
    assert Procedure.objects.get().status == "draft"

    no_help = {"Overview": "About the joint."}
    (root / "procedures/si-joint-injection.md").write_text(page_text(sections=no_help))
    before = snapshot()
    with pytest.raises(ContentInvalid) as refused:
        content_load(root)
    assert "si-joint-injection.md, line 4: The page has no \u201cWhen to get medical help\u201d section" in str(
        refused.value
    )
    assert snapshot() == before


@pytest.mark.django_db
def test_single_line_fields_collapse_runs_of_spaces_in_the_loader(tmp_path):
    site = SITE_YAML.replace("name: Test Clinic Group", 'name: "Test   Clinic\\tGroup "')
    content_load(write_content(tmp_path / "content", site=site))
    assert SiteDetails.objects.get().name == "Test Clinic Group"


@pytest.mark.django_db
def test_site_markdown_is_checked_like_a_section(tmp_path):
    site = SITE_YAML.replace(
        "urgent_care: Call 911 in an emergency.", "urgent_care: |\n  Call 911.\n\n  [here](/help/)"
    )
    root = write_content(tmp_path / "content", site=site)
    with pytest.raises(ContentInvalid, match=r"site\.yaml, line 8: `urgent_care`: The link text \u201chere\u201d"):
        content_load(root)
    assert SiteDetails.objects.count() == 0


@pytest.mark.django_db
def test_site_state_is_the_same_after_export_and_load(tmp_path):
    content_load(write_content(tmp_path / "content"))
    SiteDetails.objects.update(languages="Large print on request.", email="hello@example.org")
    before = site_state(SiteDetails.objects.get())
    content_export(tmp_path / "exported")
    SiteDetails.objects.all().delete()
    content_load(tmp_path / "exported")
    assert site_state(SiteDetails.objects.get()) == before
