"""An editor types and sees the checks change; adds an image with alt text; a failed upload changes nothing.

Screenshots at 1280 px go to /tmp/shots-live/ (SHOTS_DIR to change it).
"""

import io
import os
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from PIL import Image

from procedures import admin_forms
from procedures.models import Section
from procedures.widgets import SectionBodyWidget

SHOTS = Path(os.environ.get("SHOTS_DIR", "/tmp/shots-live"))
BODY = "textarea[name='body']"  # a section's own screen
HARD = (
    "Prior to the procedure, the physician will utilize fluoroscopy to facilitate comprehensive "
    "visualization of the sacroiliac articulation."
)
ALT = "A nurse checks a patient's blood pressure"


def section_forms():
    return [
        form
        for form in vars(admin_forms).values()
        if isinstance(form, type) and getattr(getattr(form, "Meta", None), "model", None) is Section
    ]


@pytest.fixture
def editor_widget(monkeypatch, settings, tmp_path):
    """The section body uses the live-checks editor (the admin form may already say so; this makes sure)."""
    settings.MEDIA_ROOT = tmp_path / "media"

    def use(widget=SectionBodyWidget):
        for form in section_forms():
            monkeypatch.setattr(form.Meta, "widgets", {**getattr(form.Meta, "widgets", {}), "body": widget})

    use()
    return use


@pytest.fixture
def editor_page(site, page_at, editor_widget):
    User.objects.create_superuser("maria", "maria@example.org", "a-long-editor-password")

    def open_editor(width=1280, **options):
        page = page_at(width, **options)
        page.goto(f"{site}/admin/")
        page.fill("#id_username", "maria")
        page.fill("#id_password", "a-long-editor-password")
        page.click("input[type=submit]")
        page.get_by_role("link", name="Procedures").first.click()
        page.get_by_role("link", name="SI joint injection").click()
        # One section at a time: the page lists its sections; the editor is on the section's own screen.
        page.locator(".page-sections").get_by_role("link", name="Overview").click()
        return page

    return open_editor


def shot(page, name, locator=None):
    SHOTS.mkdir(parents=True, exist_ok=True)
    (locator or page).screenshot(path=str(SHOTS / f"{name}.png"))


def png_bytes():
    buffer = io.BytesIO()
    Image.new("RGB", (60, 40), (40, 120, 200)).save(buffer, "PNG")
    return buffer.getvalue()


def alt_text_box(editor):
    return editor.get_by_role("textbox", name="Describe the picture for someone who cannot see it (alt text)")


def choose_file(page, editor, name, data, mime):
    with page.expect_file_chooser() as chooser:
        editor.get_by_role("button", name="Add image").click()
    chooser.value.set_files({"name": name, "mimeType": mime, "buffer": data})


def test_typing_a_hard_sentence_changes_the_grade_and_marks_the_sentence(editor_page):
    page = editor_page()
    textarea = page.locator(BODY).first
    editor = page.locator(".section-editor", has=textarea).first
    grade = editor.locator(".section-checks-grade")
    assert grade.get_attribute("aria-live") == "polite"
    page.wait_for_function("el => /^Reading grade/.test(el.textContent)", arg=grade.element_handle())
    before = grade.inner_text()
    assert "(good: aim for 8 or lower)" in before
    lines_before = textarea.input_value().count("\n") + 1

    textarea.scroll_into_view_if_needed()
    textarea.click()
    page.keyboard.press("Control+End")
    page.keyboard.type("\n\n" + HARD)
    hard_line = lines_before + 2
    page.wait_for_function("([el, old]) => el.textContent !== old", arg=[grade.element_handle(), before])
    assert grade.inner_text() != before

    marked = editor.locator(".section-checks-item.is-warning")
    marked.first.wait_for()
    assert marked.count() == 1
    assert marked.inner_text().startswith(f"Line {hard_line}: Too hard, grade ")
    assert "the physician will utilize fluoroscopy" in marked.inner_text()
    gutter_number = editor.locator(".section-editor-line-number").nth(hard_line - 1)
    assert gutter_number.inner_text() == str(hard_line)
    assert "is-hard" in gutter_number.get_attribute("class")

    suggestions = editor.locator(".is-suggestions li")
    assert f"utilize \u2192 use, line {hard_line}" in suggestions.all_inner_texts()
    assert f"Prior to \u2192 before, line {hard_line}" in suggestions.all_inner_texts()

    # Keyboard: the marked sentence is a button that selects its line in the text.
    marked.locator("button").focus()
    page.keyboard.press("Enter")
    selected = page.evaluate("el => el.value.slice(el.selectionStart, el.selectionEnd)", textarea.element_handle())
    assert selected == HARD
    assert editor.locator(".section-editor-position").inner_text().startswith(f"Line {hard_line} of")
    shot(page, "live-checks", editor)

    editor.locator(".formatting-guide summary").click()
    assert editor.get_by_text("Start a line with three hash signs").is_visible()
    shot(page, "formatting-guide", editor.locator(".formatting-guide"))


