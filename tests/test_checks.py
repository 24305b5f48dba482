"""The section checks: one report for the live view and the messages after a save, behind a staff-only endpoint."""

import json
import re

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from procedures import checks, plain_language
from procedures.readability import TARGET_GRADE
from procedures.validation import MARKDOWN_MAX_LENGTH
from procedures.widgets import SectionBodyWidget

URL = "/admin/checks/section/"

HARD = (
    "Prior to the procedure, the physician will utilize fluoroscopy to facilitate comprehensive visualization\n"
    "of the sacroiliac articulation and surrounding anatomical structures."
)
EASY = "You lie on your front. The nurse cleans your skin. It may feel cold. You can go home the same day."


@pytest.fixture
def staff(db):
    return User.objects.create_user("nurse", "nurse@example.org", "a-long-nurse-password", is_staff=True)


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def post(client, markdown, **extra):
    return client.post(URL, {"markdown": markdown}, **extra)


# --- The report -------------------------------------------------------------------------------------------


def test_the_route_is_the_admins_own_address():
    assert reverse("section_checks") == URL


def test_a_hard_sentence_is_marked_with_its_grade_and_the_line_it_starts_on():
    report = checks.section_report(f"{EASY}\n\n{HARD}\n")
    assert report["grade"] > TARGET_GRADE
    assert report["grade_message"].startswith(f"Reading grade {report['grade']:g} (too hard")
    [hard] = report["hard_sentences"]
    assert hard["line"] == 3
    assert hard["text"] == " ".join(HARD.split()), "the whole wrapped sentence, not a fragment"
    assert hard["grade"] > 12
    assert [warning["line"] for warning in report["sentence_warnings"]] == [3]


def test_an_easy_section_reads_as_good_and_marks_nothing():
    report = checks.section_report(EASY)
    assert report["grade"] <= TARGET_GRADE
    assert report["grade_message"] == f"Reading grade {report['grade']:g} (good: aim for 8 or lower)"
    assert report["hard_sentences"] == report["sentence_warnings"] == report["problems"] == []
    assert report["html"].startswith("<p>You lie on your front.")


def test_one_very_hard_sentence_is_warned_about_even_when_the_average_is_fine():
    easy = "\n".join([EASY] * 6)
    report = checks.section_report(f"{easy}\n\n{HARD}")
    assert report["grade"] <= TARGET_GRADE
    assert len(report["sentence_warnings"]) == 1
    messages = checks.save_messages("Overview", f"{easy}\n\n{HARD}")
    assert any("has a sentence at grade" in message and "(line 8)" in message for message in messages)


def test_the_save_refusals_come_from_the_shared_rules_with_the_textareas_line_numbers():
    report = checks.section_report("\n\nSome text.\n\n# A big heading\n\n![](photo.jpg)\n")
    lines = {problem["line"]: problem["message"] for problem in report["problems"]}
    # The saved text is trimmed, so the rules count from "Some text."; the editor counts from the top.
    assert "level-1 heading" in lines[5]
    assert lines[5].startswith("Line 5:")
    assert "no alt text" in lines[7]


def test_plain_language_suggestions_name_the_word_the_plainer_choice_and_the_line():
    report = checks.section_report("You rest.\n\nPlease utilize the ice pack prior to bed.\nYou may ambulate.")
    words = [(item["word"], item["plainer"], item["line"]) for item in report["suggestions"]]
    assert words == [("utilize", "use", 3), ("prior to", "before", 3), ("ambulate", "walk", 4)]


def test_a_medical_term_is_flagged_only_when_nothing_explains_it():
    flagged = plain_language.unexplained_terms("The doctor uses fluoroscopy to guide the needle.")
    assert [item["word"] for item in flagged] == ["fluoroscopy"]
    for explained in (
        "The doctor uses fluoroscopy (a live X-ray) to guide the needle.",
        "The doctor uses fluoroscopy, which is a live X-ray, to guide the needle.",
        "The doctor uses fluoroscopy. This means a live X-ray shows the needle.",
        "A live X-ray, called fluoroscopy, guides the needle.",
    ):
        assert plain_language.unexplained_terms(explained) == [], explained
    assert plain_language.unexplained_terms("Arthrodesis is fusing two bones into one. It takes an hour.") == []
    # Only the first use is flagged, once.
    twice = plain_language.unexplained_terms("Arthrodesis takes an hour.\n\nAfter arthrodesis you rest.")
    assert [(item["word"], item["line"]) for item in twice] == [("Arthrodesis", 1)]


def test_words_are_matched_whole_and_code_and_link_addresses_are_not_prose():
    assert plain_language.plainer_word_suggestions("Reutilized assistants commenced.") == []
    text = "See [the leaflet](https://example.org/utilize-prior-to).\n\n```\nutilize\n```\n"
    assert plain_language.plainer_word_suggestions(text) == []


def test_the_word_list_is_a_useful_size_and_never_suggests_the_same_word():
    assert len(plain_language.PLAINER_WORDS) >= 40
    assert all(word != plainer for word, plainer in plain_language.PLAINER_WORDS.items())
    assert {"fluoroscopy", "sacroiliac", "anesthetic", "arthrodesis"} <= set(plain_language.TERMS_TO_EXPLAIN)


