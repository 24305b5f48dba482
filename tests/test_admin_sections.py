"""Editing a page's sections in the admin: swaps save cleanly; a published page keeps its required sections."""

from bs4 import BeautifulSoup

from procedures.models import Clinic, Section
from tests.test_admin_concurrency import ana, clinic, injection, open_form, page_url, row_key, saved  # noqa: F401


def test_swapping_two_sections_kinds_saves_cleanly(ana, injection):  # noqa: F811
    url = page_url(injection)
    form = open_form(ana, url)
    during, recovery = (
        row_key(form, "sections", "kind", {"kind": "during"}),
        row_key(form, "sections", "kind", {"kind": "recovery"}),
    )
    during_body = Section.objects.get(procedure=injection, kind="during").body
    recovery_body = Section.objects.get(procedure=injection, kind="recovery").body
    form[during], form[recovery] = "recovery", "during"
    saved(ana.post(url, form))
    assert Section.objects.get(procedure=injection, kind="recovery").body == during_body
    assert Section.objects.get(procedure=injection, kind="during").body == recovery_body


def test_deleting_every_section_of_a_published_page_is_refused(ana, injection):  # noqa: F811
    url = page_url(injection)
    form = open_form(ana, url)
    for key in [key for key in form if key.startswith("sections-") and key.endswith("-kind")]:
        form[key.replace("-kind", "-DELETE")] = "on"
    response = ana.post(url, form)
    assert response.status_code == 200, "refused, the form shown again"
    errors = " ".join(BeautifulSoup(response.content, "html.parser").select_one(".errorlist").get_text().split())
    assert "A published page must have the \u201cOverview\u201d and \u201cWhen to get medical help\u201d" in errors
    assert Section.objects.filter(procedure=injection).count() == 4, "nothing was deleted"


def test_a_phone_number_with_an_extension_is_accepted_as_the_loader_accepts_it(ana, clinic):  # noqa: F811
    url = f"/admin/procedures/clinic/{clinic.pk}/change/"
    form = open_form(ana, url)
    form["phone"] = "(612) 555-0100 ext. 12"
    saved(ana.post(url, form))
    clinic = Clinic.objects.get(pk=clinic.pk)
    assert clinic.phone == "(612) 555-0100 ext. 12"
    assert clinic.phone_url == "tel:+16125550100"
