"""Clinic staff editing in the admin: what they can do, what is refused, and what they are told."""

import datetime
import io

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import Group, User
from PIL import Image

from procedures.caching import site_details
from procedures.models import Procedure, ProcedureRedirect, Section
from procedures.readability import reading_grade
from procedures.sections import SECTION_KINDS

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(loaded):
    # A clinical reviewer too, so a save goes live at once (the "urgent fix" path); what an editor without
    # sign-off rights gets (a pending version) is tested in tests/test_signoff.py.
    user = User.objects.create_user("editor", password="a-long-editor-password", is_staff=True)
    user.groups.add(Group.objects.get(name="Clinic editor"), Group.objects.get(name="Clinical reviewer"))
    return user


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


def form_data(client, url):
    """Every field of an admin form as the browser would post it."""
    soup = BeautifulSoup(client.get(url).content, "html.parser")
    form = soup.select_one('form[id$="_form"]')  # the model form, not the header's log-out form
    data = {}
    for field in form.select("input[name], textarea[name], select[name]"):
        name = field["name"]
        if field.name == "textarea":
            data[name] = field.get_text().lstrip("\n")
        elif field.name == "select":
            selected = field.select("option[selected]")
            data[name] = (
                [o["value"] for o in selected]
                if field.has_attr("multiple")
                else (selected[0]["value"] if selected else "")
            )
        elif field.get("type") in ("checkbox", "radio"):
            if field.has_attr("checked"):
                data[name] = field.get("value", "on")
        elif field.get("type") not in ("submit", "button", "file"):
            data[name] = field.get("value", "")
    return data


def section_url(client, procedure, kind):
    """The section's own screen, reached from the page's list of sections."""
    page = BeautifulSoup(client.get(f"/admin/procedures/procedure/{procedure.pk}/change/").content, "html.parser")
    return page.select_one(f'tr.page-section-row[data-kind="{kind}"] a')["href"]


def save_section(client, procedure, kind, body):
    url = section_url(client, procedure, kind)
    data = form_data(client, url)
    data["body"] = body
    return client.post(url, data, follow=True)


def test_editor_group_has_exactly_the_content_permissions():
    group = Group.objects.get(name="Clinic editor")
    codenames = set(group.permissions.values_list("codename", flat=True))
    assert {"change_procedure", "add_section", "change_section", "change_clinic", "change_sitedetails"} <= codenames
    assert not {p for p in codenames if p.endswith(("_user", "_group", "_permission"))}, "no user management"
    assert "delete_procedure" not in codenames
    assert "delete_clinic" not in codenames


def test_editor_cannot_manage_users(editor_client):
    assert editor_client.get("/admin/auth/user/").status_code == 403
    assert editor_client.get("/admin/procedures/procedure/").status_code == 200


def test_editing_a_section_changes_the_public_page_and_records_who(editor_client, editor, client):
    fusion = Procedure.objects.get(slug="si-joint-fusion")
    response = save_section(
        editor_client, fusion, "follow_up", "### Your first check-up\n\nWe will call you within **two weeks**."
    )
    assert response.status_code == 200
    assert "was changed successfully" in response.content.decode()
    section = Section.objects.get(procedure=fusion, kind="follow_up")
    assert "<strong>two weeks</strong>" in section.body_html
    assert section.history.first().history_user == editor
    page = editor_client.get("/procedures/si-joint-fusion/").content.decode()
    assert "We will call you within <strong>two weeks</strong>." in page


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("Look at this:\n\n![](/media/uploads/a-10x10.png)", "Line 3: This image has no alt text"),
        ("### Step one\n\n##### Detail", "Line 3: This heading skips a level"),
        ("# A second title", "Line 1: A level-1 heading"),
        ("Read the [click here](https://example.org) page.", "does not say where the link goes"),
        ("Read [](https://example.org).", "does not say where the link goes"),
    ],
)
def test_inaccessible_markdown_is_refused_with_the_reason(editor_client, body, message):
    fusion = Procedure.objects.get(slug="si-joint-fusion")
    before = Section.objects.get(procedure=fusion, kind="overview").body
    response = save_section(editor_client, fusion, "overview", body)
    assert message in response.content.decode()
    assert Section.objects.get(procedure=fusion, kind="overview").body == before, "nothing saved"


