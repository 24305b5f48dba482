"""A page's sources and its notes for clinical review, edited as plain text in the admin, stored as JSON.

Sources are one block per source, blocks separated by a blank line or written one per line:

    Sacroiliac joint injection | Guy's and St Thomas' NHS Foundation Trust | https://www.gstt.nhs.uk/... | 2026-11-01

The rule each source must meet is validation.source, the same one the content loader uses.
"""

from django import forms
from django.db import models

from . import validation
from .validation import Invalid

SOURCES_HELP = (
    "One source per line: Title | Publisher | https://address | date checked (YYYY-MM-DD). "
    "They are numbered 1, 2, 3 in this order; cite them in the text as [1] or [1, 3]."
)


def sources_as_text(sources):
    return "\n".join(
        " | ".join(
            (item.get("title", ""), item.get("publisher", ""), item.get("url", ""), str(item.get("checked", "")))
        )
        for item in sources or []
    )


def sources_from_text(text):
    """Text (one source per line) -> [{title, publisher, url, checked}], or Invalid naming each bad line."""
    sources, problems = [], []
    for number, line in enumerate((text or "").replace("\r\n", "\n").split("\n"), start=1):
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split("|")]
        if len(parts) != 4:
            problems.append(
                (
                    number,
                    f"Source {len(sources) + 1} has {len(parts)} part{'s' if len(parts) != 1 else ''}; write "
                    "Title | Publisher | https://address | YYYY-MM-DD, separated by | characters.",
                )
            )
            sources.append(None)
            continue
        entry = dict(zip(("title", "publisher", "url", "checked"), parts, strict=True))
        try:
            sources.append(validation.source(entry))
        except Invalid as invalid:
            for _line, message in invalid.problems:
                problems.append((number, f"Source {len(sources) + 1} {message}"))
            sources.append(None)
    if problems:
        raise Invalid(problems)
    return sources


def notes_from_text(text):
    """One statement per line -> a list of statements (blank lines dropped)."""
    return [validation.line_text(line) for line in (text or "").replace("\r\n", "\n").split("\n") if line.strip()]


class SourcesFormField(forms.CharField):
    widget = forms.Textarea(attrs={"rows": 6, "class": "sources-editor", "spellcheck": "false"})

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", SOURCES_HELP)
        for key in ("encoder", "decoder", "max_length"):
            kwargs.pop(key, None)
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, list):
            return sources_as_text(value)
        return value

    def to_python(self, value):
        if isinstance(value, list):
            return value
        try:
            return sources_from_text(value)
        except Invalid as invalid:
            raise forms.ValidationError(invalid.messages()) from None

    def validate(self, value):
        if self.required and not value:
            raise forms.ValidationError(self.error_messages["required"], code="required")

    def has_changed(self, initial, data):
        try:
            return self.to_python(data) != (initial or [])
        except forms.ValidationError:
            return True


class ReviewNotesFormField(SourcesFormField):
    widget = forms.Textarea(attrs={"rows": 4})

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "help_text", "Statements added beyond the facts files, for the clinical reviewer to check. One per line."
        )
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value):
        if isinstance(value, list):
            return value
        try:
            return notes_from_text(value)
        except Invalid as invalid:
            raise forms.ValidationError(invalid.messages()) from None


class SourcesField(models.JSONField):
    """[{title, publisher, url, checked}]; the admin edits it as text, one source per line."""

    def formfield(self, **kwargs):
        # No hidden copy of the initial value (Django adds one for a callable default): has_changed
        # compares the parsed text with the record's value.
        return models.Field.formfield(self, **{"form_class": SourcesFormField, "show_hidden_initial": False, **kwargs})


class ReviewNotesField(models.JSONField):
    """[statement, ...] for clinical review; the admin edits it one statement per line."""

    def formfield(self, **kwargs):
        return models.Field.formfield(
            self, **{"form_class": ReviewNotesFormField, "show_hidden_initial": False, **kwargs}
        )
