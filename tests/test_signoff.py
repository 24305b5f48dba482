"""Clinical sign-off: a change to a published page waits until a clinical reviewer approves it.

Erin is a clinic editor; Dr Rosa Diaz is a clinical reviewer. They use the admin through real sign-ins.
"""

import datetime

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import Group, User
from django.test import Client
from django.utils import timezone

from procedures.models import PendingVersion, Procedure, Section

pytestmark = pytest.mark.django_db

OVERVIEW = "An injection of medicine into the joint at the base of your spine.\n\nIt can ease pain for months."
GET_HELP = "Call 911 if your legs go weak.\n\nCall the clinic if the pain gets worse."
NEW_OVERVIEW = "An injection of medicine into the joint at the base of your spine.\n\nIt can ease pain for a year."


def person(username, first, last, group):
    user = User.objects.create_user(
        username, password="a-long-staff-password", is_staff=True, first_name=first, last_name=last
    )
    user.groups.add(Group.objects.get(name=group))
    client = Client()
    client.force_login(user)
    return user, client


@pytest.fixture
def erin(db):
    return person("erin", "Erin", "Walsh", "Clinic editor")


@pytest.fixture
def rosa(db):
    return person("rosa", "Rosa", "Diaz", "Clinical reviewer")


def page(status="published"):
    procedure = Procedure.objects.create(
        title="SI joint injection",
        slug="si-joint-injection",
        status=status,
        summary="An injection that can ease pain from the sacroiliac joint.",
        duration="About 30 minutes",
        anaesthetic="Local anesthetic",
        going_home="The same day",
        recovery_time="A day or two",
        reviewed_by="Dr Lee",
        last_reviewed=datetime.date(2026, 1, 10),
        next_review_due=datetime.date(2027, 1, 10),
    )
    Section.objects.create(procedure=procedure, kind="overview", body=OVERVIEW)
    Section.objects.create(procedure=procedure, kind="get_help", body=GET_HELP)
    return procedure


@pytest.fixture
def injection(db):
    return page()


def change_url(procedure):
    return f"/admin/procedures/procedure/{procedure.pk}/change/"


def form_data(client, url):
    """Every field of the admin's change form as the browser would post it."""
    soup = BeautifulSoup(client.get(url).content, "html.parser")
    form = soup.select_one('form[id$="_form"]')
    data = {}
    for field in form.select("input[name], textarea[name], select[name]"):
        name = field["name"]
        if field.name == "textarea":
            data[name] = field.get_text().lstrip("\n")
        elif field.name == "select":
            selected = field.select("option[selected]")
            data[name] = selected[0]["value"] if selected else ""
        elif field.get("type") in ("checkbox", "radio"):
            if field.has_attr("checked"):
                data[name] = field.get("value", "on")
        elif field.get("type") not in ("submit", "button", "file"):
            data[name] = field.get("value", "")
    return data


def section_url(client, procedure, kind):
    """The section's own edit screen, found the way an editor finds it: from the page's list of sections."""
    soup = BeautifulSoup(client.get(change_url(procedure)).content, "html.parser")
    return soup.select_one(f'tr.page-section-row[data-kind="{kind}"] a')["href"]


def save_change(client, procedure, *, overview=NEW_OVERVIEW, summary=None):
    """The page details (when summary is given), then the overview on its own screen: two saves."""
    response = None
    if summary is not None:
        url = change_url(procedure)
        data = form_data(client, url)
        data["summary"] = summary
        response = client.post(url, data, follow=True)
    if overview is not None:
        url = section_url(client, procedure, "overview")
        data = form_data(client, url)
        data["body"] = overview
        response = client.post(url, data, follow=True)
    return response


def public_page(slug="si-joint-injection"):
    return Client().get(f"/procedures/{slug}/").content.decode()


def propose(erin, rosa, injection):
    """Erin saves a change to the published page; Rosa exists, so it waits for her."""
    return save_change(erin[1], injection, summary="An injection that can ease pain in the lower back.")


