"""One field map per record type: each file key, the model field it fills, its rule, and how it is written back.

Parsing a file, reading a record's state, writing a record and exporting it all walk the same map, so a
key is named once (`zip` in the file is `zip_code` on the model, `recovery` is `recovery_time`) and the
rule it must meet comes from validation.py, as in the admin.
"""

import datetime
import re

from .. import validation
from ..markdown import normalise_markdown
from ..models import (
    WEEKDAYS,
    Clinic,
    GlossaryTerm,
    Guide,
    OpeningHours,
    Procedure,
    Section,
    SiteDetails,
    site_time_zone,
)
from ..validation import Invalid

MISSING = object()  # the key is not in the file
OMIT = object()  # render: leave the key out of the file


class Field:
    """A file key <-> a model attribute. Subclasses say how a value is checked, read, written and rendered."""

    show_value = False  # name the offending value in the loader's message
    multiline = False
    in_file = True  # False: not a key of the file (sections come from the body; `listed` is implied)
    written_after_save = False  # related rows need the record's primary key

    def __init__(self, key, attr=None, *, group=None, required=True, default=""):
        self.key, self.attr, self.group = key, attr or key, group
        self.required, self.default = required, default
        self.max_length = None

    def bind(self, model):
        field = next((f for f in model._meta.get_fields() if f.name == self.attr), None)
        self.max_length = getattr(field, "max_length", None)

    def parse(self, raw):
        return raw

    def read(self, record):
        return getattr(record, self.attr)

    def write(self, record, value):
        setattr(record, self.attr, value)

    def render(self, value, state):
        return value


class Text(Field):
    """One line of plain text; runs of spaces and line breaks become one space (the admin does the same)."""

    def parse(self, raw):
        if raw is MISSING or raw is None or (isinstance(raw, str) and not raw.strip()):
            if self.required:
                raise Invalid("is required and is missing or empty.")
            return ""
        if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
            raise Invalid("must be text.")
        return self.rule(str(raw))

    def rule(self, value):
        return validation.line_text(value, max_length=self.max_length)

    def read(self, record):
        return getattr(record, self.attr) or ""

    def render(self, value, state):
        return value if value or self.required else OMIT


class Markdown(Text):
    multiline = True  # a problem's line counts from the first line of the text

    def rule(self, value):
        return validation.markdown_text(value)


class Slug(Text):
    show_value = True

    def rule(self, value):
        return validation.slug(value)

    def write(self, record, value):
        if not record.pk:  # records are matched by slug: a load never renames one
            record.slug = value


class Phone(Text):
    show_value = True

    def rule(self, value):
        return validation.phone(value)


class Email(Text):
    show_value = True

    def rule(self, value):
        return validation.email(value)


class UsState(Text):
    def rule(self, value):
        return validation.us_state(value)


class ZipCode(Text):
    show_value = True

    def parse(self, raw):
        if isinstance(raw, int) and not isinstance(raw, bool):
            raise Invalid('must be in quotes ("02114"), or a leading zero is lost.')
        return super().parse(raw)

    def rule(self, value):
        return validation.zip_code(value)[0]


class TimeZone(Text):
    """Optional in the file: a clinic's ZIP code gives its time zone; written only where it differs."""

    def rule(self, value):
        return validation.time_zone(value)

    def render(self, value, state):
        return OMIT if value == clinic_default_time_zone(state["zip"]) else value


class Choice(Field):
    def bind(self, model):
        super().bind(model)
        self.choices = [value for value, _label in model._meta.get_field(self.attr).choices]

    def parse(self, raw):
        value = self.default if raw is MISSING else raw
        if value not in self.choices:
            shown = repr(value) if isinstance(value, (str, int, float, bool)) or value is None else "a list or mapping"
            raise Invalid(f"must be one of: {', '.join(self.choices)} (not {shown}).")
        return value


class Boolean(Field):
    def parse(self, raw):
        value = self.default if raw is MISSING else raw
        if not isinstance(value, bool):
            raise Invalid("must be true or false.")
        return value


class Date(Field):
    """An ISO date (YYYY-MM-DD) in the state; a date in the model and the YAML."""

    def parse(self, raw):
        if isinstance(raw, datetime.date) and not isinstance(raw, datetime.datetime):
            return raw.isoformat()
        if isinstance(raw, str):
            try:
                return datetime.date.fromisoformat(raw.strip()).isoformat()
            except ValueError:
                pass
        raise Invalid("must be a date written as YYYY-MM-DD, for example 2026-09-14.")

    def read(self, record):
        value = getattr(record, self.attr)
        return value.isoformat() if value else ""

    def write(self, record, value):
        setattr(record, self.attr, datetime.date.fromisoformat(value))

    def render(self, value, state):
        return datetime.date.fromisoformat(value)


