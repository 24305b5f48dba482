"""The admin's forms: what staff may save. Their rules come from the content field maps and validation.py,
shared with the loader, so whatever the admin accepts exports to files that load back to the same records."""

from collections import Counter

from django import forms
from django.core.validators import MaxLengthValidator
from django.forms.models import BaseInlineFormSet

from . import validation
from .content.fields import CLINIC, PROCEDURE, SITE, Text
from .markdown import markdown_problems
from .models import Clinic, OpeningHours, Procedure, Section, SiteDetails, Weekday
from .sections import SECTION_HEADING
from .validation import Invalid
from .widgets import SectionBodyWidget


def accessibility_errors(text):
    return [f"Line {line}: {message}" if line else message for line, message in markdown_problems(text)]


class SharedRulesMixin:
    """Applies the loader's rule for each text field (record_type's field map) in clean()."""

    record_type = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.rules = {
            item.attr: item.rule
            for item in self.record_type.fields
            if isinstance(item, Text) and item.attr in self.fields
        }
        for name in self.rules:
            # The length limit applies to the normalised text (runs of spaces collapsed), as in the loader.
            field = self.fields[name]
            field.validators = [v for v in field.validators if not isinstance(v, MaxLengthValidator)]

    def clean(self):
        cleaned = super().clean()
        for name, rule in self.rules.items():
            if cleaned.get(name) is not None and name not in self.errors:
                try:
                    cleaned[name] = rule(cleaned[name])
                except Invalid as invalid:
                    self.add_error(name, invalid_messages_marked(self, name, invalid))
        return cleaned


def _quoted_line(text, number):
    lines = (text or "").replace("\r\n", "\n").split("\n")
    if not number or number > len(lines):
        return ""
    line = lines[number - 1].strip()
    return line if len(line) <= 120 else line[:119] + "\u2026"


def invalid_messages_marked(form, name, invalid):
    """The problems' messages, each on a line quoting that line; the text box carries the line numbers
    (data-error-line: the first; data-error-lines: all) for the editor script to mark them."""
    lines = sorted({line for line, _message in invalid.problems if line})
    if lines:
        attrs = form.fields[name].widget.attrs
        attrs["data-error-line"] = str(lines[0])
        attrs["data-error-lines"] = " ".join(str(line) for line in lines)
    raw = form.data.get(form.add_prefix(name), "")
    messages = []
    for (line, _message), text in zip(invalid.problems, invalid.messages(), strict=True):
        quoted = _quoted_line(raw, line) if line else ""
        messages.append(f"{text} The line reads: \u201c{quoted}\u201d" if quoted else text)
    return messages


class SectionForm(forms.ModelForm):
    """One section's text. A problem on a line names the line and quotes it, and the text box carries the
    line numbers (data-error-line: the first; data-error-lines: all) for the editor script to mark them."""

    class Meta:
        model = Section
        fields = ["kind", "body"]
        widgets = {"body": SectionBodyWidget}
        labels = {"kind": "Section", "body": "Text"}

    def clean_body(self):
        try:
            return validation.markdown_text(self.cleaned_data["body"])
        except Invalid as invalid:
            raise forms.ValidationError(invalid_messages_marked(self, "body", invalid)) from None


class SectionEditForm(SectionForm):
    """A section on its own screen: its kind is fixed (chosen when the section is added)."""

    class Meta(SectionForm.Meta):
        fields = ["body"]


class SectionAddForm(SectionForm):
    """Adding a section the page does not have yet: the kinds it lacks, and the page it belongs to."""

    class Meta(SectionForm.Meta):
        fields = ["procedure", "kind", "body"]
        widgets = {"body": SectionBodyWidget, "procedure": forms.HiddenInput}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        procedure_id = self.data.get(self.add_prefix("procedure")) or self.initial.get("procedure")
        taken = set(Section.objects.filter(procedure_id=procedure_id).values_list("kind", flat=True))
        self.fields["kind"].choices = [
            (kind, label) for kind, label in self.fields["kind"].choices if kind and kind not in taken
        ]

    def clean(self):
        cleaned = super().clean()
        procedure, kind = cleaned.get("procedure"), cleaned.get("kind")
        if procedure and kind and procedure.sections.filter(kind=kind).exists():
            self.add_error("kind", f"This page already has a \u201c{SECTION_HEADING.get(kind, kind)}\u201d section.")
        return cleaned


