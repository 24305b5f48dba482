"""Procedure pages and their structured sections, the clinic directory, and the organisation's site details.

Tables, querysets and the invariants a row keeps; no cache reads (those live in caching.py).
"""

import datetime
import re
from urllib.parse import urlencode

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import connection, models
from django.urls import reverse
from django.utils import timezone, translation
from markdownx.models import MarkdownxField
from simple_history.models import HistoricalRecords

from .markdown import markdown_to_html, normalise_markdown
from .sections import SECTION_CHOICES, SECTION_HEADING, SECTION_HEADING_ES, SECTION_POSITION
from .sources import ReviewNotesField, SourcesField
from .validation import phone_without_extension, slug_validator


def tel_url(phone):
    """A tap-to-call `tel:` URL for a phone number as people write it: '(612) 555-0100' -> 'tel:+16125550100'."""
    digits = re.sub(r"\D", "", phone_without_extension(phone))
    if not digits:
        return ""
    if phone.strip().startswith("+"):
        return f"tel:+{digits}"
    if len(digits) == 10:  # a US number without its country code
        return f"tel:+1{digits}"
    return f"tel:{digits}"


def clinic_default_languages():
    return ["en"]


def site_time_zone():
    """The organisation's own time zone: the default for a clinic whose ZIP code gives none."""
    return settings.TIME_ZONE


class ContentVersion(models.Model):
    """One number that goes up whenever patient-facing content changes, in any process on any server.

    Cached pages and fragments are keyed by it, so a save in the admin or a content load makes every
    page fresh at once, even where each app server keeps its own local-memory cache.
    """

    number = models.BigIntegerField(default=0)

    def __str__(self):
        return f"content version {self.number}"

    @classmethod
    def read(cls):
        # Read on every request, so plain SQL: building the ORM query cost 15 times the query itself.
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT number FROM {cls._meta.db_table} WHERE id = 1")
            row = cursor.fetchone()
        return row[0] if row else 0

    @classmethod
    def bump(cls):
        if not cls.objects.filter(pk=1).update(number=models.F("number") + 1):
            cls.objects.get_or_create(pk=1, defaults={"number": 1})


def url_language(code):
    """The language to activate for addresses in `code`: English addresses have no prefix only while the
    site's own LANGUAGE_CODE ("en-us") is active; Spanish ones live under /es/."""
    return "es" if code == "es" else settings.LANGUAGE_CODE


class Language(models.TextChoices):
    ENGLISH = "en", "English"
    SPANISH = "es", "Spanish"


class Translatable(models.Model):
    """A page in English, or its translation into Spanish, which remembers the English it was made from.

    `content_hash` / `content_changed_at` on an English page are kept up to date at save; a translation
    whose `english_version` differs from its English page's `content_hash` is out of date.
    """

    language = models.CharField(max_length=2, choices=Language.choices, default=Language.ENGLISH)
    translation_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        related_name="translations",
        on_delete=models.SET_NULL,
        limit_choices_to={"language": "en"},
        verbose_name="translation of",
        help_text="For a Spanish page: the English page it translates.",
    )
    english_version = models.CharField(max_length=64, blank=True, editable=False)
    english_snapshot = models.JSONField(default=dict, blank=True, editable=False)
    translation_review = models.TextField("translation review", blank=True)
    content_hash = models.CharField(max_length=64, blank=True, editable=False)
    content_changed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        abstract = True

    @property
    def is_translation(self):
        return self.language != Language.ENGLISH

    def content_snapshot(self):
        """The words a translator works from, as a dict (see translations.py)."""
        from .translations import content_snapshot

        return content_snapshot(self)

    def content_hash_refresh(self):
        """Store the hash of the page's words, and when they last changed. Cheap: one UPDATE when they did."""
        from .translations import snapshot_hash

        digest = snapshot_hash(self.content_snapshot())
        if digest != self.content_hash:
            now = timezone.now()
            type(self).objects.filter(pk=self.pk).update(content_hash=digest, content_changed_at=now)
            self.content_hash, self.content_changed_at = digest, now

    @property
    def translation_out_of_date(self):
        english = self.translation_of if self.is_translation else None
        return bool(english and english.content_hash and self.english_version != english.content_hash)


class ProcedureQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=Procedure.Status.PUBLISHED)

    def in_reading_order(self):
        # Injections (therapeutic) before surgery: the order in which patients usually meet them.
        return self.order_by("-procedure_type", "title")

    def review_overdue(self, *, today=None):
        return self.filter(next_review_due__lt=today or datetime.date.today())

    def review_due_within(self, days, *, today=None):
        today = today or datetime.date.today()
        return self.filter(next_review_due__gte=today, next_review_due__lte=today + datetime.timedelta(days=days))


class Procedure(Translatable):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    class Type(models.TextChoices):
        THERAPEUTIC = "therapeutic", "Therapeutic (for example an injection)"
        SURGICAL = "surgical", "Surgical"

    title = models.CharField(max_length=200)
    slug = models.SlugField(
        "web address",
        max_length=100,
        unique=True,
        validators=[slug_validator],
        help_text="The end of the page's address, e.g. si-joint-fusion: lower-case letters, digits and hyphens.",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    procedure_type = models.CharField(
        "type of procedure", max_length=12, choices=Type.choices, default=Type.THERAPEUTIC
    )
    summary = models.TextField(max_length=300, help_text="One or two plain sentences. Also the search-result text.")
    also_called = models.JSONField(
        "also called", default=list, blank=True, help_text="Other names patients may know it by."
    )
    duration = models.CharField("how long it takes", max_length=200)
    anaesthetic = models.CharField("anesthetic", max_length=200)
    going_home = models.CharField("going home", max_length=200, help_text="When the patient goes home.")
    recovery_time = models.CharField("typical recovery", max_length=200)
    reviewed_by = models.CharField("reviewed by", max_length=200, help_text="The clinician who last checked the page.")
    last_reviewed = models.DateField("last reviewed")
    next_review_due = models.DateField("next review due")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Hash of the content as it was last loaded from (or exported to) its file; content.py compares
    # it with the record now to tell a staff edit from an untouched record.
    loaded_state_hash = models.CharField(max_length=64, blank=True, editable=False)
    sources = SourcesField(default=list, blank=True)
    for_clinical_review = ReviewNotesField("for clinical review", default=list, blank=True)

    history = HistoricalRecords()
    objects = ProcedureQuerySet.as_manager()

    class Meta:
        ordering = ["title"]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        previous = Procedure.objects.filter(pk=self.pk).values("slug", "status").first() if self.pk else None
        super().save(*args, **kwargs)
        # A published page keeps its old address working: bookmarks, printed leaflets and search results.
        if previous and previous["slug"] != self.slug and previous["status"] == self.Status.PUBLISHED:
            ProcedureRedirect.objects.update_or_create(old_slug=previous["slug"], defaults={"procedure": self})
        ProcedureRedirect.objects.filter(old_slug=self.slug).delete()
        self.content_hash_refresh()

    def get_absolute_url(self):
        with translation.override(url_language(self.language)):
            return reverse("procedures:detail", kwargs={"slug": self.slug})

    def clean(self):
        # As the loader: a published page lists where its facts come from. Checked when a page is
        # published (or created published), so a save that changes nothing else is never refused.
        was_published = self.pk and Procedure.objects.filter(pk=self.pk, status=self.Status.PUBLISHED).exists()
        if self.status == self.Status.PUBLISHED and not self.sources and not was_published:
            from django.core.exceptions import ValidationError

            raise ValidationError("A published page must list its sources: add at least one under Sources.")

    @property
    def is_published(self):
        return self.status == self.Status.PUBLISHED

    @property
    def key_facts(self):
        from django.utils.translation import gettext as _

        return [
            (_("How long it takes"), self.duration),
            (_("Anesthetic"), self.anaesthetic),
            (_("Going home"), self.going_home),
            (_("Typical recovery"), self.recovery_time),
        ]


class ReviewReminder(models.Model):
    """A review reminder already sent, so that a daily cron job never sends the same one twice."""

    class Kind(models.TextChoices):
        SOON = "soon", "30 days before"
        DUE = "due", "On the day"

    procedure = models.ForeignKey(Procedure, related_name="review_reminders", on_delete=models.CASCADE)
    due_date = models.DateField()
    kind = models.CharField(max_length=10, choices=Kind.choices)
    sent_at = models.DateTimeField(auto_now_add=True)
    recipients = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["procedure", "due_date", "kind"], name="one_reminder_per_review_and_kind")
        ]

    def __str__(self):
        return f"{self.procedure}: {self.get_kind_display()} {self.due_date}"


