"""Two nurses edit the same section at once in real Chromium: the second save is refused, shows the first
nurse's change, keeps the second nurse's text, passes axe-core, and a deliberate second save keeps both."""

import datetime
import importlib

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.apps import apps
from django.contrib.auth.models import Group, User

from procedures.models import Procedure, Section

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
DURING = (
    "You lie on your front on a padded table.\n\n"
    "The doctor cleans your skin and numbs it with a small injection.\n\n"
    "Using an X-ray to guide the needle, the doctor injects the medicine into the joint.\n\n"
    "The injection takes about 10 minutes."
)


@pytest.fixture
def injection(live_server, transactional_db):
    # Live-server tests empty the database between tests; put back the group the migration creates.
    importlib.import_module("procedures.migrations.0004_clinic_editor_group").group_create(apps, None)
    importlib.import_module("procedures.migrations.0010_clinical_reviewer_group").group_create(apps, None)
    for username, first, last in (("ana", "Ana", "Berg"), ("ben", "Ben", "Okafor")):
        user = User.objects.create_user(
            username, password="a-long-editor-password", is_staff=True, first_name=first, last_name=last
        )
        # Clinical reviewers, so each save goes live at once (sign-off: tests/test_signoff.py).
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
    Section.objects.create(procedure=procedure, kind="overview", body="An injection into the joint.")
    Section.objects.create(procedure=procedure, kind="during", body=DURING)
    Section.objects.create(procedure=procedure, kind="recovery", body="Rest for the day.")
    Section.objects.create(procedure=procedure, kind="get_help", body="Call 911 if your legs go weak.")
    return procedure


@pytest.fixture
def people(browser):
    """people(username): a signed-in person in their own browser (context), failing the test on console errors
    from the site. Unlike conftest's page_at, errors logged while axe-core itself runs are not the site's: axe
    sets inline styles while measuring, which this site's Content Security Policy rightly blocks."""
    contexts, errors, axe_running = [], [], []

    def sign_in(site, username):
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.on("console", lambda m: m.type == "error" and not axe_running and errors.append(m.text))
        page.on("pageerror", lambda error: errors.append(str(error)))
        return signed_in(page, site, username)

    sign_in.axe_running = axe_running
    yield sign_in
    for context in contexts:
        context.close()
    assert not [e for e in errors if "status of 404" not in e], f"browser console errors: {errors}"


def signed_in(page, site, username):
    page.goto(f"{site}/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", "a-long-editor-password")
    page.click("input[type=submit]")
    page.get_by_role("link", name="Procedures").first.click()
    page.get_by_role("link", name="SI joint injection").click()
    return page


def section_box(page, kind):
    """Open the section's own screen from the page's list of sections; its text box."""
    page.locator(f"tr.page-section-row[data-kind='{kind}'] a").click()
    return page.locator("textarea[name='body']")


def test_second_nurse_is_refused_sees_the_change_and_nothing_is_lost(live_server, injection, people):
    ana = people(live_server.url, "ana")
    ben = people(live_server.url, "ben")
    bens_box = section_box(ben, "during")  # opened before Ana saves

    anas_text = DURING.replace("about 10 minutes", "about 15 minutes")
    section_box(ana, "during").fill(anas_text)
    ana.click("input[name=_save] >> nth=-1")
    ana.locator(".messagelist .success").wait_for()

    bens_sentence = "You can bring someone with you to drive you home."
    bens_box.fill(DURING + "\n\n" + bens_sentence)
    ben.click("input[name=_save] >> nth=-1")

    refusal = ben.locator(".edit-conflict-message")
    refusal.wait_for()
    assert "Not saved yet. Ana Berg saved changes to this section" in refusal.inner_text()
    assert Section.objects.get(procedure=injection, kind="during").body == anas_text, "Ana's change survives"
    panel = ben.get_by_role("region", name="What Ana Berg changed", exact=False)
    assert "you changed this too" in panel.inner_text()
    assert panel.locator("ins").all_inner_texts() == ["15"]
    box = ben.locator("textarea[name='body']")
    assert box.input_value().endswith(bens_sentence), "Ben's text is still there"

    people.axe_running.append(True)
    results = Axe().run(ben, options={"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]})
    people.axe_running.clear()
    assert results.violations_count == 0, results.generate_report()
    ben.locator(".errornote").scroll_into_view_if_needed()
    ben.screenshot(path="/tmp/conflict.png", full_page=False)

    # Ben puts his sentence on top of Ana's version and saves again, on purpose.
    box.fill(anas_text + "\n\n" + bens_sentence)
    ben.click("input[name=_save] >> nth=-1")
    ben.locator(".messagelist .success").wait_for()
    assert Section.objects.get(procedure=injection, kind="during").body == anas_text + "\n\n" + bens_sentence