class SectionInlineFormSet(BaseInlineFormSet):
    """A page's sections: each kind once; a published page keeps its required sections; kinds may be swapped."""

    def clean(self):
        # Before Django's own unique check, whose message ("duplicate data for kind") names no section.
        kept = [
            form
            for form in self.forms
            if form not in self.deleted_forms and form.cleaned_data and form.cleaned_data.get("kind")
        ]
        counts = Counter(form.cleaned_data["kind"] for form in kept)
        twice = [SECTION_HEADING.get(kind, kind) for kind, count in counts.items() if count > 1]
        if twice:
            names = ", ".join(f"\u201c{name}\u201d" for name in twice)
            raise forms.ValidationError(f"Each section may appear once; {names} appears more than once.")
        super().clean()
        if any(form.errors for form in self.forms):
            return
        missing = validation.missing_sections(self.instance.status, set(counts))
        if missing:
            names = " and ".join(f"\u201c{name}\u201d" for name in missing)
            raise forms.ValidationError(
                f"A published page must have the {names} section(s). Add them back, or make the page a draft."
            )

    def save_existing_objects(self, commit=True):
        """Delete first, then park the kinds of sections whose kind changes, so that no save collides with
        another section's old kind on the one-section-of-each-kind constraint (swapping two kinds works)."""
        self.changed_objects, self.deleted_objects, saved = [], [], []
        forms_ = [form for form in self.initial_forms if form.instance.pk is not None]
        for form in forms_:
            if form in self.deleted_forms:
                self.deleted_objects.append(form.instance)
                self.delete_existing(form.instance, commit=commit)
        changed = [form for form in forms_ if form not in self.deleted_forms and form.has_changed()]
        if commit:
            for form in changed:
                if "kind" in form.changed_data:
                    # Not a kind anyone can choose; the section's save below gives it its new kind.
                    Section.objects.filter(pk=form.instance.pk).update(kind=f"moving-{form.instance.pk}")
        for form in changed:
            self.changed_objects.append((form.instance, form.changed_data))
            saved.append(self.save_existing(form, form.instance, commit=commit))
            if not commit:
                self.saved_forms.append(form)
        return saved


class ProcedureForm(SharedRulesMixin, forms.ModelForm):
    record_type = PROCEDURE
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
            "sources",
            "for_clinical_review",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["also_called"] = "\n".join(self.instance.also_called or [])

    def clean_also_called(self):
        text = self.cleaned_data["also_called"]
        try:
            validation.no_control_characters(text)
            return [validation.line_text(line) for line in text.replace("\r\n", "\n").split("\n") if line.strip()]
        except Invalid as invalid:
            raise forms.ValidationError(invalid.messages()) from None

    def clean(self):
        cleaned = super().clean()
        problem = validation.review_dates_problem(cleaned.get("last_reviewed"), cleaned.get("next_review_due"))
        if problem:
            self.add_error("next_review_due", problem)
        return cleaned


class ProcedurePageForm(ProcedureForm):
    """The page's details in the admin, where sections are edited one at a time on their own screens: publishing
    checks the sections the page has now."""

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("status") == Procedure.Status.PUBLISHED and "status" not in self.errors:
            # Sections are edited one at a time, so publishing checks the sections the page has now.
            kinds = set(self.instance.sections.values_list("kind", flat=True)) if self.instance.pk else set()
            missing = validation.missing_sections(Procedure.Status.PUBLISHED, kinds)
            if missing:
                names = " and ".join(f"\u201c{name}\u201d" for name in missing)
                self.add_error(
                    "status",
                    f"A published page must have the {names} section(s). Keep it a draft, save, add the "
                    "missing sections from the list of sections, then publish it.",
                )
        return cleaned