class ProcedureRedirect(models.Model):
    """An address a published procedure page used to have; it answers with a permanent redirect."""

    old_slug = models.SlugField("old web address", max_length=100, unique=True)
    procedure = models.ForeignKey(Procedure, related_name="redirects", on_delete=models.CASCADE, verbose_name="page")
    created_at = models.DateTimeField("moved on", auto_now_add=True)

    class Meta:
        verbose_name = "old web address"
        verbose_name_plural = "old web addresses"

    def __str__(self):
        return f"/procedures/{self.old_slug}/ \u2192 {self.procedure.get_absolute_url()}"


class Section(models.Model):
    procedure = models.ForeignKey(Procedure, related_name="sections", on_delete=models.CASCADE)
    kind = models.CharField("section", max_length=20, choices=SECTION_CHOICES)
    # Derived from kind so the database can order sections; never edited by hand.
    position = models.PositiveSmallIntegerField(editable=False, default=0)
    body = MarkdownxField("text", help_text="Markdown. Use ### for sub-headings.")
    body_html = models.TextField(editable=False, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["procedure", "kind"], name="one_section_of_each_kind")]

    def __str__(self):
        return f"{self.procedure}: {self.heading}"

    def save(self, *args, **kwargs):
        from .glossary import procedure_sections_render

        self.position = SECTION_POSITION[self.kind]
        self.body = normalise_markdown(self.body)
        self.body_html = markdown_to_html(self.body)
        super().save(*args, **kwargs)
        # Citations, the kind's structure and glossary links (first use on the page) are rendered across
        # the page's sections in reading order, so a section's HTML can depend on the sections before it.
        self.body_html = procedure_sections_render(self.procedure_id).get(self.pk, self.body_html)
        # The page changed when any of its sections did (sitemap lastmod, dateModified, caches).
        Procedure.objects.filter(pk=self.procedure_id).update(updated_at=timezone.now())
        procedure = Procedure.objects.filter(pk=self.procedure_id).prefetch_related("sections").first()
        if procedure:
            procedure.content_hash_refresh()

    def clean(self):
        """Citations must point to a source of the page; a published page's help section has its three levels."""
        from .validation import section_problems

        try:
            procedure = self.procedure
        except Procedure.DoesNotExist:
            return
        status = procedure.status
        if self.pk and status == Procedure.Status.PUBLISHED:
            # The three help levels are checked on what is written or published now: a section saved
            # unchanged on a page that was already live is not refused for a rule newer than it.
            stored = Section.objects.filter(pk=self.pk).values_list("kind", "body", "procedure__status").first()
            if stored and stored == (self.kind, normalise_markdown(self.body), Procedure.Status.PUBLISHED):
                status = "unchanged"
        problems = section_problems(self.kind, self.body, sources=procedure.sources, status=status)
        if problems:
            from django.core.exceptions import ValidationError

            raise ValidationError(
                {"body": [f"Line {line}: {message}" if line else message for line, message in problems]}
            )

    @property
    def heading(self):
        if self.procedure.language == Language.SPANISH:
            return SECTION_HEADING_ES.get(self.kind, self.kind)
        return SECTION_HEADING.get(self.kind, self.kind)

    @property
    def anchor(self):
        return self.kind.replace("_", "-")