def test_save_messages_say_what_the_live_view_says():
    markdown = f"{EASY}\n\n{HARD}"
    report = checks.section_report(markdown)
    messages = checks.save_messages("What to expect", markdown)
    assert messages[0].startswith(f"“What to expect” reads at grade {report['grade']:g}; aim for 8 or lower.")
    assert f"“{report['hard_sentences'][0]['text']}”" in messages[0]
    assert any("utilize → use (line 3)" in message for message in messages)
    assert any("fluoroscopy (line 3)" in message for message in messages)
    assert checks.save_messages("Overview", EASY) == []


def test_a_text_too_long_to_save_is_not_rendered_or_graded():
    report = checks.section_report("word " * (MARKDOWN_MAX_LENGTH // 4))
    assert report["grade"] is None
    assert report["html"] == ""
    assert "limit is 20,000" in report["problems"][0]["message"]


# --- The endpoint -----------------------------------------------------------------------------------------


def test_staff_get_the_report_as_json(staff_client):
    response = post(staff_client, f"{EASY}\n\n{HARD}")
    assert response.status_code == 200
    assert response.json() == json.loads(json.dumps(checks.section_report(f"{EASY}\n\n{HARD}")))


def test_the_endpoint_and_the_save_messages_agree(staff_client):
    markdown = f"{EASY}\n\n{HARD}\n\nYou may ambulate prior to lunch."
    live = post(staff_client, markdown).json()
    assert checks.save_messages("Recovery", markdown, report=live) == checks.save_messages("Recovery", markdown)
    assert len(checks.save_messages("Recovery", markdown)) == 3, "grade, plainer words, terms to explain"


def test_a_json_body_works_too(staff_client):
    response = staff_client.post(URL, json.dumps({"markdown": HARD}), content_type="application/json")
    assert response.status_code == 200
    assert response.json()["hard_sentences"]


def test_signed_out_visitors_are_sent_to_sign_in(client, db):
    response = post(client, HARD)
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_signed_in_non_staff_are_sent_to_sign_in_too(client, db):
    patient = User.objects.create_user("patient", "p@example.org", "a-long-patient-password")
    client.force_login(patient)
    response = post(client, HARD)
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_a_post_without_the_csrf_token_is_refused(staff):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)
    assert post(client, HARD).status_code == 403
    client.get("/admin/")  # sets the CSRF cookie, as opening the editor does
    token = client.cookies["csrftoken"].value
    assert post(client, HARD, HTTP_X_CSRFTOKEN=token).status_code == 200


def test_only_post_is_answered(staff_client):
    assert staff_client.get(URL).status_code == 405


def test_a_body_over_the_limit_is_refused_with_a_clear_413(staff_client):
    response = post(staff_client, "x" * (checks.MAX_REQUEST_BYTES + 1))
    assert response.status_code == 413
    assert "too long to check" in response.json()["error"]


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        ("{not json", "application/json", "not valid JSON"),
        ('["a list"]', "application/json", "markdown"),
        ('{"markdown": 12}', "application/json", "markdown"),
        ("other=1", "application/x-www-form-urlencoded", "markdown"),
    ],
)
def test_a_malformed_request_gets_a_400_that_says_why(staff_client, body, content_type, expected):
    response = staff_client.post(URL, body, content_type=content_type)
    assert response.status_code == 400
    assert expected in response.json()["error"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    text=st.text(
        alphabet=st.one_of(
            st.characters(codec="utf-8"),
            st.sampled_from(list("#*-_[]()!`>|\n\r\t.:;?1. ")),
        ),
        max_size=400,
    )
)
def test_odd_input_never_gets_a_server_error(staff_client, text):
    response = post(staff_client, text)
    assert response.status_code == 200
    data = response.json()
    assert set(data) >= {"html", "grade", "hard_sentences", "problems", "suggestions"}


# --- The widget -------------------------------------------------------------------------------------------


def test_the_section_widget_carries_the_checks_address_the_script_and_the_guide():
    widget = SectionBodyWidget()
    html = widget.render("sections-0-body", "Some text.", {"id": "id_sections-0-body"})
    assert f'data-checks-url="{URL}"' in html
    assert 'class="markdownx section-editor"' in html
    assert 'name="sections-0-body"' in html
    assert "Some text.</textarea>" in html
    assert '<details class="formatting-guide">' in html
    assert "admin/js/section-checks.js" in str(widget.media)
    assert "markdownx/js/markdownx" in str(widget.media), "markdownx's own editor script still loads"
    assert "<script" not in html, "nothing inline: the CSP allows no inline script"
    assert " style=" not in html, "nor inline style"


def test_the_formatting_guide_is_plain_and_covers_what_an_editor_needs():
    from django.template.loader import render_to_string
    from django.utils.html import strip_tags

    from procedures.readability import reading_grade

    html = render_to_string("markdownx/formatting_guide.html")
    for topic in ("Headings", "Lists", "Links", "Bold", "Images", "What not to do"):
        assert f"<h3>{topic}</h3>" in html
    assert "<code>###</code>" in html
    assert "alt text" in html
    prose = strip_tags(re.sub(r"<pre>.*?</pre>|<code>.*?</code>", "", html, flags=re.S))
    assert reading_grade(prose) <= TARGET_GRADE
