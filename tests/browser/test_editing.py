"""A clinic editor signs in, edits a section with the live preview, saves, and patients see the change."""

import importlib

from django.apps import apps
from django.contrib.auth.models import Group, User


def test_editor_edits_a_section_and_the_public_page_changes(site, page_at):
    # Live-server tests empty the database between tests; put back the group the migration creates.
    importlib.import_module("procedures.migrations.0004_clinic_editor_group").group_create(apps, None)
    importlib.import_module("procedures.migrations.0010_clinical_reviewer_group").group_create(apps, None)
    editor = User.objects.create_user("maria", password="a-long-editor-password", is_staff=True)
    # A clinical reviewer too: her save goes live at once (sign-off is tested in tests/test_signoff.py).
    editor.groups.add(Group.objects.get(name="Clinic editor"), Group.objects.get(name="Clinical reviewer"))

    page = page_at(1280)
    page.goto(f"{site}/admin/")
    page.fill("#id_username", "maria")
    page.fill("#id_password", "a-long-editor-password")
    page.click("input[type=submit]")
    page.get_by_role("link", name="Procedures").first.click()
    page.get_by_role("link", name="SI joint injection").click()

    page.locator("tr.page-section-row[data-kind='follow_up'] a").click()  # the section's own screen
    editor_box = page.locator("textarea[name='body']")
    editor_box.fill("### Your check-up\n\nWe will phone you **two weeks** after the injection.")
    preview = page.locator(".markdownx-preview")
    preview.locator("strong", has_text="two weeks").wait_for(timeout=10_000)
    assert preview.locator("h3").inner_text() == "Your check-up"

    page.click("input[name=_save] >> nth=0")  # Save at the top
    page.locator(".messagelist .success").wait_for()

    public = page_at(390)
    public.goto(f"{site}/procedures/si-joint-injection/")
    follow_up = public.locator("#follow-up")
    assert follow_up.locator("h3").inner_text() == "Your check-up"
    assert "We will phone you two weeks after the injection." in follow_up.inner_text()