class SiteDetails(models.Model):
    """The organisation behind the site: one row, shown on every page."""

    MARKDOWN_FIELDS = ("disclaimer", "urgent_care", "languages", "disclaimer_es", "urgent_care_es", "languages_es")
    SPANISH_FIELDS = ("opening_hours", "disclaimer", "urgent_care", "languages")

    name = models.CharField(max_length=200)
    short_name = models.CharField(max_length=100, blank=True)
    phone = models.CharField(max_length=40)
    email = models.EmailField(blank=True)
    opening_hours = models.CharField(max_length=200)
    address = models.CharField(max_length=300, blank=True)
    disclaimer = MarkdownxField()
    disclaimer_html = models.TextField(editable=False, blank=True)
    urgent_care = MarkdownxField("urgent-care guidance")
    urgent_care_html = models.TextField(editable=False, blank=True)
    languages = MarkdownxField("other formats and languages", blank=True)
    languages_html = models.TextField(editable=False, blank=True)
    # The same patient-facing texts in Spanish (content/site.es.yaml); empty: the English text is shown.
    opening_hours_es = models.CharField("opening hours (Spanish)", max_length=200, blank=True)
    disclaimer_es = MarkdownxField("disclaimer (Spanish)", blank=True)
    disclaimer_es_html = models.TextField(editable=False, blank=True)
    urgent_care_es = MarkdownxField("urgent-care guidance (Spanish)", blank=True)
    urgent_care_es_html = models.TextField(editable=False, blank=True)
    languages_es = MarkdownxField("other formats and languages (Spanish)", blank=True)
    languages_es_html = models.TextField(editable=False, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    loaded_state_hash = models.CharField(max_length=64, blank=True, editable=False)
    loaded_state_hash_es = models.CharField(max_length=64, blank=True, editable=False)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "site details"
        verbose_name_plural = "site details"

    def __str__(self):
        return self.name or "Site details"

    def save(self, *args, **kwargs):
        self.pk = 1  # there is only ever one
        for field in self.MARKDOWN_FIELDS:
            setattr(self, field, normalise_markdown(getattr(self, field)))
            setattr(self, f"{field}_html", markdown_to_html(getattr(self, field)))
        super().save(*args, **kwargs)

    @property
    def phone_url(self):
        return tel_url(self.phone)

    def in_language(self, language):
        """A copy whose patient-facing texts are in `language` (Spanish where given, else English)."""
        if language != Language.SPANISH:
            return self
        copy = SiteDetails(**{f.attname: getattr(self, f.attname) for f in self._meta.concrete_fields})
        for name in self.SPANISH_FIELDS:
            if getattr(self, f"{name}_es"):
                setattr(copy, name, getattr(self, f"{name}_es"))
                if name != "opening_hours":
                    setattr(copy, f"{name}_html", getattr(self, f"{name}_es_html"))
        return copy


class Weekday(models.IntegerChoices):
    MONDAY = 0
    TUESDAY = 1
    WEDNESDAY = 2
    THURSDAY = 3
    FRIDAY = 4
    SATURDAY = 5
    SUNDAY = 6


# Lower-case day names, Monday first: the keys of `hours` in clinics.yaml.
WEEKDAYS = [day.name.lower() for day in Weekday]


class ClinicQuerySet(models.QuerySet):
    def listed(self):
        return self.filter(is_listed=True)

    def offering(self, procedure_id):
        """Clinics offering the procedure with this id (one join, on the clinic-procedure link table)."""
        return self.filter(procedures=procedure_id)


class Clinic(models.Model):
    class RunBy(models.TextChoices):
        OWN = "own", "One of our own clinics"
        PARTNER = "partner", "A partner clinic, run by another organization"

    name = models.CharField(max_length=200)
    slug = models.SlugField(
        "web address",
        max_length=100,
        unique=True,
        validators=[slug_validator],
        help_text="The end of the clinic's address on this site, e.g. edina: lower-case letters, digits and hyphens.",
    )
    address = models.CharField("street address", max_length=200)
    city = models.CharField(max_length=100)
    state = models.CharField(max_length=2, help_text="Two-letter state code, e.g. MN.")
    zip_code = models.CharField("ZIP code", max_length=5, validators=[RegexValidator(r"^\d{5}$", "Five digits.")])
    latitude = models.FloatField(
        "map position: latitude",
        help_text="Where the clinic is on the map, for \u201cnearest clinic\u201d. Leave as loaded: the ZIP code's "
        "center is used when a file gives none.",
    )
    longitude = models.FloatField("map position: longitude", help_text="Leave as loaded, like the latitude.")
    timezone = models.CharField(
        "time zone",
        max_length=64,
        default=site_time_zone,
        help_text="The clinic's local time, for \u201copen today\u201d.",
    )
    phone = models.CharField(max_length=40)
    email = models.EmailField(blank=True)
    telemedicine = models.BooleanField("offers telemedicine (video or phone appointments)", default=False)
    step_free_access = models.BooleanField(default=True)
    access_notes = models.CharField(max_length=300, blank=True)
    accepting_new_patients = models.BooleanField(default=True)
    procedures = models.ManyToManyField(Procedure, related_name="clinics", blank=True)
    run_by = models.CharField("who runs it", max_length=10, choices=RunBy.choices, default=RunBy.OWN)
    partner_name = models.CharField(
        "partner organization", max_length=200, blank=True, help_text="For a partner clinic: who runs it."
    )
    is_listed = models.BooleanField("listed in the finder", default=True)
    languages = models.JSONField(
        "languages staff speak",
        default=clinic_default_languages,
        blank=True,
        help_text='Language codes, e.g. ["en", "es"] for English and Spanish.',
    )
    updated_at = models.DateTimeField(auto_now=True)
    loaded_state_hash = models.CharField(max_length=64, blank=True, editable=False)

    history = HistoricalRecords(m2m_fields=[procedures])
    objects = ClinicQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["latitude", "longitude"], name="clinic_location")]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("procedures:clinic_detail", kwargs={"slug": self.slug})

    @property
    def language_names(self):
        names = dict(Language.choices)
        return [names.get(code, code) for code in self.languages or []]

    @property
    def phone_url(self):
        return tel_url(self.phone)

    @property
    def is_partner(self):
        return self.run_by == self.RunBy.PARTNER

    @property
    def full_address(self):
        return f"{self.address}, {self.city}, {self.state} {self.zip_code}"

    @property
    def directions_url(self):
        """A plain map search for the address: the patient chooses to follow it; nothing loads from the map site."""
        return "https://www.google.com/maps/search/?" + urlencode({"api": "1", "query": self.full_address})

    def week(self):
        """[(day name, [(opens, closes), ...]), ...] Monday first; an empty list means closed."""
        periods = {day: [] for day in Weekday}
        for period in self.opening_hours.all():
            periods[period.weekday].append((period.opens, period.closes))
        return [(day.label, sorted(periods[day])) for day in Weekday]