def test_an_editors_change_to_a_published_page_waits_and_the_live_page_is_unchanged(erin, rosa, injection):
    response = propose(erin, rosa, injection)
    assert response.status_code == 200
    text = response.content.decode()
    assert "Your change is waiting for clinical sign-off" in text
    assert "was changed successfully" not in text
    pending = PendingVersion.objects.get(procedure=injection)
    assert pending.status == "pending"
    assert pending.author == erin[0]
    assert pending.state["sections"]["overview"] == NEW_OVERVIEW
    assert pending.state["fields"]["summary"] == "An injection that can ease pain in the lower back."
    assert f'href="/preview/pending/{pending.pk}/"' in text
    assert Section.objects.get(procedure=injection, kind="overview").body == OVERVIEW
    injection.refresh_from_db()
    assert injection.summary == "An injection that can ease pain from the sacroiliac joint."
    live = public_page()
    assert "ease pain for months" in live
    assert "for a year" not in live
    # The page list shows that a change is waiting; a second save adds to the same pending version.
    assert "Change waiting for sign-off" in erin[1].get("/admin/procedures/procedure/").content.decode()
    save_change(erin[1], injection, overview=NEW_OVERVIEW + "\n\nAsk us anything.")
    assert PendingVersion.objects.filter(procedure=injection).count() == 1
    second = PendingVersion.objects.get().state
    assert second["sections"]["overview"].endswith("Ask us anything.")
    # The form showed the live page again; what the first save changed is kept, not lost.
    assert second["fields"]["summary"] == "An injection that can ease pain in the lower back."


def test_the_preview_shows_the_change_to_staff_only(erin, rosa, injection):
    propose(erin, rosa, injection)
    pending = PendingVersion.objects.get()
    url = f"/preview/pending/{pending.pk}/"
    response = erin[1].get(url)
    assert response.status_code == 200
    text = response.content.decode()
    assert "Preview: waiting for clinical sign-off" in text
    assert "It can ease pain for a year." in text
    assert "in the lower back" in text
    assert "no-cache" in response["Cache-Control"] or "private" in response["Cache-Control"]
    assert Client().get(url).status_code == 404


def test_a_reviewer_sees_the_change_word_by_word_and_approves_it(erin, rosa, injection):
    propose(erin, rosa, injection)
    pending = PendingVersion.objects.get()
    queue = rosa[1].get("/admin/procedures/procedure/signoff/").content.decode()
    assert "<del>months.</del>" in queue
    assert "<ins>a year.</ins>" in queue
    assert "<del>sacroiliac joint.</del> <ins>lower back.</ins>" in queue
    response = rosa[1].post(f"/admin/procedures/procedure/signoff/{pending.pk}/approve/", follow=True)
    assert response.status_code == 200
    live = public_page()
    assert "It can ease pain for a year." in live
    assert "in the lower back" in live
    injection.refresh_from_db()
    assert injection.last_reviewed == timezone.localdate()
    assert injection.reviewed_by == "Rosa Diaz"
    assert injection.history.first().history_change_reason == "Approved by Rosa Diaz"
    assert Section.objects.get(procedure=injection, kind="overview").history.first().history_user == rosa[0]
    pending.refresh_from_db()
    assert pending.status == "approved"
    assert pending.reviewer == rosa[0]
    assert "Change waiting for sign-off" not in erin[1].get("/admin/procedures/procedure/").content.decode()


def test_send_back_shows_the_comment_to_the_editor_and_leaves_the_live_page(erin, rosa, injection):
    propose(erin, rosa, injection)
    pending = PendingVersion.objects.get()
    rosa[1].post(
        f"/admin/procedures/procedure/signoff/{pending.pk}/send-back/",
        {"comment": "Relief rarely lasts a year; say 'for several months'."},
    )
    pending.refresh_from_db()
    assert pending.status == "sent_back"
    form = erin[1].get(change_url(injection)).content.decode()
    assert "sent your last change back" in form
    assert "Relief rarely lasts a year; say &#x27;for several months&#x27;." in form
    assert "ease pain for months" in public_page()
    assert Section.objects.get(procedure=injection, kind="overview").body == OVERVIEW