class SiteDetailsForm(SharedRulesMixin, forms.ModelForm):
    record_type = SITE

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
        widgets = dict.fromkeys(("disclaimer", "urgent_care", "languages"), SectionBodyWidget)


US_TIME_ZONES = [
    ("America/New_York", "Eastern (New York)"),
    ("America/Chicago", "Central (Chicago)"),
    ("America/Denver", "Mountain (Denver)"),
    ("America/Phoenix", "Mountain, no daylight saving (Phoenix)"),
    ("America/Los_Angeles", "Pacific (Los Angeles)"),
    ("America/Anchorage", "Alaska (Anchorage)"),
    ("Pacific/Honolulu", "Hawaii (Honolulu)"),
]


def _hours_field(label):
    return forms.TimeField(
        required=False,
        label=label,
        widget=forms.TimeInput(format="%H:%M", attrs={"size": 5, "placeholder": "HH:MM"}),
        input_formats=["%H:%M", "%H.%M", "%H%M", "%H:%M:%S"],
    )


def hours_field_names(day, periods):
    names = [f"day{day}_closed"]
    for n in range(1, periods + 1):
        names += [f"day{day}_opens_{n}", f"day{day}_closes_{n}"]
    return names


HOURS_PERIODS = 3  # a day's periods the form can hold; the third is shown only to a clinic that uses it


def clinic_hours_periods(clinic):
    """How many periods a day the form shows for this clinic: two (for a lunch break), or more if used."""
    if clinic is None or not clinic.pk:
        return 2
    counts = {}
    for weekday in clinic.opening_hours.values_list("weekday", flat=True):
        counts[weekday] = counts.get(weekday, 0) + 1
    return min(HOURS_PERIODS, max(2, *counts.values(), 0))


def _weekly_hours_fields():
    fields = {}
    for day in Weekday:
        fields[f"day{day}_closed"] = forms.BooleanField(required=False, label=f"{day.label}: closed")
        for n in range(1, HOURS_PERIODS + 1):
            again = " again" if n > 1 else ""
            fields[f"day{day}_opens_{n}"] = _hours_field(f"{day.label} opens{again}")
            fields[f"day{day}_closes_{n}"] = _hours_field(f"{day.label} closes{again}")
    return fields


WeeklyHoursFields = forms.Form.__class__("WeeklyHoursFields", (forms.Form,), _weekly_hours_fields())