class OpeningHours(models.Model):
    clinic = models.ForeignKey(Clinic, related_name="opening_hours", on_delete=models.CASCADE)
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    opens = models.TimeField()
    closes = models.TimeField()

    history = HistoricalRecords()

    class Meta:
        ordering = ["weekday", "opens"]
        verbose_name_plural = "opening hours"
        constraints = [
            models.CheckConstraint(condition=models.Q(closes__gt=models.F("opens")), name="closes_after_opening"),
        ]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.opens:%H:%M}-{self.closes:%H:%M}"


class PendingVersion(models.Model):
    """A change to a published page waiting for clinical sign-off; the live page stays as it was meanwhile.

    `state` is the proposed page: {"fields": {form field: value}, "sections": {kind: Markdown}}.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for sign-off"
        APPROVED = "approved", "Approved"
        SENT_BACK = "sent_back", "Sent back"

    procedure = models.ForeignKey(Procedure, related_name="pending_versions", on_delete=models.CASCADE)
    state = models.JSONField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, related_name="+", on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, related_name="+", on_delete=models.SET_NULL
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["-updated_at"]
        permissions = [("approve_pendingversion", "Can approve or send back changes to published pages")]
        constraints = [
            models.UniqueConstraint(
                fields=["procedure"], condition=models.Q(status="pending"), name="one_open_pending_version_per_page"
            )
        ]

    def __str__(self):
        return f"{self.procedure}: {self.get_status_display()}"

    def get_absolute_url(self):
        return reverse("procedures:pending_preview", kwargs={"pk": self.pk})


class GuideQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=Guide.Status.PUBLISHED)


class Guide(Translatable):
    """A page of its own that is not one procedure: "Your options for SI joint pain"."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True, validators=[slug_validator])
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    summary = models.TextField(max_length=300, help_text="One or two plain sentences. Also the search-result text.")
    body = MarkdownxField(help_text="Markdown. Use ## for sections and ### for sub-headings; cite sources as [1].")
    body_html = models.TextField(editable=False, blank=True)
    sources = SourcesField(default=list, blank=True)
    for_clinical_review = ReviewNotesField("for clinical review", default=list, blank=True)
    reviewed_by = models.CharField(max_length=200)
    last_reviewed = models.DateField()
    next_review_due = models.DateField()
    updated_at = models.DateTimeField(auto_now=True)
    loaded_state_hash = models.CharField(max_length=64, blank=True, editable=False)

    history = HistoricalRecords()
    objects = GuideQuerySet.as_manager()

    class Meta:
        ordering = ["title"]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        from .glossary import guide_html

        self.body = normalise_markdown(self.body)
        self.body_html = guide_html(self.body, language=self.language)
        super().save(*args, **kwargs)
        self.content_hash_refresh()

    def get_absolute_url(self):
        with translation.override(url_language(self.language)):
            return reverse("procedures:guide", kwargs={"slug": self.slug})

    @property
    def contents(self):
        from .glossary import guide_contents

        return guide_contents(self.body_html)

    def clean(self):
        from django.core.exceptions import ValidationError

        from .validation import citation_problems

        problems = citation_problems(self.body, len(self.sources or []))
        if problems:
            raise ValidationError({"body": [f"Line {line}: {message}" for line, message in problems]})

    @property
    def is_published(self):
        return self.status == self.Status.PUBLISHED


