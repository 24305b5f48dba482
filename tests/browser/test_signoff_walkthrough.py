"""An editor and a clinical reviewer, each in their own browser, walk clinical sign-off at 1280 px: the editor
changes one section of a published page and sees that it waits; patients still see the old text; the reviewer
finds it in the queue with the change marked word by word, sends it back with a comment, the editor sees the
comment and saves again, and the reviewer approves it, which puts it live. Screenshots go to /tmp/shots-admin/."""

import datetime
import importlib

from django.apps import apps
from django.contrib.auth.models import Group, User

from procedures.models import PendingVersion, Procedure, Section
from tests.browser.test_admin_walkthrough import shot

OVERVIEW = "An injection of medicine into the joint at the base of your spine.\n\nIt can ease pain for months."
DURING = "You lie on your front.\n\nThe doctor numbs your skin.\n\nThe injection takes about 10 minutes."
GET_HELP = (
    "### Call 911 or go to the emergency room\n\n- You cannot move your legs.\n\n"
    "### Call the clinic now\n\n- A fever of 100.4 °F (38 °C) or higher.\n\n"
    "### Call the clinic in the next few days\n\n- Your pain is no better after a week."
)
PASSWORD = "a-long-staff-password"


def staff(username, first, last, *groups):
    user = User.objects.create_user(username, password=PASSWORD, is_staff=True, first_name=first, last_name=last)
    user.groups.add(*(Group.objects.get(name=name) for name in groups))
    return user


def signed_in(browser, live_server, username):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.axe_running = []
    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.locator("#user-tools").wait_for()
    return context, page, errors


def test_an_editors_change_waits_is_sent_back_and_goes_live_when_approved(live_server, transactional_db, browser):
    importlib.import_module("procedures.migrations.0004_clinic_editor_group").group_create(apps, None)
    importlib.import_module("procedures.migrations.0010_clinical_reviewer_group").group_create(apps, None)
    staff("maria", "Maria", "Lopez", "Clinic editor")
    staff("drlee", "Ann", "Lee", "Clinic editor", "Clinical reviewer")
    procedure = Procedure.objects.create(
        title="SI joint injection",
        slug="si-joint-injection",
        status="published",
        summary="An injection that can ease pain from the sacroiliac joint.",
        duration="About 30 minutes",
        anaesthetic="Local anesthetic",
        going_home="The same day",
        recovery_time="A day or two",
        reviewed_by="Dr Someone Else",
        last_reviewed=datetime.date(2026, 1, 10),
        next_review_due=datetime.date(2027, 1, 10),
        sources=[
            {
                "title": "SI joint injection",
                "publisher": "Example",
                "url": "https://example.org/si",
                "checked": "2026-09-01",
            }
        ],
    )
    for kind, body in (("overview", OVERVIEW), ("during", DURING), ("get_help", GET_HELP)):
        Section.objects.create(procedure=procedure, kind=kind, body=body)

    editor_context, editor, editor_errors = signed_in(browser, live_server, "maria")
    reviewer_context, reviewer, reviewer_errors = signed_in(browser, live_server, "drlee")
    try:
        # The editor changes one section of the live page: it waits; patients still see the old text.
        editor.goto(f"{live_server.url}/admin/procedures/procedure/{procedure.pk}/change/")
        editor.get_by_role("link", name="What happens during the procedure").click()
        editor.locator("textarea[name=body]").fill(DURING.replace("10 minutes", "20 minutes"))
        editor.locator("input[name=_save]").first.click()
        notice = editor.locator(".messagelist")
        notice.wait_for()
        assert "waiting for clinical sign-off" in notice.inner_text()
        shot(editor, "s1-editor-waiting")
        assert Section.objects.get(procedure=procedure, kind="during").body == DURING
        patient = browser.new_page()
        patient.goto(f"{live_server.url}/procedures/si-joint-injection/")
        assert "about 10 minutes" in patient.locator("#during").inner_text()
        assert "20 minutes" not in patient.content()
        patient.close()

        # The reviewer finds it in the queue with the words marked, and sends it back with a comment.
        reviewer.goto(f"{live_server.url}/admin/procedures/procedure/signoff/")
        item = reviewer.locator(".signoff-item").first
        item.wait_for()
        assert item.locator("del").first.inner_text() == "10"
        assert item.locator("ins").first.inner_text() == "20"
        assert "Maria Lopez" in item.inner_text()
        shot(reviewer, "s2-queue")
        item.get_by_label("What needs changing").fill("Please say 'about 20 to 30 minutes', as the key facts do.")
        item.get_by_role("button", name="Send back").click()
        reviewer.locator(".messagelist .success").wait_for()
        assert PendingVersion.objects.get().status == PendingVersion.Status.SENT_BACK

        # The editor sees the comment on the page and saves again.
        editor.goto(f"{live_server.url}/admin/procedures/procedure/{procedure.pk}/change/")
        assert "about 20 to 30 minutes" in editor.locator("#content-main").inner_text()
        shot(editor, "s3-sent-back")
        editor.get_by_role("link", name="What happens during the procedure").click()
        editor.locator("textarea[name=body]").fill(DURING.replace("10 minutes", "20 to 30 minutes"))
        editor.locator("input[name=_save]").last.click()
        editor.locator(".messagelist").wait_for()

        # The reviewer approves: the change is live, and the page says who reviewed it and when.
        reviewer.goto(f"{live_server.url}/admin/procedures/procedure/signoff/")
        item = reviewer.locator(".signoff-item").first
        assert "20 to 30" in item.locator("ins").first.inner_text()
        item.get_by_role("button", name="Approve and publish").click()
        reviewer.locator(".messagelist .success").wait_for()
        assert "is live with the change" in reviewer.locator(".messagelist").inner_text()
        shot(reviewer, "s4-approved")
        procedure.refresh_from_db()
        assert procedure.reviewed_by == "Ann Lee"
        assert procedure.last_reviewed == datetime.date.today()
        patient = browser.new_page()
        patient.goto(f"{live_server.url}/procedures/si-joint-injection/")
        assert "about 20 to 30 minutes" in patient.locator("#during").inner_text()
        patient.close()

        # Every step is in the page's history.
        reviewer.goto(f"{live_server.url}/admin/procedures/procedure/{procedure.pk}/page-history/")
        history = reviewer.locator("#content-main").inner_text()
        assert "Sent back" in history
        assert "Approved" in history
    finally:
        editor_context.close()
        reviewer_context.close()
    assert not editor_errors + reviewer_errors, "no script errors in either browser"