class Names(Field):
    """A list of short names, one per `- ` line (the admin: one per line)."""

    def parse(self, raw):
        if raw is MISSING or raw is None:
            return []
        if not isinstance(raw, list) or not all(isinstance(name, str) and name.strip() for name in raw):
            raise Invalid("must be a list of names, one per line starting with `- `.")
        return [validation.line_text(name) for name in raw]

    def read(self, record):
        return list(getattr(record, self.attr) or [])


class Sources(Field):
    """[{title, publisher, url, checked}], numbered in file order; each checked by validation.source.

    A problem's line is the number of the entry (1, 2, ...); parse.py turns it into the entry's line."""

    item_lines = True

    def parse(self, raw):
        if raw is MISSING or raw is None:
            return []
        if not isinstance(raw, list):
            raise Invalid("must be a list of sources, each starting with `- title:`.")
        problems, sources = [], []
        for number, entry in enumerate(raw, start=1):
            try:
                sources.append(validation.source(entry))
            except Invalid as invalid:
                problems += [(number, f"Source {number} {message}") for _line, message in invalid.problems]
        if problems:
            raise Invalid(problems)
        return sources

    def read(self, record):
        return [dict(source) for source in getattr(record, self.attr) or []]

    def render(self, value, state):
        if not value:
            return OMIT
        return [{**source, "checked": datetime.date.fromisoformat(source["checked"])} for source in value]


class Statements(Field):
    """A list of sentences (for clinical review), one per `- ` line; optional."""

    def parse(self, raw):
        if raw is MISSING or raw is None:
            return []
        if not isinstance(raw, list) or not all(isinstance(item, str) and item.strip() for item in raw):
            raise Invalid('must be a list of statements, one per line starting with `- "`.')
        return [validation.line_text(item) for item in raw]

    def read(self, record):
        return list(getattr(record, self.attr) or [])

    def render(self, value, state):
        return value or OMIT


class OptionalNames(Names):
    def render(self, value, state):
        return value or OMIT


class Body(Field):
    """A guide's whole Markdown body after the front matter (parse.py reads and checks it)."""

    in_file = False

    def parse(self, raw):
        return ""  # filled from the file's body

    def read(self, record):
        return normalise_markdown(record.body)

    def render(self, value, state):
        return OMIT


class Coordinate(Field):
    """Latitude or longitude. Checked as a pair, with the ZIP code's centre when the file gives neither,
    in parse.py's clinic checks; the value parsed here is replaced there."""

    def read(self, record):
        return round(getattr(record, self.attr), 6)


class Listed(Field):
    in_file = False

    def parse(self, raw):
        return True


class Fixed(Field):
    """A value every record of the type has, not written in the file (a translation's `language`)."""

    in_file = False

    def __init__(self, key, attr=None, *, value):
        super().__init__(key, attr, required=False, default=value)

    def parse(self, raw):
        return self.default


class TranslationOf(Text):
    """`translation_of: <English slug>`: the English page a translation follows (checked in parse.py)."""

    show_value = True

    def rule(self, value):
        return validation.slug(value)

    def read(self, record):
        return record.translation_of.slug if record.translation_of_id else ""

    def write(self, record, value):
        record.translation_of = record_type_model(record).objects.filter(slug=value, language="en").first()


def record_type_model(record):
    return type(record)


class EnglishVersion(Text):
    """The hash of the English words a translation was made from. Missing in the file: the English as it is
    when the file is loaded (sync.py fills it in); export always writes it."""

    def __init__(self, key, attr=None):
        super().__init__(key, attr, required=False)

    def rule(self, value):
        if not re.fullmatch(r"[0-9a-f]{64}", value):
            raise Invalid(
                "must be the 64-character code export_content wrote; remove the line to mean the English as it is now."
            )
        return value


class Languages(Field):
    """The languages a clinic's staff speak: `languages: [en, es]`; English only when left out."""

    CODES = ("en", "es")

    def parse(self, raw):
        if raw is MISSING or raw is None:
            return ["en"]
        if not isinstance(raw, list) or not raw or not all(isinstance(code, str) for code in raw):
            raise Invalid("must be a list of language codes, such as [en, es].")
        codes = []
        for code in raw:
            code = code.strip().lower()
            if code not in self.CODES:
                raise Invalid(f"names {code!r}; known languages: {', '.join(self.CODES)}.")
            if code not in codes:
                codes.append(code)
        return codes

    def read(self, record):
        return list(record.languages or ["en"])


