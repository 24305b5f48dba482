"""The admin for the options guides and the glossary, with history. Imported at the end of admin.py.

Both use the loader's rules (validation.py and the content field maps), so what the admin accepts exports
to files that load back to the same records.
"""

from django import forms
from django.contrib import admin
from markdownx.widgets import AdminMarkdownxWidget
from simple_history.admin import SimpleHistoryAdmin

from . import validation
from .models import GlossaryTerm, Guide
from .validation import Invalid


def _names(text):
    return [validation.line_text(line) for line in (text or "").replace("\r\n", "\n").split("\n") if line.strip()]


class GuideForm(forms.ModelForm):
    class Meta:
        model = Guide
        fields = [
            "title",
            "slug",
            "status",
            "summary",
            "body",
            "sources",
            "for_clinical_review",
            "reviewed_by",
            "last_reviewed",
            "next_review_due",
        ]
        widgets = {"body": AdminMarkdownxWidget}

    def clean_body(self):
        try:
            return validation.markdown_text(self.cleaned_data["body"], max_length=60_000, top_heading_level=2)
        except Invalid as invalid:
            raise forms.ValidationError(invalid.messages()) from None

    def clean(self):
        cleaned = super().clean()
        for name in ("title", "summary", "reviewed_by"):
            if cleaned.get(name):
                try:
                    cleaned[name] = validation.line_text(
                        cleaned[name], max_length=Guide._meta.get_field(name).max_length
                    )
                except Invalid as invalid:
                    self.add_error(name, invalid.messages())
        problem = validation.review_dates_problem(cleaned.get("last_reviewed"), cleaned.get("next_review_due"))
        if problem:
            self.add_error("next_review_due", problem)
        if (
            cleaned.get("status") == Guide.Status.PUBLISHED
            and not cleaned.get("sources")
            and "sources" not in self.errors
        ):
            self.add_error("sources", "A published guide must list its sources.")
        return cleaned


@admin.register(Guide)
class GuideAdmin(SimpleHistoryAdmin):
    form = GuideForm
    list_display = ["title", "status", "last_reviewed", "next_review_due"]
    list_filter = ["status"]
    prepopulated_fields = {"slug": ["title"]}
    search_fields = ["title", "summary"]


class GlossaryTermForm(forms.ModelForm):
    also_called = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text="Other names, one per line."
    )
    forms = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Other spellings or plurals that should link here too, one per line (e.g. sacrums).",
    )

    class Meta:
        model = GlossaryTerm
        fields = ["term", "also_called", "forms", "definition"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("also_called", "forms"):
            self.initial[name] = "\n".join(getattr(self.instance, name) or [])

    def clean_term(self):
        from django.utils.text import slugify

        try:
            term = validation.line_text(self.cleaned_data["term"], max_length=100)
        except Invalid as invalid:
            raise forms.ValidationError(invalid.messages()) from None
        if not slugify(term):
            raise forms.ValidationError("The term needs at least one letter or digit.")
        clash = GlossaryTerm.objects.exclude(pk=self.instance.pk).filter(anchor=slugify(term)).first()
        if clash:
            raise forms.ValidationError(f"This is the same word as the term \u201c{clash.term}\u201d.")
        return term

    def clean_also_called(self):
        return _names(self.cleaned_data["also_called"])

    def clean_forms(self):
        return _names(self.cleaned_data["forms"])

    def clean_definition(self):
        try:
            return validation.markdown_text(self.cleaned_data["definition"])
        except Invalid as invalid:
            raise forms.ValidationError(invalid.messages()) from None


@admin.register(GlossaryTerm)
class GlossaryTermAdmin(SimpleHistoryAdmin):
    form = GlossaryTermForm
    list_display = ["term", "definition"]
    search_fields = ["term", "definition"]
