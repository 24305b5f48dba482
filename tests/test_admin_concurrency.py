"""Two people editing the same record in the admin: nothing either of them saved is ever lost.

Ana and Ben open the same form; Ana saves first; Ben then saves the form he opened before her save.
"""

import datetime

import pytest
from bs4 import BeautifulSoup
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, User
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from procedures.models import Clinic, OpeningHours, Procedure, Section, SiteDetails

pytestmark = pytest.mark.django_db

OVERVIEW = "An injection of medicine into the joint at the base of your spine.\n\nIt can ease pain for months."
DURING = "You lie on your front.\n\nThe doctor numbs your skin.\n\nThe injection takes about 10 minutes."
RECOVERY = "Rest for the day.\n\nMost people are back at work the next day."
GET_HELP = "Call 911 if your legs go weak.\n\nCall the clinic if the pain gets worse."


def person(username, first, last):
    user = User.objects.create_user(username, password="a-long-editor-password", is_staff=True)
    user.first_name, user.last_name = first, last
    user.save()
    # Clinical reviewers too, so that each save goes live at once: the live page is what two people can
    # overwrite. (Editors' changes waiting for sign-off are tested in tests/test_signoff.py.)
    user.groups.add(Group.objects.get(name="Clinic editor"), Group.objects.get(name="Clinical reviewer"))
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def ana(db):
    return person("ana", "Ana", "Berg")


@pytest.fixture
def ben(db):
    return person("ben", "Ben", "Okafor")


@pytest.fixture
def injection(db):
    procedure = Procedure.objects.create(
        title="SI joint injection",
        slug="si-joint-injection",
        status="published",
        summary="An injection that can ease pain from the sacroiliac joint.",
        duration="About 30 minutes",
        anaesthetic="Local anesthetic",
        going_home="The same day",
        recovery_time="A day or two",
        reviewed_by="Dr Lee",
        last_reviewed=datetime.date(2026, 1, 10),
        next_review_due=datetime.date(2027, 1, 10),
    )
    # A published page keeps its required sections (overview, when to get help).
    for kind, body in (("overview", OVERVIEW), ("during", DURING), ("recovery", RECOVERY), ("get_help", GET_HELP)):
        Section.objects.create(procedure=procedure, kind=kind, body=body)
    return procedure


@pytest.fixture
def clinic(injection):
    fusion = Procedure.objects.create(
        title="SI joint fusion",
        slug="si-joint-fusion",
        status="published",
        summary="Surgery that joins the bones of the joint.",
        duration="About an hour",
        anaesthetic="General anesthetic",
        going_home="The next day",
        recovery_time="Several weeks",
        reviewed_by="Dr Lee",
        last_reviewed=datetime.date(2026, 1, 10),
        next_review_due=datetime.date(2027, 1, 10),
    )
    assert fusion.pk
    clinic = Clinic.objects.create(
        name="Edina Spine Clinic",
        slug="edina",
        address="1 Main Street",
        city="Edina",
        state="MN",
        zip_code="55435",
        latitude=44.88,
        longitude=-93.35,
        timezone="America/Chicago",
        phone="(612) 555-0100",
    )
    clinic.procedures.add(injection)
    for weekday in (0, 1):
        OpeningHours.objects.create(
            clinic=clinic, weekday=weekday, opens=datetime.time(8, 0), closes=datetime.time(17, 0)
        )
    return clinic


@pytest.fixture
def details(db):
    return SiteDetails.objects.create(
        name="Twin Cities Spine Care",
        phone="(612) 555-0199",
        opening_hours="Monday to Friday, 8 am to 5 pm",
        disclaimer="This page is general information.\n\nAsk your care team about your own care.",
        urgent_care="Call 911 in an emergency.",
    )


# --- The browser, as a form ----------------------------------------------------------------------------


def form_data(html):
    """Every field of the admin's model form as the browser would post it."""
    form = BeautifulSoup(html, "html.parser").select_one('form[id$="_form"]')
    data = {}
    for field in form.select("input[name], textarea[name], select[name]"):
        name = field["name"]
        if field.name == "textarea":
            data[name] = field.get_text().removeprefix("\n")
        elif field.name == "select":
            selected = [option["value"] for option in field.select("option[selected]")]
            data[name] = selected if field.has_attr("multiple") else (selected[0] if selected else "")
        elif field.get("type") in ("checkbox", "radio"):
            ticks = form.select(f'input[type=checkbox][name="{name}"]')
            if len(ticks) > 1:  # a list of ticks (a clinic's procedures): every ticked value
                data[name] = [tick["value"] for tick in ticks if tick.has_attr("checked")]
            elif field.has_attr("checked"):
                data[name] = field.get("value", "on")
        elif field.get("type") not in ("submit", "button", "file"):
            data[name] = field.get("value", "")
    return data