def test_a_reviewers_own_save_publishes_at_once(rosa, injection):
    response = save_change(rosa[1], injection)
    assert "was changed successfully" in response.content.decode()
    assert not PendingVersion.objects.exists()
    assert "It can ease pain for a year." in public_page()
    overview = Section.objects.get(procedure=injection, kind="overview")
    assert overview.history.first().history_change_reason == "Edited and approved by Rosa Diaz"


def test_a_draft_saves_directly(erin, rosa):
    draft = page(status="draft")
    response = save_change(erin[1], draft)
    assert "was changed successfully" in response.content.decode()
    assert not PendingVersion.objects.exists()
    assert Section.objects.get(procedure=draft, kind="overview").body == NEW_OVERVIEW


def test_an_editor_cannot_approve_or_open_the_queue(erin, rosa, injection):
    propose(erin, rosa, injection)
    pending = PendingVersion.objects.get()
    assert erin[1].post(f"/admin/procedures/procedure/signoff/{pending.pk}/approve/").status_code == 403
    assert erin[1].get("/admin/procedures/procedure/signoff/").status_code == 403
    pending.refresh_from_db()
    assert pending.status == "pending"
    assert "ease pain for months" in public_page()


def test_the_reviewer_group_can_approve_and_edit():
    group = Group.objects.get(name="Clinical reviewer")
    codenames = set(group.permissions.values_list("codename", flat=True))
    editor = set(Group.objects.get(name="Clinic editor").permissions.values_list("codename", flat=True))
    assert editor <= codenames
    assert "approve_pendingversion" in codenames


def test_a_stale_save_is_still_refused_when_the_change_would_wait(erin, rosa, injection):
    """The "no edit lost" check runs before sign-off: a form opened before a reviewer's save is refused."""
    url = section_url(erin[1], injection, "overview")
    stale = form_data(erin[1], url)
    save_change(rosa[1], injection)  # Rosa's urgent fix goes live
    stale["body"] = OVERVIEW + "\n\nAsk us anything."
    response = erin[1].post(url, stale, follow=True)
    text = response.content.decode()
    assert "Not saved yet." in text
    assert "Ask us anything." in BeautifulSoup(text, "html.parser").select_one("textarea[name=body]").get_text()
    assert not PendingVersion.objects.exists()
    assert "It can ease pain for a year." in public_page()


def test_every_sign_off_step_is_in_the_page_history(erin, rosa, injection):
    propose(erin, rosa, injection)
    pending = PendingVersion.objects.get()
    rosa[1].post(f"/admin/procedures/procedure/signoff/{pending.pk}/send-back/", {"comment": "Check the dose."})
    save_change(erin[1], injection, overview=NEW_OVERVIEW + "\n\nThe dose is small.")
    second = PendingVersion.objects.get(status="pending")
    rosa[1].post(f"/admin/procedures/procedure/signoff/{second.pk}/approve/")
    history = BeautifulSoup(
        erin[1].get(f"/admin/procedures/procedure/{injection.pk}/page-history/").content, "html.parser"
    ).get_text(" ", strip=True)
    assert "Sent back" in history
    assert "Check the dose." in history
    assert "Approved" in history
    assert "Approved by Rosa Diaz" in history


def test_saving_a_published_page_unchanged_stores_nothing_for_sign_off(erin, rosa, injection):
    url = change_url(injection)
    response = erin[1].post(url, form_data(erin[1], url), follow=True)
    assert "You had not changed anything" in response.content.decode()
    assert not PendingVersion.objects.exists()


def test_reviewers_find_the_queue_from_the_page_list(erin, rosa):
    assert "Sign-off queue" in rosa[1].get("/admin/procedures/procedure/").content.decode()
    assert "Sign-off queue" not in erin[1].get("/admin/procedures/procedure/").content.decode()


def test_approving_a_change_whose_address_was_taken_since_is_refused_without_harm(erin, rosa, injection):
    propose(erin, rosa, injection)
    pending = PendingVersion.objects.get()
    pending.state["fields"]["slug"] = "si-joint-fusion"
    pending.save()
    other = Procedure.objects.create(
        title="SI joint fusion",
        slug="si-joint-fusion",
        summary="Surgery.",
        duration="An hour",
        anaesthetic="General",
        going_home="Next day",
        recovery_time="Weeks",
        reviewed_by="Dr Lee",
        last_reviewed=datetime.date(2026, 1, 10),
        next_review_due=datetime.date(2027, 1, 10),
    )
    assert other.pk
    response = rosa[1].post(f"/admin/procedures/procedure/signoff/{pending.pk}/approve/", follow=True)
    assert response.status_code == 200
    assert "another page already uses the web address" in response.content.decode()
    pending.refresh_from_db()
    assert pending.status == "pending"
    assert "ease pain for months" in public_page()