def test_add_image_asks_for_alt_text_first_and_inserts_it_at_the_cursor(editor_page):
    page = editor_page()
    textarea = page.locator(BODY).first
    editor = page.locator(".section-editor", has=textarea).first
    textarea.scroll_into_view_if_needed()
    textarea.click()
    page.keyboard.press("Control+Home")
    original = textarea.input_value()

    choose_file(page, editor, "blood-pressure.png", png_bytes(), "image/png")
    alt = alt_text_box(editor)
    assert alt.is_visible()
    assert alt.evaluate("el => el === document.activeElement"), "the question has the keyboard focus"
    editor.get_by_role("button", name="Upload and insert").click()
    assert editor.get_by_role("alert").filter(has_text="Write what the picture shows first").is_visible()
    assert textarea.input_value() == original, "nothing is inserted without alt text"
    shot(page, "alt-text-missing", editor)

    alt.fill(ALT)
    alt.press("Enter")  # inserts; never submits the page
    page.wait_for_function(
        "([el, alt]) => el.value.startsWith('![' + alt + '](/media/uploads/')", arg=[textarea.element_handle(), ALT]
    )
    value = textarea.input_value()
    inserted = value[: value.index(")") + 1]
    assert inserted.endswith("-60x40.png)")
    assert value == inserted + "\n\n" + original, "inserted at the cursor as a paragraph, the rest untouched"
    assert "Added blood-pressure.png" in editor.locator(".section-editor-upload-message").inner_text()
    editor.locator('.markdownx-preview img[alt="A nurse checks a patient\'s blood pressure"]').wait_for()
    assert page.url.endswith("/change/"), "still on the editor: Enter did not submit the form"
    shot(page, "image-added", editor)


def test_a_failed_upload_shows_the_servers_message_and_leaves_the_text_alone(editor_page):
    page = editor_page()
    textarea = page.locator(BODY).first
    editor = page.locator(".section-editor", has=textarea).first
    textarea.scroll_into_view_if_needed()
    original = textarea.input_value()

    choose_file(page, editor, "notes.txt", b"Notes from the clinic meeting.\n", "text/plain")
    alt_text_box(editor).fill("Meeting notes")
    editor.get_by_role("button", name="Upload and insert").click()
    message = editor.locator(".section-editor-upload-message.is-error")
    message.wait_for()
    assert message.inner_text() == (
        "Not added: \u201cnotes.txt\u201d is not an image we can use. Upload a JPEG, PNG or WebP image."
    )
    assert message.get_attribute("role") == "alert"
    assert textarea.input_value() == original
    shot(page, "upload-failed", editor)

    # Dropping the same file goes the same way: asked for alt text, refused, and never "Invalid response".
    page.evaluate(
        """el => {
            const transfer = new DataTransfer();
            transfer.items.add(new File(["just words"], "dropped.txt", {type: "text/plain"}));
            el.dispatchEvent(new DragEvent("drop", {dataTransfer: transfer, bubbles: true, cancelable: true}));
        }""",
        textarea.element_handle(),
    )
    alt = alt_text_box(editor)
    assert alt.is_visible()
    assert "dropped.txt" in editor.locator(".section-editor-alt-file").inner_text()
    alt.fill("Some words")
    editor.get_by_role("button", name="Upload and insert").click()
    page.wait_for_function("el => el.textContent.includes('dropped.txt')", arg=message.element_handle())
    assert "is not an image we can use" in message.inner_text()
    page.wait_for_timeout(300)
    assert textarea.input_value() == original
    assert "Invalid response" not in textarea.input_value()


def test_the_line_a_failed_save_names_is_marked_selected_and_scrolled_to(editor_page, editor_widget):
    editor_widget(SectionBodyWidget(attrs={"data-error-line": "3"}))
    page = editor_page()
    textarea = page.locator(BODY).first
    editor = page.locator(".section-editor", has=textarea).first
    third_line = textarea.input_value().split("\n")[2]
    page.wait_for_function("el => el.selectionEnd > el.selectionStart", arg=textarea.element_handle())
    selected = page.evaluate("el => el.value.slice(el.selectionStart, el.selectionEnd)", textarea.element_handle())
    assert selected == third_line
    assert textarea.evaluate("el => el === document.activeElement")
    assert "is-error-line" in editor.locator(".section-editor-line-number").nth(2).get_attribute("class")
    assert "The problem is on line 3." in editor.locator(".section-editor-position").inner_text()
    box = textarea.bounding_box()
    assert 0 <= box["y"] < 900, "scrolled into view"
    shot(page, "error-line", editor)


def test_the_editor_meets_wcag_22_aa_with_checks_messages_and_the_alt_text_question_showing(editor_page):
    from axe_playwright_python.sync_playwright import Axe

    # axe-core adds inline styles of its own while it measures; the other tests hold the editor to the CSP.
    page = editor_page(bypass_csp=True)
    textarea = page.locator(BODY).first
    editor = page.locator(".section-editor", has=textarea).first
    textarea.click()
    page.keyboard.press("Control+End")
    page.keyboard.type("\n\n" + HARD)
    editor.locator(".section-checks-item.is-warning").wait_for()
    choose_file(page, editor, "notes.txt", b"words", "text/plain")
    alt_text_box(editor).fill("Words")
    editor.get_by_role("button", name="Upload and insert").click()
    editor.locator(".section-editor-upload-message.is-error").wait_for()
    choose_file(page, editor, "photo.png", png_bytes(), "image/png")
    editor.get_by_role("button", name="Upload and insert").click()  # empty alt text: the refusal shows
    editor.locator(".formatting-guide summary").click()
    tags = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
    results = Axe().run(
        page,
        context=".section-editor",
        options={"runOnly": {"type": "tag", "values": tags}, "resultTypes": ["violations"]},
    )
    assert results.violations_count == 0, results.generate_report()
