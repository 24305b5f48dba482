"""An editor walks the admin in real Chromium at 1280 px: opens a page (a short form and a list of sections),
opens one section, trips a validation error and follows the summary's link to the text box, saves, finds the
change in the history, and restores the whole page to a moment, confirming on a screen that shows the change.
Screenshots of each screen go to /tmp/shots-admin/."""

import datetime
import importlib
import os

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.apps import apps
from django.contrib.auth.models import Group, User

from procedures.models import Procedure, Section

SHOTS = "/tmp/shots-admin"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
OVERVIEW = "An injection of medicine into the joint at the base of your spine.\n\nIt can ease pain for months."
DURING = "You lie on your front.\n\nThe doctor numbs your skin.\n\nThe injection takes about 10 minutes."


@pytest.fixture
def injection(live_server, transactional_db):
    # Live-server tests empty the database between tests; put back the groups the migrations create.
    importlib.import_module("procedures.migrations.0004_clinic_editor_group").group_create(apps, None)
    importlib.import_module("procedures.migrations.0010_clinical_reviewer_group").group_create(apps, None)
    user = User.objects.create_user(
        "maria", password="a-long-editor-password", is_staff=True, first_name="Maria", last_name="Lopez"
    )
    user.groups.add(Group.objects.get(name="Clinic editor"), Group.objects.get(name="Clinical reviewer"))
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
    for kind, body in (("overview", OVERVIEW), ("during", DURING), ("get_help", "Call 911 if your legs go weak.")):
        Section.objects.create(procedure=procedure, kind=kind, body=body)
    return procedure


@pytest.fixture
def editor_tab(browser):
    """A 1280 px tab that fails the test on console errors from the site. Errors logged while axe-core itself
    runs are not the site's (axe sets inline styles, which the Content Security Policy rightly blocks)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors, axe_running = [], []
    page.on("console", lambda m: m.type == "error" and not axe_running and errors.append(m.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.axe_running = axe_running
    yield page
    context.close()
    assert not [e for e in errors if "status of 404" not in e], f"browser console errors: {errors}"


def shot(page, name):
    """Screenshot the screen, and check it with axe-core (WCAG 2.2 AA) as it is."""
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)
    page.axe_running.append(True)
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]})
    page.axe_running.clear()
    assert results.violations_count == 0, f"{name}: {results.generate_report()}"


def test_edit_one_section_fix_an_error_and_restore_the_page_to_a_moment(live_server, injection, editor_tab):
    page = editor_tab
    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", "maria")
    page.fill("#id_password", "a-long-editor-password")
    page.click("input[type=submit]")
    page.get_by_role("link", name="Procedures").first.click()
    page.get_by_role("link", name="SI joint injection").click()

    # The page: its details, then its sections as a list; no section text boxes on this screen.
    sections = page.get_by_role("region", name="Sections of this page")
    sections.locator("tr.page-section-row").first.wait_for()
    assert sections.locator("tr.page-section-row").count() == 3
    assert page.locator("textarea[name$='body']").count() == 0
    assert page.locator("a", has_text="History").count() == 1
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 3000, f"a short page form, not one long form ({height}px)"
    shot(page, "1-page")

    # One section on its own screen: Save at the top and at the bottom.
    sections.get_by_role("link", name="What happens during the procedure").click()
    box = page.locator("textarea[name=body]")
    box.wait_for()
    assert page.locator("input[name=_save]").count() == 2
    box = page.locator("textarea[name=body]")
    shot(page, "2-section")

    # A Markdown problem: the summary at the top names it, with the line, and links to the text box.
    box.fill(DURING + "\n\n![](/media/uploads/x.png)")
    page.locator("input[name=_save]").first.click()
    summary = page.locator(".error-summary")
    summary.wait_for()
    assert "Line 7" in summary.inner_text()
    assert "What happens during the procedure" in summary.inner_text()
    assert page.locator("textarea[name=body]").get_attribute("data-error-line") == "7"
    shot(page, "3-error")
    summary.get_by_role("link").first.click()
    assert page.evaluate("location.hash") == "#id_body"
    assert page.evaluate("document.activeElement.id") == "id_body", "the link takes the editor to the text box"

    # Fix it and save (the bottom Save this time).
    page.locator("textarea[name=body]").fill(DURING.replace("10 minutes", "15 minutes"))
    page.locator("input[name=_save]").last.click()
    page.locator(".messagelist .success").wait_for()
    assert Section.objects.get(procedure=injection, kind="during").body.endswith("15 minutes.")

    # The history shows the change, in Central time with the zone named.
    page.get_by_role("link", name="History").click()
    page.locator("tr.history-row").first.wait_for()
    newest = page.locator("tr.history-row").first
    assert "What happens during the procedure" in newest.inner_text()
    assert newest.locator("ins").first.inner_text() == "15"
    assert newest.locator("td").first.inner_text().endswith(("CST", "CDT"))
    shot(page, "4-history")

    # Restore the whole page to just after the last section was first saved: a confirmation screen first.
    page.locator("tr.history-row").nth(1).get_by_role("link", name="Restore the whole page").click()
    page.locator(".restore-changes").wait_for()
    assert "Restore the whole page as it was on" in page.locator("h1").inner_text()
    assert page.locator(".restore-changes del").first.inner_text() == "15"
    shot(page, "5-restore-confirm")
    assert Section.objects.get(procedure=injection, kind="during").body.endswith("15 minutes."), "not yet"
    page.get_by_role("button", name="Yes, restore").click()
    page.locator(".messagelist .success").wait_for()
    assert "Restored the whole page" in page.locator(".messagelist").inner_text()
    assert Section.objects.get(procedure=injection, kind="during").body == DURING
    shot(page, "6-restored")


def test_a_clinics_week_is_seven_rows_and_saves(live_server, injection, editor_tab):
    from procedures.models import Clinic, OpeningHours

    clinic = Clinic.objects.create(
        name="Edina Spine Clinic",
        slug="edina",
        address="1 Main Street",
        city="Edina",
        state="MN",
        zip_code="55435",
        latitude=44.88,
        longitude=-93.35,
        phone="(612) 555-0100",
    )
    for weekday in range(5):
        OpeningHours.objects.create(
            clinic=clinic, weekday=weekday, opens=datetime.time(8, 0), closes=datetime.time(17, 0)
        )
    page = editor_tab
    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", "maria")
    page.fill("#id_password", "a-long-editor-password")
    page.click("input[type=submit]")
    page.goto(f"{live_server.url}/admin/procedures/clinic/{clinic.pk}/change/")
    rows = page.locator(".opening-hours-table tbody tr")
    assert rows.count() == 7
    assert rows.first.locator("th").inner_text() == "Monday"
    assert page.get_by_label("Monday opens", exact=True).input_value() == "08:00", "no seconds"
    page.get_by_label("Saturday: closed").uncheck()
    page.get_by_label("Saturday opens", exact=True).fill("09:00")
    page.get_by_label("Saturday closes", exact=True).fill("08:00")  # a mistake: closes before it opens
    page.locator("input[name=_save]").last.click()
    summary = page.locator(".error-summary")
    summary.wait_for()
    assert "Saturday" in summary.inner_text()
    shot(page, "7-clinic-hours-error")
    page.get_by_label("Saturday closes", exact=True).fill("12:00")
    page.locator("input[name=_continue]").last.click()
    page.locator(".messagelist .success").wait_for()
    assert list(clinic.opening_hours.filter(weekday=5).values_list("opens", "closes")) == [
        (datetime.time(9, 0), datetime.time(12, 0))
    ]
    shot(page, "8-clinic-hours")