class Sections(Field):
    """{kind: Markdown} from the file's `## ` sections (parse.py splits the body); Section rows in the database."""

    in_file = False
    written_after_save = True

    def parse(self, raw):
        return {}  # filled from the body

    def read(self, record):
        return {section.kind: normalise_markdown(section.body) for section in record.sections.all()}

    def write(self, record, value):
        existing = {section.kind: section for section in record.sections.all()}
        for kind, body in value.items():
            section = existing.pop(kind, None) or Section(procedure=record, kind=kind)
            if section.pk and section.body == body:
                continue
            section.body = body
            section._change_reason = record._change_reason
            section.save()
        for section in existing.values():
            section._change_reason = record._change_reason
            section.delete()

    def render(self, value, state):
        return OMIT


class OfferedProcedures(Field):
    """Slugs of the procedure pages a clinic offers (checked against the pages in parse.py)."""

    written_after_save = True

    def parse(self, raw):
        if raw is MISSING or raw is None:
            return []
        if not isinstance(raw, list) or not all(isinstance(slug, str) for slug in raw):
            raise Invalid("must be a list of procedure slugs.")
        return sorted(set(raw))

    def read(self, record):
        return sorted(procedure.slug for procedure in record.procedures.all())

    def write(self, record, value):
        record.procedures.set(Procedure.objects.filter(slug__in=value))


class Hours(Field):
    """{"monday": "08:00-12:00, 13:00-17:00", ..., "sunday": "closed"} <-> {"monday": [["08:00", "12:00"], ...]}."""

    written_after_save = True

    def parse(self, raw):
        if not isinstance(raw, dict):
            raise Invalid('must list each day, monday to sunday, as "08:00-17:00" or closed.')
        problems, parsed = [], {}
        for day in raw:
            if day not in WEEKDAYS:
                problems.append(f"has an unknown day {day!r}; use monday to sunday.")
        for day in WEEKDAYS:
            value = raw.get(day)
            if value is None:
                problems.append(f"has no {day}; write `{day}: closed` if the clinic is closed.")
                continue
            try:
                if not isinstance(value, str):  # never str() a YAML structure: aliases can make it huge
                    raise Invalid("must be text")
                parsed[day] = hours_periods(value)
            except Invalid:
                shown = value if isinstance(value, str) else "..."
                problems.append(
                    f"`{day}: {shown}` must be times like 08:00-17:00 (24-hour clock, "
                    "closing after opening), separated by commas, or closed."
                )
        if problems:
            raise Invalid(problems)
        return parsed

    def read(self, record):
        hours = {day: [] for day in WEEKDAYS}
        for period in record.opening_hours.all():
            hours[WEEKDAYS[period.weekday]].append([f"{period.opens:%H:%M}", f"{period.closes:%H:%M}"])
        return {day: sorted(periods) for day, periods in hours.items()}

    def write(self, record, value):
        if self.read(record) == value:
            return
        record.opening_hours.all().delete()
        for day, periods in value.items():
            for opens, closes in periods:
                OpeningHours.objects.create(clinic=record, weekday=WEEKDAYS.index(day), opens=opens, closes=closes)

    def render(self, value, state):
        return {day: ", ".join(f"{opens}-{closes}" for opens, closes in value[day]) or "closed" for day in WEEKDAYS}


def hours_periods(value):
    """'08:00-12:00, 13:00-17:00' -> [['08:00', '12:00'], ['13:00', '17:00']]; 'closed' -> []."""
    text = str(value).strip()
    if text.casefold() == "closed":
        return []
    periods = []
    for part in text.split(","):
        match = re.fullmatch(r"([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)", part.strip())
        if not match:
            raise Invalid("must be times like 08:00-17:00")
        opens, closes = part.strip()[:5], part.strip()[6:]
        problem = validation.opening_period_problem(opens, closes)
        if problem:
            raise Invalid(problem)
        periods.append([opens, closes])
    return sorted(periods)


def clinic_default_time_zone(zip_value):
    """The time zone a clinic gets when its entry names none: its ZIP code's, else the organisation's."""
    try:
        centre = validation.zip_code(zip_value)[1]
    except Invalid:
        centre = None
    return (centre[4] if centre else "") or site_time_zone()


class RecordType:
    """A kind of record the content files describe: its model and field map."""

    def __init__(self, name, model, fields, *, hash_attr="loaded_state_hash"):
        self.name, self.model, self.fields, self.hash_attr = name, model, fields, hash_attr
        for item in fields:
            item.bind(model)
        self.groups = {item.group for item in fields if item.group}
        self.file_keys = {item.group or item.key for item in fields if item.in_file}

    def group_keys(self, group):
        return {item.key for item in self.fields if item.group == group}

    def state(self, record):
        """The record as it is now, in the shape of a parsed file (what gets compared and hashed)."""
        state = {}
        for item in self.fields:
            (state.setdefault(item.group, {}) if item.group else state)[item.key] = item.read(record)
        return state

    def write(self, record, state, *, change_reason):
        record._change_reason = change_reason
        for item in self.fields:
            if not item.written_after_save:
                item.write(record, value_of(state, item))
        record.save()
        for item in self.fields:
            if item.written_after_save:
                item.write(record, value_of(state, item))

    def render(self, state):
        """The record's state as the mapping written to its file, keys in the field map's order."""
        data = {}
        for item in self.fields:
            if not item.in_file:
                continue
            value = item.render(value_of(state, item), state)
            if value is not OMIT:
                (data.setdefault(item.group, {}) if item.group else data)[item.key] = value
        return data