def test_an_editor_adding_a_section_to_a_published_page_waits_for_sign_off(erin, rosa, injection):
    page = BeautifulSoup(erin[1].get(change_url(injection)).content, "html.parser")
    add = next(a["href"] for a in page.select(".page-sections-missing a") if "Questions to ask" in a.get_text())
    screen = BeautifulSoup(erin[1].get(add).content, "html.parser")
    assert "your change waits for a clinical reviewer" in screen.get_text()
    data = form_data(erin[1], add)
    data["body"] = "- Will it hurt?"
    response = erin[1].post("/admin/procedures/section/add/", data, follow=True)
    assert "Your change is waiting for clinical sign-off" in response.content.decode()
    assert not Section.objects.filter(procedure=injection, kind="questions").exists(), "not live"
    pending = PendingVersion.objects.get(status="pending")
    assert pending.state["sections"]["questions"] == "- Will it hurt?"
    assert pending.state["sections"]["overview"] == OVERVIEW, "the rest of the page as it is"
    rosa[1].post(f"/admin/procedures/procedure/signoff/{pending.pk}/approve/")
    assert Section.objects.get(procedure=injection, kind="questions").body == "- Will it hurt?"
    assert "Will it hurt?" in public_page()


def test_an_editors_restore_of_one_section_waits_for_sign_off(erin, rosa, injection):
    save_change(rosa[1], injection)  # live now: "for a year"
    history = BeautifulSoup(
        erin[1].get(f"/admin/procedures/procedure/{injection.pk}/page-history/").content, "html.parser"
    )
    older = [a["href"] for a in history.select("a.restore-part") if "Overview" in a.get_text()][-1]
    erin[1].post(older)
    assert "It can ease pain for a year." in public_page(), "the live page is untouched"
    assert PendingVersion.objects.get(status="pending").state["sections"]["overview"] == OVERVIEW


def test_the_queue_and_the_page_name_the_author_and_the_time_in_the_site_zone(erin, rosa, injection):
    propose(erin, rosa, injection)
    pending = PendingVersion.objects.get()
    local = timezone.localtime(pending.updated_at)
    when = f"{local:%B} {local.day}, {local.year}"
    queue = " ".join(
        BeautifulSoup(rosa[1].get("/admin/procedures/procedure/signoff/").content, "html.parser").get_text().split()
    )
    assert f"Saved by Erin Walsh, {when}, " in queue
    assert local.strftime("%Z") in queue, "the zone is named"
    page = " ".join(BeautifulSoup(erin[1].get(change_url(injection)).content, "html.parser").get_text().split())
    assert f"saved by Erin Walsh, {when}, " in page
    assert "Changed, waiting for sign-off" in page, "the section list marks the section that waits"


def test_an_editor_goes_on_from_the_waiting_text_of_a_section(erin, rosa, injection):
    propose(erin, rosa, injection)
    url = section_url(erin[1], injection, "overview")
    screen = BeautifulSoup(erin[1].get(url).content, "html.parser")
    assert screen.select_one("textarea[name=body]").get_text().strip() == NEW_OVERVIEW, "the waiting text"
    assert "as it is in the waiting change" in screen.get_text()
    data = form_data(erin[1], url)
    data["body"] = data["body"].replace("for a year", "for up to a year")
    erin[1].post(url, data)
    assert PendingVersion.objects.get().state["sections"]["overview"].endswith("for up to a year.")
    assert Section.objects.get(procedure=injection, kind="overview").body == OVERVIEW, "live untouched"
    # A reviewer edits the live text, not the waiting one.
    live = BeautifulSoup(rosa[1].get(url).content, "html.parser")
    assert live.select_one("textarea[name=body]").get_text().strip() == OVERVIEW