class WeeklyHoursMixin(WeeklyHoursFields):
    """A clinic's opening hours as seven weekday rows, Monday to Sunday: each "Closed", or open with its
    opening and closing times (HH:MM, no seconds), and a second period for a lunch break. Saved as
    OpeningHours rows by save_hours(); they are ordinary form fields, so the nothing-lost check covers them."""

    hours_periods = HOURS_PERIODS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        week = {day: [] for day in Weekday}
        if self.instance.pk:
            for period in self.instance.opening_hours.all():
                week[period.weekday].append((period.opens, period.closes))
        for day in Weekday:
            periods = sorted(week[day])
            self.initial[f"day{day}_closed"] = bool(self.instance.pk) and not periods
            for n, (opens, closes) in enumerate(periods[:HOURS_PERIODS], start=1):
                self.initial[f"day{day}_opens_{n}"], self.initial[f"day{day}_closes_{n}"] = opens, closes

    def clean(self):
        cleaned = super().clean()
        self.cleaned_week = {}
        if not any(self.add_prefix(name) in self.data for name in hours_field_names(0, 1)[1:]):
            return cleaned  # a form posted without the week (not the admin's): the hours are left as they are
        for day in Weekday:
            closed = cleaned.get(f"day{day}_closed")
            periods, problem = [], None
            for n in range(1, self.hours_periods + 1):
                opens, closes = cleaned.get(f"day{day}_opens_{n}"), cleaned.get(f"day{day}_closes_{n}")
                if f"day{day}_opens_{n}" in self.errors or f"day{day}_closes_{n}" in self.errors:
                    problem = ""
                elif opens and closes:
                    periods.append((opens, closes))
                    period_problem = validation.opening_period_problem(opens, closes)
                    if period_problem:
                        self.add_error(f"day{day}_closes_{n}", f"{day.label}: {period_problem}")
                        problem = ""
                elif opens or closes:
                    self.add_error(
                        f"day{day}_{'closes' if opens else 'opens'}_{n}",
                        f"{day.label}: give both the opening and the closing time.",
                    )
                    problem = ""
            if problem is not None:
                continue
            if closed and periods:
                self.add_error(
                    f"day{day}_closed", f"{day.label} is marked closed but has opening times: clear one of them."
                )
            elif not closed and not periods:
                self.add_error(
                    f"day{day}_opens_1", f"{day.label}: give the opening and closing times, or tick \u201cclosed\u201d."
                )
            elif any(
                later[0] < earlier[1] for earlier, later in zip(sorted(periods), sorted(periods)[1:], strict=False)
            ):
                self.add_error(f"day{day}_opens_2", f"{day.label}: the second period starts before the first ends.")
            else:
                self.cleaned_week[day] = sorted(periods)
        return cleaned

    def save_hours(self, clinic):
        """Make the clinic's OpeningHours rows the week in the form; rows that did not change are kept."""
        if set(self.cleaned_week) != set(Weekday):
            return
        wanted = {(day, opens, closes) for day, periods in self.cleaned_week.items() for opens, closes in periods}
        for row in clinic.opening_hours.all():
            key = (row.weekday, row.opens, row.closes)
            if key in wanted:
                wanted.discard(key)
            else:
                row.delete()
        for day, opens, closes in sorted(wanted):
            OpeningHours.objects.create(clinic=clinic, weekday=day, opens=opens, closes=closes)


class ClinicForm(WeeklyHoursMixin, SharedRulesMixin, forms.ModelForm):
    record_type = CLINIC

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A choice of the US zones rather than free text; a zone loaded from a file that is not listed stays.
        # A handful of procedures: ticks, plainer than the two-list picker.
        self.fields["procedures"].widget = forms.CheckboxSelectMultiple(choices=self.fields["procedures"].choices)
        self.fields["procedures"].help_text = "Tick the procedures this clinic offers."
        # The loader's rule still checks the value (SharedRulesMixin); only the widget changes.
        current = self.initial.get("timezone") or (self.instance.timezone if self.instance.pk else "")
        choices = list(US_TIME_ZONES)
        if current and current not in dict(choices):
            choices.append((current, current))
        self.fields["timezone"].widget = forms.Select(choices=choices)

    class Meta:
        model = Clinic
        fields = [
            "name",
            "slug",
            "is_listed",
            "procedures",
            "address",
            "city",
            "state",
            "zip_code",
            "latitude",
            "longitude",
            "timezone",
            "phone",
            "email",
            "telemedicine",
            "step_free_access",
            "access_notes",
            "accepting_new_patients",
            "run_by",
            "partner_name",
        ]

    def clean(self):
        cleaned = super().clean()
        if "zip_code" not in self.errors and "state" not in self.errors and cleaned.get("zip_code"):
            centre = validation.zip_code(cleaned["zip_code"])[1]
            problem = validation.zip_state_problem(cleaned["zip_code"], centre, cleaned.get("state"))
            if problem:
                self.add_error("state", problem)
        latitude, longitude = cleaned.get("latitude"), cleaned.get("longitude")
        if latitude is not None and longitude is not None:
            try:
                cleaned["latitude"], cleaned["longitude"] = validation.coordinates(latitude, longitude)
            except Invalid:
                self.add_error("latitude", "Latitude must be -90 to 90 and longitude -180 to 180.")
        return cleaned


class OpeningHoursForm(forms.ModelForm):
    class Meta:
        model = OpeningHours
        fields = ["weekday", "opens", "closes"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("opens") and cleaned.get("closes"):
            problem = validation.opening_period_problem(cleaned["opens"], cleaned["closes"])
            if problem:
                self.add_error("closes", problem)
        return cleaned