def test_a_hard_to_read_section_is_saved_with_a_warning_naming_the_sentence(editor_client):
    fusion = Procedure.objects.get(slug="si-joint-fusion")
    hard = (
        "Postoperative rehabilitation necessitates individualised physiotherapeutic interventions "
        "emphasising progressive biomechanical stabilisation. You rest at home."
    )
    response = save_section(editor_client, fusion, "recovery", hard)
    messages = [str(m) for m in response.context["messages"]]
    warning = next(m for m in messages if "reads at grade" in m)
    assert "Recovery and aftercare" in warning
    assert "Postoperative rehabilitation" in warning
    assert Section.objects.get(procedure=fusion, kind="recovery").body == hard, "a warning, not a refusal"
    page = BeautifulSoup(editor_client.get(f"/admin/procedures/procedure/{fusion.pk}/change/").content, "html.parser")
    grades = page.select(".reading-ok, .reading-hard")
    assert [grade["class"] for grade in grades] == [
        ["reading-hard" if kind.key == "recovery" else "reading-ok"] for kind in SECTION_KINDS
    ], "only the hard section is flagged"
    hard_grade = next(grade for grade in grades if grade["class"] == ["reading-hard"])
    assert hard_grade.get_text() == f"Grade {reading_grade(hard)} (Too hard: aim for 8 or lower)"


def test_reading_grade_is_shown_for_each_section(editor_client):
    fusion = Procedure.objects.get(slug="si-joint-fusion")
    page = BeautifulSoup(editor_client.get(f"/admin/procedures/procedure/{fusion.pk}/change/").content, "html.parser")
    grades = page.select(".reading-ok, .reading-hard")
    assert len(grades) == len(SECTION_KINDS)
    expected = [f"Grade {reading_grade(section.body)} (OK)" for section in fusion.sections.all()]
    assert [g.get_text() for g in grades] == expected, "tests/content reads at grade 8 or lower throughout"


def test_live_preview_uses_the_public_pipeline_and_is_staff_only(client, editor_client):
    response = editor_client.post("/markdownx/markdownify/", {"content": "**bold** <script>alert(1)</script>"})
    assert response.status_code == 200
    assert response.content.decode() == "<p><strong>bold</strong> </p>"
    client.logout()
    anonymous = client.post("/markdownx/markdownify/", {"content": "x"})
    assert anonymous.status_code == 302
    assert "/login/" in anonymous["Location"]


def test_draft_is_404_for_public_and_previewable_by_staff(editor_client, client):
    fusion = Procedure.objects.get(slug="si-joint-fusion")
    url = f"/admin/procedures/procedure/{fusion.pk}/change/"
    data = form_data(editor_client, url)
    data["status"] = "draft"
    response = editor_client.post(url, data, follow=True)
    assert "Preview the draft" in response.content.decode()
    assert editor_client.get("/procedures/si-joint-fusion/").status_code == 200
    client.logout()
    assert client.get("/procedures/si-joint-fusion/").status_code == 404


def test_slug_change_keeps_the_old_address_with_a_permanent_redirect(editor_client, client):
    fusion = Procedure.objects.get(slug="si-joint-fusion")
    url = f"/admin/procedures/procedure/{fusion.pk}/change/"
    data = form_data(editor_client, url)
    data["slug"] = "sacroiliac-joint-fusion"
    editor_client.post(url, data)
    response = client.get("/procedures/si-joint-fusion/")
    assert response.status_code == 301
    assert response["Location"] == "/procedures/sacroiliac-joint-fusion/"
    assert client.get("/procedures/sacroiliac-joint-fusion/").status_code == 200
    assert ProcedureRedirect.objects.filter(old_slug="si-joint-fusion").exists()