class GlossaryTerm(models.Model):
    """A medical word the pages use, with its plain-words definition; its first use on a page links here."""

    language = models.CharField(max_length=2, choices=Language.choices, default=Language.ENGLISH)
    term = models.CharField(max_length=100, help_text="As it appears in running text, e.g. sacrum.")
    english = models.CharField(
        "English term", max_length=100, blank=True, help_text="For a Spanish term: the English term it translates."
    )
    anchor = models.SlugField(max_length=100, editable=False)
    also_called = models.JSONField(default=list, blank=True, help_text="Other names, shown with the definition.")
    forms = models.JSONField(
        default=list, blank=True, help_text="Other spellings or plurals that link here too, e.g. sacrums."
    )
    definition = MarkdownxField(help_text="Plain words, one or two sentences.")
    definition_html = models.TextField(editable=False, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    loaded_state_hash = models.CharField(max_length=64, blank=True, editable=False)

    history = HistoricalRecords()

    class Meta:
        ordering = ["term"]
        constraints = [
            models.UniqueConstraint(fields=["language", "term"], name="one_term_per_language"),
            models.UniqueConstraint(fields=["language", "anchor"], name="one_anchor_per_language"),
        ]

    def __str__(self):
        return self.term

    def save(self, *args, **kwargs):
        from django.utils.text import slugify

        self.anchor = slugify(self.term)
        self.definition = normalise_markdown(self.definition)
        self.definition_html = markdown_to_html(self.definition)
        super().save(*args, **kwargs)

    def clean(self):
        # Unique per language (a constraint the admin form cannot check itself: `language` is not on it).
        from django.core.exceptions import ValidationError
        from django.utils.text import slugify

        same = GlossaryTerm.objects.filter(language=self.language, anchor=slugify(self.term)).exclude(pk=self.pk)
        if self.term and same.exists():
            raise ValidationError({"term": f"\u201c{self.term}\u201d is already in the glossary."})
