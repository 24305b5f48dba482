"""One set of rules: the admin forms and the loader accept and refuse the same values, normalised alike."""

import pytest
from django.forms import inlineformset_factory

from procedures.admin_forms import (
    ClinicForm,
    OpeningHoursForm,
    ProcedureForm,
    SectionForm,
    SectionInlineFormSet,
    SiteDetailsForm,
)
from procedures.content import ContentInvalid, content_load
from procedures.models import Clinic, Procedure, Section, SiteDetails
from procedures.validation import MARKDOWN_MAX_LENGTH
from tests.test_content_fields import CLINICS_YAML, SECTIONS, SITE_YAML, page_text, write_content

pytestmark = pytest.mark.django_db

SITE_DATA = {
    "name": "Test Clinic Group",
    "phone": "(612) 555-0142",
    "opening_hours": "Monday to Friday",
    "disclaimer": "General information.",
    "urgent_care": "Call 911.",
}

PAGE_DATA = {
    "title": "SI joint injection",
    "slug": "si-joint-injection",
    "status": "published",
    "procedure_type": "therapeutic",
    "summary": "A shot into the joint.",
    "also_called": "",
    "duration": "20 minutes",
    "anaesthetic": "Local",
    "going_home": "Same day",
    "recovery_time": "Next day",
    "reviewed_by": "Dr Example",
    "last_reviewed": "2026-09-21",
    "next_review_due": "2027-09-21",
    "sources": "Sacroiliac joint injection | Testfield Health | https://example.org/si | 2026-09-01",
    "for_clinical_review": "",
}

CLINIC_DATA = {
    "name": "Edina Clinic",
    "slug": "edina",
    "is_listed": "on",
    "run_by": "own",
    "address": "4120 France Ave S",
    "city": "Edina",
    "state": "MN",
    "zip_code": "55435",
    "latitude": "44.87",
    "longitude": "-93.33",
    "timezone": "America/Chicago",
    "phone": "(952) 555-0141",
    "step_free_access": "on",
    "accepting_new_patients": "on",
}

SectionFormSet = inlineformset_factory(
    Procedure, Section, form=SectionForm, formset=SectionInlineFormSet, extra=0, can_delete=True
)


def sections_data(sections, *, initial=0, prefix="sections"):
    """Inline formset POST data: sections is a list of (pk or None, kind, body, delete)."""
    data = {f"{prefix}-TOTAL_FORMS": str(len(sections)), f"{prefix}-INITIAL_FORMS": str(initial)}
    for number, (pk, kind, body, delete) in enumerate(sections):
        data |= {f"{prefix}-{number}-kind": kind, f"{prefix}-{number}-body": body}
        if pk:
            data[f"{prefix}-{number}-id"] = str(pk)
        if delete:
            data[f"{prefix}-{number}-DELETE"] = "on"
    return data


@pytest.mark.parametrize("phone", ["(612) 555-0100 ext. 12", "612-555-0100 x12", "+1 612 555 0100"])
def test_a_phone_with_an_extension_is_accepted_by_the_admin_and_the_loader(tmp_path, phone):
    assert SiteDetailsForm(data=SITE_DATA | {"phone": phone}).is_valid()
    assert ClinicForm(data=CLINIC_DATA | {"phone": phone}).is_valid()
    clinics = CLINICS_YAML.replace('"(952) 555-0141"', f'"{phone}"')
    content_load(
        write_content(tmp_path / "content", site=SITE_YAML.replace('"(612) 555-0142"', f'"{phone}"'), clinics=clinics)
    )
    assert Clinic.objects.get().phone == phone
    assert Clinic.objects.get().phone_url == "tel:+16125550100", "the tap-to-call link leaves the extension out"
    assert SiteDetails.objects.get().phone == phone


@pytest.mark.parametrize("phone", ["555-0100", "call us", "(612) 555-0100 ext. twelve"])
def test_a_phone_that_is_not_a_number_is_refused_by_both(tmp_path, phone):
    form = SiteDetailsForm(data=SITE_DATA | {"phone": phone})
    assert not form.is_valid()
    assert "10-digit US number" in str(form.errors["phone"])
    with pytest.raises(ContentInvalid, match=r"site\.yaml, line 2: `phone` .* must be a 10-digit US number"):
        content_load(write_content(tmp_path / "content", site=SITE_YAML.replace('"(612) 555-0142"', f'"{phone}"')))


def test_the_admin_collapses_runs_of_spaces_in_one_line_fields_as_the_loader_does():
    form = ProcedureForm(data=PAGE_DATA | {"title": "  SI   joint\tinjection  ", "also_called": "A   B\r\n\r\nC "})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["title"] == "SI joint injection"
    assert form.cleaned_data["also_called"] == ["A B", "C"]