def test_review_status_in_the_list_filter_and_index(editor_client):
    today = datetime.date.today()
    Procedure.objects.filter(slug="si-joint-fusion").update(next_review_due=today - datetime.timedelta(days=3))
    Procedure.objects.filter(slug="si-joint-injection").update(next_review_due=today + datetime.timedelta(days=10))
    listing = BeautifulSoup(editor_client.get("/admin/procedures/procedure/").content, "html.parser")
    assert "Overdue since" in listing.select_one(".review-overdue").get_text()
    overdue = editor_client.get("/admin/procedures/procedure/?review=overdue").content.decode()
    assert "SI joint fusion" in overdue
    assert "SI joint injection</a>" not in overdue
    soon = editor_client.get("/admin/procedures/procedure/?review=soon").content.decode()
    assert "SI joint injection" in soon
    assert "SI joint fusion</a>" not in soon
    index = BeautifulSoup(editor_client.get("/admin/").content, "html.parser").select_one("#review-due").get_text(" ")
    assert "Overdue: SI joint fusion" in " ".join(index.split())
    assert "Due soon: SI joint injection" in " ".join(index.split())


def test_page_history_shows_differences_and_restores_an_earlier_version(editor_client, editor):
    fusion = Procedure.objects.get(slug="si-joint-fusion")
    original = Section.objects.get(procedure=fusion, kind="questions").body
    first_question = original.splitlines()[0].removeprefix("- ")
    save_section(editor_client, fusion, "questions", "- Will it hurt afterwards?")
    history_url = f"/admin/procedures/procedure/{fusion.pk}/page-history/"
    soup = BeautifulSoup(editor_client.get(history_url).content, "html.parser")
    newest = soup.select("tbody tr")[0]
    assert "editor" in newest.get_text()
    assert "Questions to ask" in newest.get_text()
    assert "hurt afterwards?" in " ".join(ins.get_text() for ins in newest.select("ins"))
    assert first_question in " ".join(d.get_text() for d in newest.select("del"))
    # Restore the version loaded from the content files: a confirmation screen first, showing the change.
    older = next(
        row for row in soup.select("tbody tr") if "Questions to ask" in row.get_text() and row.select("a.restore-part")
    )
    confirm_url = older.select_one("a.restore-part")["href"]
    confirm = BeautifulSoup(editor_client.get(confirm_url).content, "html.parser")
    assert "hurt afterwards?" in " ".join(d.get_text() for d in confirm.select(".restore-changes del"))
    assert first_question in " ".join(i.get_text() for i in confirm.select(".restore-changes ins"))
    assert Section.objects.get(procedure=fusion, kind="questions").body == "- Will it hurt afterwards?", "not yet"
    response = editor_client.post(confirm_url, follow=True)
    assert Section.objects.get(procedure=fusion, kind="questions").body == original
    message = next(str(m) for m in response.context["messages"] if "Restored" in str(m))
    assert "CST" in message or "CDT" in message, "the site's time zone, named"
    assert "UTC" not in message
    record = Section.objects.get(procedure=fusion, kind="questions").history.first()
    assert record.history_change_reason.startswith("Restored")
    assert record.history_user == editor
    assert any("Will it hurt afterwards?" in r.body for r in Section.history.all()), "the replaced edit is kept"


def test_restore_asks_first_and_a_get_changes_nothing(editor_client):
    fusion = Procedure.objects.get(slug="si-joint-fusion")
    record = fusion.history.first()
    fusion.summary = "A changed summary."
    fusion.save()
    url = f"/admin/procedures/procedure/{fusion.pk}/page-history/restore/procedure/{record.history_id}/"
    response = editor_client.get(url)
    assert response.status_code == 200
    soup = BeautifulSoup(response.content, "html.parser")
    assert soup.select_one("form[method=post] input[type=submit]")["value"] == "Yes, restore"
    assert "A changed summary." in soup.select_one(".restore-changes del").get_text()
    assert Procedure.objects.get(pk=fusion.pk).summary == "A changed summary.", "a GET restores nothing"


def test_clinic_and_site_details_changes_are_recorded(editor_client, editor):
    from procedures.models import Clinic, SiteDetails

    details = SiteDetails.objects.get()
    url = f"/admin/procedures/sitedetails/{details.pk}/change/"
    data = form_data(editor_client, url)
    data["opening_hours"] = "Monday to Saturday, 8 am to 6 pm"
    editor_client.post(url, data)
    assert site_details().opening_hours == "Monday to Saturday, 8 am to 6 pm"
    assert SiteDetails.objects.get().history.first().history_user == editor
    assert "Monday to Saturday" in editor_client.get("/").content.decode(), "the change shows at once"
    clinic = Clinic.objects.get(slug="edina")
    assert editor_client.get(f"/admin/procedures/clinic/{clinic.pk}/history/").status_code == 200


