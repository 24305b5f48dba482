"""Plain words, one date format, site details as one form, one history entry point, whole-page restore."""

import datetime

import pytest
from bs4 import BeautifulSoup
from django.utils import timezone

from procedures.models import Clinic, PendingVersion, Procedure, Section, SiteDetails
from tests.test_signoff import OVERVIEW, erin, form_data, injection, rosa, save_change  # noqa: F401

pytestmark = pytest.mark.django_db


def text(response):
    return " ".join(BeautifulSoup(response.content, "html.parser").get_text(" ").split())


def test_labels_are_words_an_editor_knows(rosa, injection):  # noqa: F811
    page = text(rosa[1].get(f"/admin/procedures/procedure/{injection.pk}/change/"))
    assert "Web address" in page
    assert "Slug" not in page
    section = Section.objects.get(procedure=injection, kind="overview")
    screen = text(rosa[1].get(f"/admin/procedures/section/{section.pk}/change/"))
    assert "Text" in screen
    assert "Kind" not in screen
    assert "Old web addresses" in text(rosa[1].get("/admin/"))
    assert "Procedure redirects" not in text(rosa[1].get("/admin/"))


def test_clinic_map_position_and_time_zone_choices(rosa):  # noqa: F811
    clinic = Clinic.objects.create(
        name="Edina",
        slug="edina",
        address="1 Main St",
        city="Edina",
        state="MN",
        zip_code="55435",
        latitude=44.9,
        longitude=-93.3,
        phone="(612) 555-0100",
    )
    response = rosa[1].get(f"/admin/procedures/clinic/{clinic.pk}/change/")
    soup = BeautifulSoup(response.content, "html.parser")
    assert "Map position: latitude" in soup.get_text()
    zone = soup.select_one("select[name=timezone]")
    assert zone is not None, "a choice, not free text"
    assert zone.select_one("option[selected]")["value"] == "America/Chicago"
    assert "Central (Chicago)" in zone.get_text()


def test_one_us_date_format_in_lists_and_the_review_column(rosa, injection):  # noqa: F811
    Procedure.objects.filter(pk=injection.pk).update(next_review_due=timezone.localdate() + datetime.timedelta(days=5))
    listing = text(rosa[1].get("/admin/procedures/procedure/"))
    due = timezone.localdate() + datetime.timedelta(days=5)
    assert f"Due {due:%B} {due.day}, {due.year}" in listing
    assert f"{injection.last_reviewed:%B} {injection.last_reviewed.day}, {injection.last_reviewed.year}" in listing
    assert str(due) not in listing, "no ISO dates"


def test_site_details_is_one_form(rosa):  # noqa: F811
    SiteDetails.objects.create(name="Spine clinic", phone="(612) 555-0100", opening_hours="Weekdays 8 to 5")
    response = rosa[1].get("/admin/procedures/sitedetails/")
    assert response.status_code == 302
    assert response["Location"] == "/admin/procedures/sitedetails/1/change/"
    form = BeautifulSoup(rosa[1].get(response["Location"]).content, "html.parser")
    assert form.select_one("a.deletelink") is None, "no delete"
    assert "Add site details" not in form.get_text()


def test_one_history_link_and_the_stock_history_leads_to_ours(rosa, injection):  # noqa: F811
    page = BeautifulSoup(rosa[1].get(f"/admin/procedures/procedure/{injection.pk}/change/").content, "html.parser")
    links = [a for a in page.select("a") if a.get_text(strip=True) == "History"]
    assert len(links) == 1
    assert links[0]["href"] == f"/admin/procedures/procedure/{injection.pk}/page-history/"
    stock = rosa[1].get(f"/admin/procedures/procedure/{injection.pk}/history/")
    assert stock.status_code == 302
    assert stock["Location"] == links[0]["href"]


def test_history_times_are_in_the_site_zone_with_the_zone_named(rosa, injection):  # noqa: F811
    save_change(rosa[1], injection)
    history = BeautifulSoup(
        rosa[1].get(f"/admin/procedures/procedure/{injection.pk}/page-history/").content, "html.parser"
    )
    first = history.select_one("tr.history-row td").get_text()
    record = Section.objects.get(procedure=injection, kind="overview").history.first()
    local = timezone.localtime(record.history_date)
    assert first.startswith(f"{local:%B} {local.day}, {local.year}, ")
    assert first.endswith(("CST", "CDT"))


