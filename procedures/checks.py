"""The checks on a section's text, written once: the editor's live view and the messages after a save use them.

section_report() is what the admin's editor shows while staff type (POST /admin/checks/section/, staff only):
the preview from the public page's own pipeline, the reading grade, the sentences above grade 10 with
the line each starts on, a warning for any sentence above grade 12, what a save would refuse (the shared
rules in validation.py) and plain-language suggestions (plain_language.py). save_messages() turns the same
report into the warnings shown after a save, so what the live view says and what the save says agree.
"""

import json

from django.contrib.admin.views.decorators import staff_member_required
from django.http import JsonResponse
from django.views.decorators.http import require_POST

from . import plain_language, validation
from .markdown import markdown_to_html
from .readability import SENTENCE_WARNING_GRADE, TARGET_GRADE, reading_grade, sentence_grade, sentences_with_lines

# A sentence above this grade is marked in the editor; above SENTENCE_WARNING_GRADE it is a warning.
MARKED_SENTENCE_GRADE = 10.0
# The endpoint refuses a body larger than this: a section is at most MARKDOWN_MAX_LENGTH characters, and
# a character is at most 4 bytes in UTF-8, encoded once more in a form (so up to 3 times again) plus slack.
MAX_REQUEST_BYTES = validation.MARKDOWN_MAX_LENGTH * 4 * 3 + 4096


def grade_message(grade):
    if grade <= TARGET_GRADE:
        return f"Reading grade {grade:g} (good: aim for {TARGET_GRADE:g} or lower)"
    return f"Reading grade {grade:g} (too hard: aim for {TARGET_GRADE:g} or lower)"


def _leading_lines(text):
    """How many lines the shared rules' normalising strips off the top (their line numbers start after)."""
    text = text.replace("\r\n", "\n")
    return text[: len(text) - len(text.lstrip())].count("\n")


def save_problems(markdown):
    """What saving this text would refuse, as [{"line", "message"}]; line is the textarea's line or None."""
    try:
        validation.markdown_text(markdown)
    except validation.Invalid as invalid:
        shift = _leading_lines(markdown)
        shifted = validation.Invalid([(line + shift if line else None, message) for line, message in invalid.problems])
        return [
            {"line": line, "message": message}
            for (line, _raw), message in zip(shifted.problems, shifted.messages(), strict=True)
        ]
    return []


def section_report(markdown):
    """Everything the editor shows about one section's Markdown, as a JSON-ready dict."""
    markdown = (markdown or "").replace("\r\n", "\n")
    problems = save_problems(markdown)
    if len(markdown) > validation.MARKDOWN_MAX_LENGTH:
        # Too long to save; not worth rendering or grading (rendering time grows faster than the text).
        return {
            "html": "",
            "grade": None,
            "grade_message": "Too long to check: shorten the text first.",
            "target_grade": TARGET_GRADE,
            "hard_sentences": [],
            "sentence_warnings": [],
            "problems": problems,
            "suggestions": [],
        }
    graded = [
        {"line": line, "text": sentence, "grade": sentence_grade(sentence)}
        for line, sentence in sentences_with_lines(markdown)
    ]
    grade = reading_grade(markdown)
    hard = [item for item in graded if item["grade"] > MARKED_SENTENCE_GRADE]
    return {
        "html": markdown_to_html(markdown),
        "grade": grade,
        "grade_message": grade_message(grade),
        "target_grade": TARGET_GRADE,
        "hard_sentences": hard,
        "sentence_warnings": [
            {
                **item,
                "message": f"Line {item['line']}: this sentence reads at grade {item['grade']:g}. "
                "Try splitting it into shorter sentences with everyday words.",
            }
            for item in hard
            if item["grade"] > SENTENCE_WARNING_GRADE
        ],
        "problems": problems,
        "suggestions": plain_language.suggestions(markdown),
    }


def save_messages(heading, markdown, *, report=None):
    """The warnings the admin shows after saving a section titled heading: same checks as the live view."""
    report = report or section_report(markdown)
    messages = []
    if report["grade"] is not None and report["grade"] > TARGET_GRADE:
        hardest = sorted(report["hard_sentences"] or [], key=lambda item: -item["grade"])[:3]
        named = "; ".join(
            f"\u201c{item['text']}\u201d (grade {item['grade']:g}, line {item['line']})" for item in hardest
        )
        messages.append(
            f"\u201c{heading}\u201d reads at grade {report['grade']:g}; aim for {TARGET_GRADE:g} or lower. "
            f"Hardest to read: {named or 'long sentences and long words throughout'}."
        )
        listed = {(item["line"], item["text"]) for item in hardest}
    else:
        listed = set()
    for item in report["sentence_warnings"]:
        if (item["line"], item["text"]) not in listed:
            # The average may be fine, but one very hard sentence still loses readers.
            messages.append(
                f"\u201c{heading}\u201d has a sentence at grade {item['grade']:g} (line {item['line']}): "
                f"\u201c{item['text']}\u201d. Try splitting it into shorter sentences with everyday words."
            )
    words = [item for item in report["suggestions"] if item["kind"] == "word"]
    terms = [item for item in report["suggestions"] if item["kind"] == "term"]
    if words:
        plainer = "; ".join(f"{item['word']} \u2192 {item['plainer']} (line {item['line']})" for item in words)
        messages.append(f"\u201c{heading}\u201d: plainer words would help: {plainer}.")
    if terms:
        named = "; ".join(f"{item['word']} (line {item['line']})" for item in terms)
        messages.append(f"\u201c{heading}\u201d: explain these in everyday words where first used: {named}.")
    return messages


def _error(message, status):
    return JsonResponse({"error": message}, status=status)


@staff_member_required
@require_POST
def section_checks(request):
    """POST markdown=<the section's text> (a form post with the CSRF token); answers section_report as JSON."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return _error("The request's length could not be read.", 400)
    if length > MAX_REQUEST_BYTES:
        return _error(
            f"The text is too long to check ({length:,} bytes; the limit is {MAX_REQUEST_BYTES:,}). "
            f"A section may be at most {validation.MARKDOWN_MAX_LENGTH:,} characters.",
            413,
        )
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            return _error("The request was not valid JSON.", 400)
        markdown = data.get("markdown") if isinstance(data, dict) else None
    else:
        markdown = request.POST.get("markdown")
    if not isinstance(markdown, str):
        return _error("Send the section's text as “markdown”.", 400)
    return JsonResponse(section_report(markdown))
