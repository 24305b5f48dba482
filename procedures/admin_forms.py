"""The admin's forms: what staff may save. Their rules come from validation.py, shared with the loader."""

from django import forms
from markdownx.widgets import AdminMarkdownxWidget

from .markdown import markdown_problems
from .models import Procedure, Section, SiteDetails


def accessibility_errors(text):
    return [f"Line {line}: {message}" if line else message for line, message in markdown_problems(text)]


class SectionForm(forms.ModelForm):
    class Meta:
        model = Section
        fields = ["kind", "body"]
        widgets = {"body": AdminMarkdownxWidget}

    def clean_body(self):
        body = self.cleaned_data["body"]
        errors = accessibility_errors(body)
        if errors:
            raise forms.ValidationError(errors)
        return body


class ProcedureForm(forms.ModelForm):
    also_called = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Other names patients may know it by, one per line.",
    )

    class Meta:
        model = Procedure
        fields = [
            "title",
            "slug",
            "status",
            "procedure_type",
            "summary",
            "also_called",
            "duration",
            "anaesthetic",
            "going_home",
            "recovery_time",
            "reviewed_by",
            "last_reviewed",
            "next_review_due",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["also_called"] = "\n".join(self.instance.also_called or [])

    def clean_also_called(self):
        return [" ".join(line.split()) for line in self.cleaned_data["also_called"].splitlines() if line.strip()]

    def clean(self):
        cleaned = super().clean()
        last, due = cleaned.get("last_reviewed"), cleaned.get("next_review_due")
        if last and due and due <= last:
            self.add_error("next_review_due", "The next review must be after the last review.")
        return cleaned


class SiteDetailsForm(forms.ModelForm):
    class Meta:
        model = SiteDetails
        fields = [
            "name",
            "short_name",
            "phone",
            "email",
            "opening_hours",
            "address",
            "disclaimer",
            "urgent_care",
            "languages",
        ]
        widgets = dict.fromkeys(("disclaimer", "urgent_care", "languages"), AdminMarkdownxWidget)

    def clean(self):
        cleaned = super().clean()
        for name in ("disclaimer", "urgent_care", "languages"):
            errors = accessibility_errors(cleaned.get(name, ""))
            if errors:
                self.add_error(name, errors)
        return cleaned