def open_form(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return form_data(response.content.decode())


def row_key(data, prefix, field, value):
    """The name of `field` in the inline row whose `<prefix>-N-...` field has `value`."""
    name, wanted = next(iter(value.items()))
    index = next(key.split("-")[1] for key, v in data.items() if key.endswith(f"-{name}") and v == wanted)
    return f"{prefix}-{index}-{field}"


def section_key(data, kind):
    return row_key(data, "sections", "body", {"kind": kind})


def textarea(response, name):
    soup = BeautifulSoup(response.content, "html.parser")
    return soup.select_one(f'textarea[name="{name}"]').get_text().removeprefix("\n")


def refusal(response):
    """(the message at the top, the list of what the other person changed) on a refused save."""
    assert response.status_code == 200, "refused: the form is shown again, not a redirect"
    soup = BeautifulSoup(response.content, "html.parser")
    message = soup.select_one(".edit-conflict-message")
    assert message is not None, "a refusal message at the top of the form"
    assert "Nothing is lost: your own changes are still in the form." in soup.get_text()
    assert "Please correct" not in soup.get_text(), "the editor did nothing wrong"
    assert soup.title.get_text().startswith("Not saved yet:")
    panel = soup.select_one(".edit-conflict")
    assert panel is not None, "what the other person changed"
    return " ".join(message.get_text().split()), panel


def go_to(response, panel):
    """Where the conflict list's one "Go to ... in the form" link leads; that place must be on the page."""
    (link,) = panel.select("a[href^='#']")
    target = link["href"][1:]
    assert BeautifulSoup(response.content, "html.parser").find(id=target) is not None
    return target


def saved(response):
    assert response.status_code == 302, BeautifulSoup(response.content, "html.parser").select_one(".errorlist")
    return response


def page_url(procedure):
    return f"/admin/procedures/procedure/{procedure.pk}/change/"


def body(procedure, kind):
    return Section.objects.get(procedure=procedure, kind=kind).body


# --- Pages ----------------------------------------------------------------------------------------------


def section_url(procedure, kind):
    """A section's own screen (sections are edited one at a time, not inline on the page's form)."""
    return f"/admin/procedures/section/{Section.objects.get(procedure=procedure, kind=kind).pk}/change/"


def test_same_section_a_stale_save_is_refused_and_nothing_is_lost(ana, ben, injection):
    url = section_url(injection, "during")
    ana_form, ben_form = open_form(ana, url), open_form(ben, url)
    ana_text = DURING.replace("about 10 minutes", "about 15 minutes")
    ana_form["body"] = ana_text
    saved(ana.post(url, ana_form))

    ben_text = DURING + "\n\nYou can bring someone with you."
    ben_form["body"] = ben_text
    response = ben.post(url, ben_form)

    assert body(injection, "during") == ana_text, "Ana's change survives Ben's stale save"
    message, panel = refusal(response)
    assert "Not saved yet. Ana Berg saved changes to this section at" in message
    assert "CST" in message or "CDT" in message, "the time in the site's zone, named"
    assert "you changed this too" in panel.get_text()
    assert [d.get_text() for d in panel.select("del")] == ["10"]
    assert [i.get_text() for i in panel.select("ins")] == ["15"]
    assert textarea(response, "body") == ben_text, "Ben's text is kept for him"
    assert go_to(response, panel) == "id_body", "a link to the text box"

    # Ben re-applies his sentence on top of Ana's version and saves again, on purpose.
    form = form_data(response.content.decode())
    form["body"] = ana_text + "\n\nYou can bring someone with you."
    saved(ben.post(url, form))
    assert body(injection, "during") == ana_text + "\n\nYou can bring someone with you."


def test_page_field_and_a_section_are_separate_screens_both_changes_kept(ana, ben, injection):
    """Ana's title change and Ben's section change are on different screens: neither is a stale copy of the
    other, so both save straight away."""
    url = page_url(injection)
    ben_url = section_url(injection, "recovery")
    ana_form, ben_form = open_form(ana, url), open_form(ben, ben_url)
    ana_form["title"] = "Sacroiliac joint injection"
    saved(ana.post(url, ana_form))
    ben_form["body"] = RECOVERY + "\n\nAvoid heavy lifting for a day."
    saved(ben.post(ben_url, ben_form))
    injection.refresh_from_db()
    assert injection.title == "Sacroiliac joint injection"
    assert body(injection, "recovery").endswith("Avoid heavy lifting for a day.")


def test_two_different_sections_save_without_touching_each_other(ana, ben, injection):
    ana_url, ben_url = section_url(injection, "overview"), section_url(injection, "recovery")
    ana_form, ben_form = open_form(ana, ana_url), open_form(ben, ben_url)
    ana_form["body"] = OVERVIEW + "\n\nIt is not surgery."
    saved(ana.post(ana_url, ana_form))
    ben_form["body"] = "Rest for the day.\n\nYou can drive the next day."
    saved(ben.post(ben_url, ben_form))
    assert body(injection, "overview") == OVERVIEW + "\n\nIt is not surgery."
    assert body(injection, "recovery") == "Rest for the day.\n\nYou can drive the next day."


def test_a_section_added_meanwhile_is_listed_and_kept(ana, ben, injection):
    url = page_url(injection)
    ben_form = open_form(ben, url)
    Section.objects.create(procedure=injection, kind="questions", body="- How long will it last?")
    ben_form["summary"] = "An injection that can ease pain in your lower back."
    saved(ben.post(url, ben_form))
    assert body(injection, "questions") == "- How long will it last?"
    assert Procedure.objects.get(pk=injection.pk).summary == "An injection that can ease pain in your lower back."
    listed = BeautifulSoup(ben.get(url).content, "html.parser").select("tr.page-section-row")
    assert "questions" in [row["data-kind"] for row in listed], "the page lists the new section"


def test_an_edited_section_deleted_meanwhile_comes_back_as_a_new_one(ana, ben, injection):
    url = section_url(injection, "recovery")
    ben_form = open_form(ben, url)
    Section.objects.get(procedure=injection, kind="recovery").delete()
    ben_form["body"] = "Rest at home today."
    response = ben.post(url, ben_form, follow=True)
    assert response.status_code == 200
    text = response.content.decode()
    assert "removed this section after you opened it" in text
    assert textarea(response, "body") == "Rest at home today.", "Ben's text is kept, offered as a new section"
    form = form_data(text)
    assert form["kind"] == "recovery"
    saved(ben.post("/admin/procedures/section/add/", form))
    assert body(injection, "recovery") == "Rest at home today."


# --- Clinics and site details --------------------------------------------------------------------------


def test_clinic_hours_and_procedures_against_contact_details(ana, ben, clinic, injection):
    url = f"/admin/procedures/clinic/{clinic.pk}/change/"
    fusion = Procedure.objects.get(slug="si-joint-fusion")
    ana_form, ben_form = open_form(ana, url), open_form(ben, url)
    ana_form["day0_closes_1"] = "18:00"  # Monday closes
    ana_form["procedures"] = [str(injection.pk), str(fusion.pk)]
    saved(ana.post(url, ana_form))

    ben_form["phone"] = "(612) 555-0111"
    response = ben.post(url, ben_form)

    clinic.refresh_from_db()
    assert clinic.opening_hours.get(weekday=0).closes == datetime.time(18, 0), "Ana's hours survive"
    assert set(clinic.procedures.all()) == {injection, fusion}, "Ana's procedures survive"
    assert clinic.phone == "(612) 555-0100"
    message, panel = refusal(response)
    assert "Ana Berg saved changes to this clinic" in message
    text = " ".join(panel.get_text().split())
    assert "Monday closes" in text, "the day and the field"
    assert "18:00" in [i.get_text() for i in panel.select("ins")], "the time without seconds"
    assert "Procedures" in text
    assert "SI joint fusion" in " ".join(i.get_text() for i in panel.select("ins"))
    form = form_data(response.content.decode())
    assert form["phone"] == "(612) 555-0111", "Ben's text kept"
    assert sorted(form["procedures"]) == sorted([str(injection.pk), str(fusion.pk)]), "refreshed"
    assert form["day0_closes_1"] == "18:00"

    saved(ben.post(url, form))
    clinic.refresh_from_db()
    assert clinic.phone == "(612) 555-0111"
    assert clinic.opening_hours.get(weekday=0).closes == datetime.time(18, 0)
    assert set(clinic.procedures.all()) == {injection, fusion}


def test_site_details_same_field(ana, ben, details):
    url = f"/admin/procedures/sitedetails/{details.pk}/change/"
    ana_form, ben_form = open_form(ana, url), open_form(ben, url)
    ana_form["opening_hours"] = "Monday to Saturday, 8 am to 6 pm"
    saved(ana.post(url, ana_form))

    ben_form["opening_hours"] = "Monday to Friday, 7 am to 5 pm"
    ben_form["phone"] = "(612) 555-0123"
    response = ben.post(url, ben_form)

    assert SiteDetails.objects.get().opening_hours == "Monday to Saturday, 8 am to 6 pm", "Ana's change survives"
    assert SiteDetails.objects.get().phone == "(612) 555-0199"
    message, panel = refusal(response)
    assert "Ana Berg saved changes to the site details" in message
    assert "Opening hours" in panel.get_text()
    assert "you changed this too" in panel.get_text()
    form = form_data(response.content.decode())
    assert form["opening_hours"] == "Monday to Friday, 7 am to 5 pm", "Ben's own text, to reconcile"
    assert form["phone"] == "(612) 555-0123"

    form["opening_hours"] = "Monday to Saturday, 7 am to 6 pm"
    saved(ben.post(url, form))
    assert SiteDetails.objects.get().opening_hours == "Monday to Saturday, 7 am to 6 pm"
    assert SiteDetails.objects.get().phone == "(612) 555-0123"


# --- Saves that are not conflicts ----------------------------------------------------------------------


def stale_forms(kind, ana, ben, injection, clinic, details):
    """(url, Ben's stale form, how to read Ana's change back) after Ana saved a change."""
    if kind == "page":
        url = section_url(injection, "overview")
        ben_form, ana_form = open_form(ben, url), open_form(ana, url)
        ana_form["body"] = "Ana's overview."
        saved(ana.post(url, ana_form))
        return url, ben_form, lambda: body(injection, "overview") == "Ana's overview."
    if kind == "clinic":
        url = f"/admin/procedures/clinic/{clinic.pk}/change/"
        ben_form, ana_form = open_form(ben, url), open_form(ana, url)
        ana_form["day1_opens_1"] = "09:30"  # Tuesday opens
        saved(ana.post(url, ana_form))
        return url, ben_form, lambda: clinic.opening_hours.get(weekday=1).opens == datetime.time(9, 30)
    url = f"/admin/procedures/sitedetails/{details.pk}/change/"
    ben_form, ana_form = open_form(ben, url), open_form(ana, url)
    ana_form["phone"] = "(612) 555-0000"
    saved(ana.post(url, ana_form))
    return url, ben_form, lambda: SiteDetails.objects.get().phone == "(612) 555-0000"


@pytest.mark.parametrize("kind", ["page", "clinic", "site"])
def test_a_save_that_changes_nothing_is_not_refused_and_writes_nothing(kind, ana, ben, injection, clinic, details):
    url, ben_form, anas_change_kept = stale_forms(kind, ana, ben, injection, clinic, details)
    response = ben.post(url, ben_form, follow=True)
    assert response.redirect_chain, "not refused"
    assert anas_change_kept()
    assert "You had not changed anything, so nothing was saved." in response.content.decode()
    assert LogEntry.objects.filter(user__username="ben").get().get_change_message() == "No fields changed."


def test_a_save_from_a_current_form_goes_straight_through(ana, injection):
    url = section_url(injection, "overview")
    form = open_form(ana, url)
    form["body"] = "A new overview."
    saved(ana.post(url, form))
    url = page_url(injection)
    form = open_form(ana, url)
    form["title"] = "SI joint injection (steroid)"
    saved(ana.post(url, form))
    assert body(injection, "overview") == "A new overview."
    assert Procedure.objects.get(pk=injection.pk).title == "SI joint injection (steroid)"


@pytest.mark.parametrize("token", [None, "forged"])
def test_a_form_without_a_valid_opened_marker_is_refused_keeping_the_text(ana, injection, token):
    url = section_url(injection, "overview")
    form = open_form(ana, url)
    if token is None:
        del form["opened_state"]
    else:
        form["opened_state"] = token
    form["body"] = "Typed in an old tab."
    response = ana.post(url, form)
    assert response.status_code == 200
    assert "could not tell when you opened this form" in response.content.decode()
    assert body(injection, "overview") == OVERVIEW
    form = form_data(response.content.decode())
    assert textarea(response, "body") == "Typed in an old tab."
    saved(ana.post(url, form))
    assert body(injection, "overview") == "Typed in an old tab."


def test_history_records_the_second_save_as_bens(ana, ben, injection):
    url = page_url(injection)
    ana_form, ben_form = open_form(ana, url), open_form(ben, url)
    ana_form["duration"] = "About 20 minutes"
    saved(ana.post(url, ana_form))
    ben_form["going_home"] = "After about an hour"
    form = form_data(ben.post(url, ben_form).content.decode())
    saved(ben.post(url, form))
    injection.refresh_from_db()
    assert (injection.duration, injection.going_home) == ("About 20 minutes", "After about an hour")
    latest = injection.history.first()
    assert latest.history_user.username == "ben"
    assert latest.prev_record.history_user.username == "ana"
    log = LogEntry.objects.filter(user__username="ben").latest("action_time").get_change_message()
    assert log == "Changed Going home.", "the hidden marker is bookkeeping, not a change"


def test_a_conflict_and_a_mistake_in_the_editors_own_text_are_both_shown(ana, ben, injection):
    url = section_url(injection, "overview")
    ana_form, ben_form = open_form(ana, url), open_form(ben, url)
    ana_form["body"] = OVERVIEW + "\n\nIt is not surgery."
    saved(ana.post(url, ana_form))
    ben_form["body"] = "# A second title"
    response = ben.post(url, ben_form)
    page = response.content.decode()
    assert "Ana Berg saved changes to this section" in page
    summary = BeautifulSoup(page, "html.parser").select_one(".error-summary")
    assert "Line 1: A level-1 heading" in summary.get_text(), "the editor's own mistake is still pointed out"
    assert summary.select_one("a")["href"] == "#id_body"
    assert textarea(response, "body") == "# A second title"
    form = form_data(page)
    form["body"] = "### A sub-heading\n\nAn injection into the joint."
    saved(ben.post(url, form))
    assert body(injection, "overview") == "### A sub-heading\n\nAn injection into the joint."


# --- Any mix of edits -----------------------------------------------------------------------------------

PARTS = ["title", "summary", "duration", "overview", "during", "recovery"]
edits = st.sets(st.sampled_from(PARTS), max_size=4)


def part_url(procedure, part):
    return page_url(procedure) if part in PARTS[:3] else section_url(procedure, part)


def part_key(part):
    return part if part in PARTS[:3] else "body"


def part_value(procedure, part):
    return getattr(Procedure.objects.get(pk=procedure.pk), part) if part in PARTS[:3] else body(procedure, part)


@settings(max_examples=10, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(anas=edits, bens=edits)
def test_any_mix_of_edits_loses_nothing(ana, ben, anas, bens):
    procedure = Procedure.objects.create(
        title="Page",
        slug=f"page-{Procedure.objects.count()}",
        summary="A summary.",
        duration="An hour",
        anaesthetic="Local",
        going_home="Same day",
        recovery_time="A day",
        reviewed_by="Dr Lee",
        last_reviewed=datetime.date(2026, 1, 10),
        next_review_due=datetime.date(2027, 1, 10),
    )
    for kind in ("overview", "during", "recovery"):
        Section.objects.create(procedure=procedure, kind=kind, body=f"The {kind} section.")
    original = {part: part_value(procedure, part) for part in PARTS}
    # Each opens every screen first (the page's details and each section), then each saves the screens
    # where they changed something: Ana first, then Ben from forms opened before Ana's saves.
    urls = {part_url(procedure, part) for part in PARTS}
    ana_forms = {url: open_form(ana, url) for url in urls}
    ben_forms = {url: open_form(ben, url) for url in urls}
    for part in anas:
        ana_forms[part_url(procedure, part)][part_key(part)] = f"Ana's {part}."
    for url in {part_url(procedure, part) for part in anas}:
        saved(ana.post(url, ana_forms[url]))
    for part in bens:
        ben_forms[part_url(procedure, part)][part_key(part)] = f"Ben's {part}."
    for url in {part_url(procedure, part) for part in bens}:
        response = ben.post(url, ben_forms[url])
        anas_here = {part for part in anas if part_url(procedure, part) == url}
        if anas_here:
            message, panel = refusal(response)
            assert "Ana Berg" in message
            shown = {part for part in PARTS if f"Ana's {part}." in panel.get_text()}
            assert shown == anas_here, "every change of Ana's on this screen is shown"
            response = ben.post(url, form_data(response.content.decode()))
        saved(response)

    for part in PARTS:
        expected = f"Ben's {part}." if part in bens else f"Ana's {part}." if part in anas else original[part]
        assert part_value(procedure, part) == expected, part