def image_bytes(fmt, size=(2400, 1600), exif=True):
    image = Image.new("RGB", size, (200, 120, 40))
    buffer = io.BytesIO()
    options = {}
    if exif:
        data = Image.Exif()
        data[0x010F] = "SecretCam"  # camera make
        data[0x8825] = {1: "N", 2: (44.0, 52.0, 0.0)}  # GPS
        options["exif"] = data.tobytes()
    image.save(buffer, fmt, **options)
    buffer.seek(0)
    buffer.name = f"photo.{fmt.lower()}"
    return buffer


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def test_upload_strips_exif_and_resizes(editor_client, media_root):
    response = editor_client.post(
        "/markdownx/upload/", {"image": image_bytes("JPEG")}, HTTP_X_REQUESTED_WITH="XMLHttpRequest"
    )
    assert response.status_code == 200
    code = response.json()["image_code"]
    assert code.startswith("![Describe the image")
    stored = next(media_root.rglob("*.jpg"))
    assert stored.name.endswith("-1200x800.jpg")
    with Image.open(stored) as saved:
        assert saved.size == (1200, 800)
        assert not saved.getexif(), "EXIF (camera, GPS) removed"
    from procedures.markdown import markdown_to_html

    html = markdown_to_html(f"![A clinic waiting room](/media/uploads/{stored.name})")
    assert 'width="1200" height="800"' in html


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (io.BytesIO(b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>'), "not an image we can use"),
        (io.BytesIO(b"just text pretending to be a picture"), "not an image we can use"),
        ("gif", "GIF images are not accepted"),
    ],
)
def test_upload_refuses_anything_but_jpeg_png_webp(editor_client, media_root, upload, message):
    if upload == "gif":
        upload = image_bytes("GIF", size=(10, 10), exif=False)
    else:
        upload.name = "innocent.png"
    response = editor_client.post("/markdownx/upload/", {"image": upload}, HTTP_X_REQUESTED_WITH="XMLHttpRequest")
    assert response.status_code == 400
    assert message in response.json()["image"][0]
    assert not list(media_root.rglob("*.*"))


def test_upload_refuses_large_files_and_anonymous_users(editor_client, client, media_root, monkeypatch):
    monkeypatch.setattr("procedures.uploads.MAX_UPLOAD_BYTES", 1000)
    response = editor_client.post("/markdownx/upload/", {"image": image_bytes("PNG", size=(300, 300))})
    assert response.status_code == 400
    assert "the limit is" in response.json()["image"][0]
    client.logout()
    assert client.post("/markdownx/upload/", {"image": image_bytes("PNG", size=(5, 5))}).status_code == 302
    assert not list(media_root.rglob("*.*"))


def test_png_and_webp_uploads_are_accepted(editor_client, media_root):
    for fmt, extension in (("PNG", "png"), ("WEBP", "webp")):
        response = editor_client.post("/markdownx/upload/", {"image": image_bytes(fmt, size=(600, 400))})
        assert response.status_code == 200, response.content
        assert f"-600x400.{extension})" in response.json()["image_code"]


def test_history_diff_shows_changed_lines_and_folds_the_rest():
    from procedures.history import text_diff_html

    old = "\n".join(f"Line {n}." for n in range(1, 21))
    new = old.replace("Line 10.", "Line ten, changed.")
    html = str(text_diff_html(old, new))
    assert "<del>10.</del>" in html
    assert "<ins>ten, changed.</ins>" in html
    assert "Line 9." in html, "one line of context before"
    assert "Line 11." in html, "one line of context after"
    assert "8 unchanged lines" in html
    assert "9 unchanged lines" in html
    assert "Line 3." not in html
    assert "&lt;script&gt;" in str(text_diff_html("", "<script>x</script>")), "escaped"