def test_the_length_limit_counts_the_text_as_stored():
    form = ProcedureForm(data=PAGE_DATA | {"title": "word" + " " * 300 + "word"})
    assert form.is_valid(), form.errors
    assert not ProcedureForm(data=PAGE_DATA | {"title": "w" * 201}).is_valid()


def test_control_characters_are_refused_by_the_admin_and_the_loader(tmp_path):
    form = ProcedureForm(data=PAGE_DATA | {"title": "SI joint\x01injection"})
    assert not form.is_valid()
    assert "control character (U+0001" in str(form.errors["title"])
    section = SectionForm(data={"kind": "overview", "body": "Fine.\n\nNot\x0bfine."})
    assert not section.is_valid()
    assert "Line 3 contains an invisible control character (U+000B" in str(section.errors["body"])
    page = page_text().replace("Call us if you have a fever.", "Call us\x00 if you have a fever.")
    with pytest.raises(ContentInvalid, match=r"si-joint-injection\.md, line 25: This line contains .*U\+0000"):
        content_load(write_content(tmp_path / "content", pages={"si-joint-injection": page}))


def test_hard_line_breaks_survive_the_admin_and_the_loader(tmp_path):
    body = "123 Main Street  \nEdina, MN"
    section = SectionForm(data={"kind": "overview", "body": body})
    assert section.is_valid(), section.errors
    assert section.cleaned_data["body"] == body
    page = page_text(sections={**SECTIONS, "Overview": body})
    content_load(write_content(tmp_path / "content", pages={"si-joint-injection": page}))
    overview = Section.objects.get(kind="overview")
    assert overview.body == body
    assert "<br" in overview.body_html


def test_a_section_over_the_size_limit_is_refused_by_the_admin_and_the_loader(tmp_path):
    big = ("Plain words in a long paragraph. " * 700)[: MARKDOWN_MAX_LENGTH + 1]
    section = SectionForm(data={"kind": "overview", "body": big})
    assert not section.is_valid()
    assert "the limit is 20,000" in str(section.errors["body"])
    root = write_content(tmp_path / "content", pages={"si-joint-injection": page_text(sections={"Overview": big})})
    with pytest.raises(ContentInvalid, match=r"si-joint-injection\.md, line 19: .*the limit is 20,000"):
        content_load(root)
    assert Procedure.objects.count() == 0


def test_an_unclosed_code_block_is_refused_by_both(tmp_path):
    """It would swallow the next section's heading when the page is exported."""
    body = "Steps:\n\n```\nstep one"
    section = SectionForm(data={"kind": "overview", "body": body})
    assert not section.is_valid()
    assert "never closed" in str(section.errors["body"])
    page = page_text(sections={"Overview": body, "When to get medical help": "Call."})
    with pytest.raises(ContentInvalid, match=r"line 23: This code block"):
        content_load(write_content(tmp_path / "content", pages={"si-joint-injection": page}))


def test_the_next_review_must_follow_the_last_in_both(tmp_path):
    form = ProcedureForm(data=PAGE_DATA | {"next_review_due": "2026-09-21"})
    assert not form.is_valid()
    page = page_text().replace("next_review_due: 2027-09-21", "next_review_due: 2026-01-01")
    with pytest.raises(ContentInvalid, match=r"line 16: `next_review_due` must be after `last_reviewed`"):
        content_load(write_content(tmp_path / "content", pages={"si-joint-injection": page}))


def test_a_clinic_zip_code_must_be_known_and_in_its_state_in_both():
    form = ClinicForm(data=CLINIC_DATA | {"zip_code": "00000"})
    assert not form.is_valid()
    assert "not a US ZIP code" in str(form.errors["zip_code"])
    form = ClinicForm(data=CLINIC_DATA | {"state": "wi"})
    assert not form.is_valid()
    assert "ZIP code 55435 is in MN, not WI" in str(form.errors["state"])
    form = ClinicForm(data=CLINIC_DATA | {"state": "mn", "timezone": "Mars/Olympus"})
    assert not form.is_valid()
    assert "time zone" in str(form.errors["timezone"])
    form = ClinicForm(data=CLINIC_DATA | {"state": "mn"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["state"] == "MN"


def test_opening_hours_are_to_the_minute_and_close_after_opening():
    assert OpeningHoursForm(data={"weekday": 0, "opens": "08:00", "closes": "17:00"}).is_valid()
    with_seconds = OpeningHoursForm(data={"weekday": 0, "opens": "08:00:30", "closes": "17:00"})
    assert not with_seconds.is_valid()
    assert "to the minute" in str(with_seconds.errors)
    backwards = OpeningHoursForm(data={"weekday": 0, "opens": "17:00", "closes": "08:00"})
    assert not backwards.is_valid()
    assert "after the opening time" in str(backwards.errors)


def _published_page(tmp_path):
    content_load(write_content(tmp_path / "content"))
    return Procedure.objects.get()