def whole_page_restore_url(client, procedure, changes_since):
    """The moment just before the last `changes_since` changes, restored as a whole page."""
    history = BeautifulSoup(
        client.get(f"/admin/procedures/procedure/{procedure.pk}/page-history/").content, "html.parser"
    )
    return history.select("tr.history-row")[changes_since].select_one("a.restore-page")["href"]


def test_a_whole_page_is_restored_to_a_moment_after_confirmation(rosa, injection):  # noqa: F811
    # Three changes: the summary, the overview, and a new section.
    save_change(rosa[1], injection, summary="A new summary.")
    Section.objects.create(procedure=injection, kind="questions", body="- Will it hurt?")
    url = whole_page_restore_url(rosa[1], injection, 3)
    confirm = rosa[1].get(url)
    page = text(confirm)
    assert "A new summary." in page
    assert "ease pain for a year" in page
    assert "Sections that did not exist then are removed: Questions to ask" in page
    assert Procedure.objects.get(pk=injection.pk).summary == "A new summary.", "nothing restored on GET"
    rosa[1].post(url)
    injection.refresh_from_db()
    assert injection.summary == "An injection that can ease pain from the sacroiliac joint."
    assert Section.objects.get(procedure=injection, kind="overview").body == OVERVIEW
    assert not Section.objects.filter(procedure=injection, kind="questions").exists()
    assert injection.history.first().history_change_reason.startswith("Restored the whole page as it was on")


def test_an_editors_whole_page_restore_of_a_live_page_waits_for_sign_off(erin, rosa, injection):  # noqa: F811
    save_change(rosa[1], injection, summary="A new summary.")
    url = whole_page_restore_url(erin[1], injection, 2)
    assert "waits for clinical sign-off" in text(erin[1].get(url))
    erin[1].post(url)
    injection.refresh_from_db()
    assert injection.summary == "A new summary.", "the live page is untouched"
    pending = PendingVersion.objects.get(status="pending")
    assert pending.state["fields"]["summary"] == "An injection that can ease pain from the sacroiliac joint."
    assert pending.state["sections"]["overview"] == OVERVIEW
    assert pending.author == erin[0]


def test_a_restore_that_would_leave_a_published_page_without_its_required_sections_is_refused(rosa, injection):  # noqa: F811
    history = BeautifulSoup(
        rosa[1].get(f"/admin/procedures/procedure/{injection.pk}/page-history/").content, "html.parser"
    )
    oldest = history.select("tr.history-row")[-1].select_one("a.restore-page")["href"]  # before any section
    response = rosa[1].post(oldest, follow=True)
    assert "Cannot restore" in text(response)
    assert Section.objects.filter(procedure=injection).count() == 2


def test_sections_are_reached_from_their_page_not_the_admin_home(rosa):  # noqa: F811
    home = BeautifulSoup(rosa[1].get("/admin/").content, "html.parser")
    assert "/admin/procedures/section/" not in str(home)
    response = rosa[1].get("/admin/procedures/section/add/", follow=True)
    assert "Add a section from its page" in text(response)


def test_a_site_details_markdown_error_names_and_marks_its_line(rosa):  # noqa: F811
    SiteDetails.objects.create(
        name="Spine clinic",
        phone="(612) 555-0100",
        opening_hours="Weekdays 8 to 5",
        disclaimer="General advice.",
        urgent_care="Call 911 in an emergency.",
    )
    url = "/admin/procedures/sitedetails/1/change/"
    data = form_data(rosa[1], url)
    data["disclaimer"] = "General advice.\n\n# A title"
    response = rosa[1].post(url, data)
    soup = BeautifulSoup(response.content, "html.parser")
    summary = soup.select_one(".error-summary")
    assert summary.select_one("a")["href"] == "#id_disclaimer"
    assert "Line 3" in summary.get_text()
    assert "\u201c# A title\u201d" in summary.get_text()
    assert soup.select_one("textarea#id_disclaimer")["data-error-line"] == "3"