def value_of(state, item):
    return state[item.group][item.key] if item.group else state[item.key]


PROCEDURE_FIELDS = (
    Text("title"),
    Slug("slug"),
    Choice("status", default=Procedure.Status.PUBLISHED.value),
    Choice("procedure_type", default=Procedure.Type.THERAPEUTIC.value),
    Text("summary"),
    Names("also_called"),
    Text("duration", group="key_facts"),
    Text("anaesthetic", group="key_facts"),
    Text("going_home", group="key_facts"),
    Text("recovery", "recovery_time", group="key_facts"),
    Text("reviewed_by"),
    Date("last_reviewed"),
    Date("next_review_due"),
    Sources("sources"),
    Statements("for_clinical_review"),
    Sections("sections"),
)
TRANSLATION_FIELDS = (
    TranslationOf("translation_of"),
    EnglishVersion("english_version"),
    Text("translation_review", required=False),
    Fixed("language", value="es"),
)
PROCEDURE = RecordType("procedure", Procedure, PROCEDURE_FIELDS)
PROCEDURE_ES = RecordType(
    "Spanish procedure", Procedure, PROCEDURE_FIELDS[:-1] + TRANSLATION_FIELDS + PROCEDURE_FIELDS[-1:]
)

GUIDE_FIELDS = (
    Text("title"),
    Slug("slug"),
    Choice("status", default=Guide.Status.PUBLISHED.value),
    Text("summary"),
    Text("reviewed_by"),
    Date("last_reviewed"),
    Date("next_review_due"),
    Sources("sources"),
    Statements("for_clinical_review"),
    Body("body"),
)
GUIDE = RecordType("guide", Guide, GUIDE_FIELDS)
GUIDE_ES = RecordType("Spanish guide", Guide, GUIDE_FIELDS[:-1] + TRANSLATION_FIELDS + GUIDE_FIELDS[-1:])

GLOSSARY = RecordType(
    "glossary term",
    GlossaryTerm,
    (
        Text("term"),
        OptionalNames("also_called"),
        OptionalNames("forms"),
        Markdown("definition"),
    ),
)

GLOSSARY_ES = RecordType(
    "Spanish glossary term",
    GlossaryTerm,
    (
        Text("term"),
        Text("english"),
        OptionalNames("also_called"),
        OptionalNames("forms"),
        Markdown("definition"),
        Fixed("language", value="es"),
    ),
)

SITE = RecordType(
    "site",
    SiteDetails,
    (
        Text("name"),
        Text("short_name", required=False),
        Phone("phone"),
        Email("email", required=False),
        Text("opening_hours"),
        Text("address", required=False),
        Markdown("disclaimer"),
        Markdown("urgent_care"),
        Markdown("languages", required=False),
    ),
)

# content/site.es.yaml: the Spanish versions of the patient-facing texts of site.yaml.
SITE_ES = RecordType(
    "Spanish site texts",
    SiteDetails,
    (
        Text("opening_hours", "opening_hours_es", required=False),
        Markdown("disclaimer", "disclaimer_es"),
        Markdown("urgent_care", "urgent_care_es"),
        Markdown("languages", "languages_es", required=False),
    ),
    hash_attr="loaded_state_hash_es",
)

CLINIC = RecordType(
    "clinic",
    Clinic,
    (
        Text("name"),
        Slug("slug"),
        Text("address"),
        Text("city"),
        UsState("state"),
        ZipCode("zip", "zip_code"),
        Coordinate("latitude", required=False, default=None),
        Coordinate("longitude", required=False, default=None),
        TimeZone("timezone", required=False),
        Phone("phone"),
        Email("email", required=False),
        Hours("hours"),
        Boolean("telemedicine", default=False),
        Boolean("step_free_access", default=True),
        Text("access_notes", required=False),
        Boolean("accepting_new_patients", default=True),
        Choice("run_by", default=Clinic.RunBy.OWN.value),
        Text("partner_name", required=False),
        OfferedProcedures("procedures"),
        Languages("languages"),
        Listed("listed", "is_listed"),
    ),
)
