"""Authored files in content/ <-> the database: parse, validate, sync (load_content) and export.

Loading happens in two phases. Every file is parsed and validated first; only when the whole set is
clean is anything written, in one transaction, so a bad file never leaves a half-loaded database.
Each record remembers a hash of the content it was last loaded with (`loaded_state_hash`). Comparing
that hash with the file and with the record as it is now tells the loader what happened since:

    record == file                      -> unchanged
    file == last loaded                 -> the file has not changed; any staff edit is kept
    record == last loaded, file changed -> updated from the file
    both changed                        -> conflict: left alone unless forced; history keeps both
"""

import datetime
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.db import connection, transaction

from .geo import zip_centre
from .markdown import FENCE, markdown_problems, normalise_markdown
from .models import (
    WEEKDAYS,
    Clinic,
    OpeningHours,
    Procedure,
    ProcedureRedirect,
    Section,
    SiteDetails,
    site_time_zone,
)
from .sections import REQUIRED_SECTION_KINDS, SECTION_HEADING, SECTION_KINDS, section_kind_for_heading
from .validation import SLUG_PATTERN

CHANGE_REASON = "Loaded from content files"


class ContentError(Exception):
    """One problem in one file, with the line it is on (1-based) where there is one."""

    def __init__(self, path, line, message):
        self.path, self.line, self.message = Path(path), line, message
        super().__init__(str(self))

    def __str__(self):
        where = f"{self.path}, line {self.line}" if self.line else f"{self.path}"
        return f"{where}: {self.message}"


class ContentInvalid(Exception):
    """The content set has errors; nothing was written."""

    def __init__(self, errors):
        self.errors = errors
        super().__init__("\n".join(str(error) for error in errors))


# --- Parsing -----------------------------------------------------------------------------------------


@dataclass
class Document:
    """One record's worth of content from a file: its state (what gets compared and written) and where."""

    path: Path
    key: str
    state: dict
    lines: dict = field(default_factory=dict)  # state key -> line number, for messages

    @property
    def state_hash(self):
        return state_hash(self.state)


def state_hash(state):
    return hashlib.sha256(json.dumps(state, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _key_lines(node, offset):
    """Line numbers (1-based, in the whole file) of the keys of a YAML mapping node."""
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {key.value: key.start_mark.line + 1 + offset for key, _value in node.value if hasattr(key, "value")}


def _load_yaml(text, path, offset=0):
    """Parse YAML, turning a syntax error into a ContentError that names the file and line."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
        line = mark.line + 1 + offset if mark else None
        problem = getattr(error, "problem", None) or str(error)
        raise ContentError(path, line, f"This is not valid YAML: {problem}.") from None
    return node, data


class _Checker:
    """Collects a file's problems so that one run reports all of them, each with its line."""

    def __init__(self, path, lines, default_line):
        self.path, self.lines, self.default_line, self.errors = path, lines, default_line, []

    def error(self, key, message, line=None):
        self.errors.append(ContentError(self.path, line or self.lines.get(key, self.default_line), message))

    def text(self, data, key, *, required=True, max_length=None):
        value = data.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.error(key, f"`{key}` is required and is missing or empty.")
            return ""
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            self.error(key, f"`{key}` must be text.")
            return ""
        value = " ".join(str(value).split()) if "\n" not in str(value).strip() else str(value).strip()
        if max_length and len(value) > max_length:
            self.error(key, f"`{key}` is {len(value)} characters long; the limit is {max_length}.")
        return value

    def date(self, data, key):
        value = data.get(key)
        if isinstance(value, datetime.date):
            return value.isoformat()
        if isinstance(value, str):
            try:
                return datetime.date.fromisoformat(value.strip()).isoformat()
            except ValueError:
                pass
        self.error(key, f"`{key}` must be a date written as YYYY-MM-DD, for example 2026-09-14.")
        return ""

    def choice(self, data, key, choices, default):
        value = data.get(key, default)
        if value not in choices:
            self.error(key, f"`{key}` must be one of: {', '.join(choices)} (not {value!r}).")
            return default
        return value

    def boolean(self, data, key, default):
        value = data.get(key, default)
        if not isinstance(value, bool):
            self.error(key, f"`{key}` must be true or false.")
            return default
        return value

    def slug(self, data, key="slug"):
        value = self.text(data, key, max_length=100)
        if value and not SLUG_PATTERN.match(value):
            self.error(key, f"`{key}` {value!r} must use lower-case letters, digits and single hyphens.")
        return value

    def unknown_keys(self, data, known):
        for key in data:
            if key not in known:
                self.error(key, f"Unknown key `{key}`. Known keys: {', '.join(sorted(known))}.")


PROCEDURE_KEYS = {
    "title",
    "slug",
    "status",
    "procedure_type",
    "summary",
    "also_called",
    "key_facts",
    "reviewed_by",
    "last_reviewed",
    "next_review_due",
}
KEY_FACTS = ("duration", "anaesthetic", "going_home", "recovery")


def procedure_parse(path):
    """Parse one procedure file into a Document, or raise ContentInvalid listing every problem in it."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise ContentInvalid([ContentError(path, None, f"The file is not UTF-8 text ({error.reason}).")]) from None
    lines = text.replace("\r\n", "\n").split("\n")
    if not lines or lines[0].strip() != "---":
        raise ContentInvalid([ContentError(path, 1, "The file must start with front matter: a line `---`.")])
    try:
        end = next(number for number in range(1, len(lines)) if lines[number].strip() == "---")
    except StopIteration:
        raise ContentInvalid([ContentError(path, 1, "The front matter has no closing `---` line.")]) from None
    try:
        node, data = _load_yaml("\n".join(lines[1:end]), path, offset=1)
    except ContentError as error:
        raise ContentInvalid([error]) from None
    if not isinstance(data, dict):
        raise ContentInvalid([ContentError(path, 2, "The front matter must be a set of `key: value` lines.")])

    check = _Checker(path, _key_lines(node, 1), default_line=1)
    check.unknown_keys(data, PROCEDURE_KEYS)
    state = {
        "title": check.text(data, "title", max_length=200),
        "slug": check.slug(data),
        "status": check.choice(data, "status", Procedure.Status.values, Procedure.Status.PUBLISHED),
        "procedure_type": check.choice(data, "procedure_type", Procedure.Type.values, Procedure.Type.THERAPEUTIC),
        "summary": check.text(data, "summary", max_length=300),
        "reviewed_by": check.text(data, "reviewed_by", max_length=200),
        "last_reviewed": check.date(data, "last_reviewed"),
        "next_review_due": check.date(data, "next_review_due"),
    }
    also_called = data.get("also_called") or []
    if not isinstance(also_called, list) or not all(isinstance(name, str) and name.strip() for name in also_called):
        check.error("also_called", "`also_called` must be a list of names, one per line starting with `- `.")
        also_called = []
    state["also_called"] = [" ".join(name.split()) for name in also_called]
    facts = data.get("key_facts")
    if not isinstance(facts, dict):
        check.error("key_facts", f"`key_facts` must list {', '.join(KEY_FACTS)}.")
        facts = {}
    facts_check = _Checker(path, _key_lines(_value_node(node, "key_facts"), 1), check.lines.get("key_facts", 1))
    facts_check.unknown_keys(facts, KEY_FACTS)
    state["key_facts"] = {key: facts_check.text(facts, key, max_length=200) for key in KEY_FACTS}
    check.errors += facts_check.errors
    if state["last_reviewed"] and state["next_review_due"] and state["next_review_due"] <= state["last_reviewed"]:
        check.error("next_review_due", "`next_review_due` must be after `last_reviewed`.")

    state["sections"] = _sections_parse(path, lines, body_start=end + 1, check=check)
    if check.errors:
        raise ContentInvalid(check.errors)
    return Document(path=path, key=state["slug"], state=state, lines=check.lines)


def _value_node(node, key):
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if getattr(key_node, "value", None) == key:
                return value_node
    return None


def _sections_parse(path, lines, *, body_start, check):
    """Split the body on `## ` headings into {section kind: Markdown}, checking each section's Markdown."""
    sections, current, current_start, heading_line = {}, None, None, {}
    in_fence, skipping, reported_preamble = False, False, False
    bodies = {}
    for index in range(body_start, len(lines)):
        line, number = lines[index], index + 1
        if FENCE.match(line):
            in_fence = not in_fence
        heading = None if in_fence else re.match(r"^##\s+(.+?)\s*#*\s*$", line)
        if heading and not line.startswith("###"):
            kind = section_kind_for_heading(heading.group(1))
            if kind is None:
                known = "; ".join(kind.heading for kind in SECTION_KINDS)
                check.error(
                    None, f"Unknown section heading \u201c{heading.group(1)}\u201d. Use one of: {known}.", number
                )
                current, skipping = None, True
                continue
            if kind in bodies:
                check.error(
                    None,
                    f"The section \u201c{SECTION_HEADING[kind]}\u201d appears twice "
                    f"(first on line {heading_line[kind]}).",
                    number,
                )
                current, skipping = None, True
                continue
            current, current_start, heading_line[kind], skipping = kind, number + 1, number, False
            bodies[kind] = (current_start, [])
            continue
        if current is None:
            if not in_fence and re.match(r"^#\s", line):
                check.error(None, "A level-1 heading (# ) is not allowed: the page title is the only h1.", number)
            elif line.strip() and not skipping and not reported_preamble:
                check.error(
                    None, "Text before the first `## ` section heading. Start the body with `## Overview`.", number
                )
                reported_preamble = True
            continue
        bodies[current][1].append(line)

    for kind, (start, body_lines) in bodies.items():
        body = "\n".join(body_lines)
        leading_blank = len(body_lines) - len(body.lstrip("\n").split("\n")) if body.strip() else 0
        body = normalise_markdown(body)
        if not body:
            check.error(None, f"The section \u201c{SECTION_HEADING[kind]}\u201d is empty.", heading_line[kind])
            continue
        for line, message in markdown_problems(body):
            check.error(None, message, start + leading_blank + line - 1 if line else heading_line[kind])
        sections[kind] = body
    for kind in REQUIRED_SECTION_KINDS:
        if kind not in bodies:
            check.error(
                None, f"The page has no \u201c{SECTION_HEADING[kind]}\u201d section; it is required.", body_start + 1
            )
    return sections


SITE_KEYS = {
    "name",
    "short_name",
    "phone",
    "email",
    "opening_hours",
    "address",
    "disclaimer",
    "urgent_care",
    "languages",
}


def site_parse(path):
    path = Path(path)
    if not path.exists():
        raise ContentInvalid(
            [ContentError(path, None, "The file is missing; the site needs its name and phone number.")]
        )
    try:
        node, data = _load_yaml(path.read_text(encoding="utf-8"), path)
    except ContentError as error:
        raise ContentInvalid([error]) from None
    if not isinstance(data, dict):
        raise ContentInvalid([ContentError(path, 1, "The file must be a set of `key: value` lines.")])
    check = _Checker(path, _key_lines(node, 0), default_line=1)
    check.unknown_keys(data, SITE_KEYS)
    state = {
        "name": check.text(data, "name", max_length=200),
        "short_name": check.text(data, "short_name", required=False, max_length=100),
        "phone": check.text(data, "phone", max_length=40),
        "email": check.text(data, "email", required=False, max_length=254),
        "opening_hours": check.text(data, "opening_hours", max_length=200),
        "address": check.text(data, "address", required=False, max_length=300),
        "disclaimer": normalise_markdown(check.text(data, "disclaimer")),
        "urgent_care": normalise_markdown(check.text(data, "urgent_care")),
        "languages": normalise_markdown(check.text(data, "languages", required=False)),
    }
    if state["phone"] and len(re.sub(r"\D", "", state["phone"])) < 7:
        check.error("phone", f"`phone` {state['phone']!r} does not look like a phone number.")
    if state["email"] and not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", state["email"]):
        check.error("email", f"`email` {state['email']!r} is not an e-mail address.")
    if check.errors:
        raise ContentInvalid(check.errors)
    return Document(path=path, key="site", state=state, lines=check.lines)


CLINIC_KEYS = {
    "name",
    "slug",
    "address",
    "city",
    "state",
    "zip",
    "latitude",
    "longitude",
    "phone",
    "email",
    "hours",
    "telemedicine",
    "step_free_access",
    "access_notes",
    "accepting_new_patients",
    "procedures",
}
_PERIOD = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")


def clinics_parse(path, *, procedure_slugs):
    """Parse clinics.yaml into one Document per clinic, or raise ContentInvalid listing every problem."""
    path = Path(path)
    if not path.exists():
        return []
    try:
        node, data = _load_yaml(path.read_text(encoding="utf-8"), path)
    except ContentError as error:
        raise ContentInvalid([error]) from None
    if data is None:
        return []
    if not isinstance(data, list) or not isinstance(node, yaml.SequenceNode):
        raise ContentInvalid(
            [ContentError(path, 1, "The file must be a list of clinics, each starting with `- name:`.")]
        )
    errors, documents, seen = [], [], {}
    for item_node, item in zip(node.value, data, strict=False):
        first_line = item_node.start_mark.line + 1
        if not isinstance(item, dict):
            errors.append(ContentError(path, first_line, "Each clinic must be a set of `key: value` lines."))
            continue
        check = _Checker(path, _key_lines(item_node, 0), default_line=first_line)
        check.unknown_keys(item, CLINIC_KEYS)
        state = {
            "name": check.text(item, "name", max_length=200),
            "slug": check.slug(item),
            "address": check.text(item, "address", max_length=200),
            "city": check.text(item, "city", max_length=100),
            "state": check.text(item, "state", max_length=2).upper(),
            "zip": check.text(item, "zip", max_length=5),
            "phone": check.text(item, "phone", max_length=40),
            "email": check.text(item, "email", required=False, max_length=254),
            "telemedicine": check.boolean(item, "telemedicine", False),
            "step_free_access": check.boolean(item, "step_free_access", True),
            "access_notes": check.text(item, "access_notes", required=False, max_length=300),
            "accepting_new_patients": check.boolean(item, "accepting_new_patients", True),
        }
        if isinstance(item.get("zip"), int):
            check.error("zip", 'Put the ZIP code in quotes ("02114"), or a leading zero is lost.')
        centre = zip_centre(state["zip"]) if re.fullmatch(r"\d{5}", state["zip"]) else None
        if state["zip"] and centre is None:
            check.error("zip", f"`zip` {state['zip']!r} is not a US ZIP code we know.")
        elif centre and centre[3] != state["state"]:
            check.error("state", f"ZIP code {state['zip']} is in {centre[3]}, not {state['state']}.")
        state["timezone"] = (centre[4] if centre else "") or site_time_zone()
        state["latitude"], state["longitude"] = _clinic_point(item, centre, check)
        if state["phone"] and len(re.sub(r"\D", "", state["phone"])) != 10:
            check.error("phone", f"`phone` {state['phone']!r} must be a 10-digit US number, like (612) 555-0123.")
        offered = item.get("procedures") or []
        if not isinstance(offered, list) or not all(isinstance(slug, str) for slug in offered):
            check.error("procedures", "`procedures` must be a list of procedure slugs.")
            offered = []
        for slug in offered:
            if slug not in procedure_slugs:
                check.error(
                    "procedures",
                    f"`procedures` names {slug!r}, which is not a procedure page "
                    f"(known: {', '.join(sorted(procedure_slugs))}).",
                )
        state["procedures"] = sorted(set(offered))
        state["hours"] = _hours_parse(item.get("hours"), check)
        state["listed"] = True
        if state["slug"] in seen:
            check.error(
                "slug", f"The slug {state['slug']!r} is already used by the clinic on line {seen[state['slug']]}."
            )
        seen.setdefault(state["slug"], check.lines.get("slug", first_line))
        errors += check.errors
        documents.append(Document(path=path, key=state["slug"], state=state, lines=check.lines))
    if errors:
        raise ContentInvalid(errors)
    return documents


def _clinic_point(item, centre, check):
    latitude, longitude = item.get("latitude"), item.get("longitude")
    if latitude is None and longitude is None:
        if centre and centre[0] is not None:
            return round(centre[0], 6), round(centre[1], 6)
        if centre:
            check.error("zip", "This ZIP code has no centre point; give `latitude` and `longitude`.")
        return 0.0, 0.0
    valid = all(isinstance(value, (int, float)) and not isinstance(value, bool) for value in (latitude, longitude))
    if not valid or not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        check.error("latitude", "`latitude` and `longitude` must both be numbers, like 44.8735 and -93.3346.")
        return 0.0, 0.0
    return round(float(latitude), 6), round(float(longitude), 6)


def _hours_parse(hours, check):
    """{"monday": "08:00-12:00, 13:00-17:00", ...} -> {"monday": [["08:00", "12:00"], ...]}; closed -> []."""
    if not isinstance(hours, dict):
        check.error("hours", '`hours` must list each day, monday to sunday, as "08:00-17:00" or closed.')
        return {}
    parsed = {}
    for day in WEEKDAYS:
        value = hours.get(day)
        if value is None:
            check.error("hours", f"`hours` has no {day}; write `{day}: closed` if the clinic is closed.")
            continue
        if str(value).strip().casefold() == "closed":
            parsed[day] = []
            continue
        periods = []
        for part in str(value).split(","):
            match = _PERIOD.match(part.strip())
            if not match or part.strip()[:5] >= part.strip()[6:]:
                check.error(
                    "hours",
                    f"`{day}: {value}` must be times like 08:00-17:00 (24-hour clock, "
                    "closing after opening), separated by commas, or closed.",
                )
                break
            periods.append([part.strip()[:5], part.strip()[6:]])
        parsed[day] = sorted(periods)
    for day in hours:
        if day not in WEEKDAYS:
            check.error("hours", f"`hours` has an unknown day {day!r}; use monday to sunday.")
    return parsed


# --- The state of records, in the same shape as a parsed file --------------------------------------


def procedure_state(procedure):
    return {
        "title": procedure.title,
        "slug": procedure.slug,
        "status": procedure.status,
        "procedure_type": procedure.procedure_type,
        "summary": procedure.summary,
        "also_called": list(procedure.also_called or []),
        "key_facts": {
            "duration": procedure.duration,
            "anaesthetic": procedure.anaesthetic,
            "going_home": procedure.going_home,
            "recovery": procedure.recovery_time,
        },
        "reviewed_by": procedure.reviewed_by,
        "last_reviewed": _iso(procedure.last_reviewed),
        "next_review_due": _iso(procedure.next_review_due),
        "sections": {section.kind: normalise_markdown(section.body) for section in procedure.sections.all()},
    }


def clinic_state(clinic):
    hours = {day: [] for day in WEEKDAYS}
    for period in clinic.opening_hours.all():
        hours[WEEKDAYS[period.weekday]].append([f"{period.opens:%H:%M}", f"{period.closes:%H:%M}"])
    return {
        "name": clinic.name,
        "slug": clinic.slug,
        "address": clinic.address,
        "city": clinic.city,
        "state": clinic.state,
        "zip": clinic.zip_code,
        "phone": clinic.phone,
        "email": clinic.email or "",
        "telemedicine": clinic.telemedicine,
        "step_free_access": clinic.step_free_access,
        "access_notes": clinic.access_notes or "",
        "accepting_new_patients": clinic.accepting_new_patients,
        "timezone": clinic.timezone,
        "latitude": round(clinic.latitude, 6),
        "longitude": round(clinic.longitude, 6),
        "procedures": sorted(procedure.slug for procedure in clinic.procedures.all()),
        "hours": {day: sorted(periods) for day, periods in hours.items()},
        "listed": clinic.is_listed,
    }


def site_state(details):
    return {name: getattr(details, name) or "" for name in sorted(SITE_KEYS)}


def _iso(value):
    return value.isoformat() if hasattr(value, "isoformat") else str(value or "")


# --- Loading ------------------------------------------------------------------------------------------


@dataclass
class LoadReport:
    created: list = field(default_factory=list)
    updated: list = field(default_factory=list)
    unchanged: list = field(default_factory=list)
    kept_edits: list = field(default_factory=list)  # file unchanged, record edited in the admin: kept
    conflicts: list = field(default_factory=list)
    unpublished: list = field(default_factory=list)

    def summary(self):
        lines = [
            f"{len(self.created)} created, {len(self.updated)} updated, "
            f"{len(self.unchanged) + len(self.kept_edits)} unchanged, {len(self.unpublished)} unpublished, "
            f"{len(self.conflicts)} conflicts."
        ]
        lines += [
            f"  kept admin edit: {name} (its file has not changed since the last load)" for name in self.kept_edits
        ]
        lines += [f"  unpublished: {name} (its file was removed)" for name in self.unpublished]
        lines += [
            f"  CONFLICT: {name} was edited in the admin and its file changed too; left as it is. "
            "Export it, merge the two, or run with --force to take the file (the admin version stays in history)."
            for name in self.conflicts
        ]
        return "\n".join(lines)


def content_parse(content_dir):
    """Parse and validate the whole content set. Raises ContentInvalid with every problem found."""
    content_dir = Path(content_dir)
    errors, procedures, seen = [], [], {}
    site = None
    try:
        site = site_parse(content_dir / "site.yaml")
    except ContentInvalid as invalid:
        errors += invalid.errors
    for path in sorted((content_dir / "procedures").glob("*.md")):
        try:
            document = procedure_parse(path)
        except ContentInvalid as invalid:
            errors += invalid.errors
            continue
        if document.key in seen:
            errors.append(
                ContentError(
                    path,
                    document.lines.get("slug"),
                    f"The slug {document.key!r} is already used by {seen[document.key].path}; each page needs its own.",
                )
            )
            continue
        seen[document.key] = document
        procedures.append(document)
    clinics = []
    try:
        # A clinic may name a page whose file was removed: that page is unpublished, not gone.
        known = set(seen) | set(Procedure.objects.values_list("slug", flat=True))
        clinics = clinics_parse(content_dir / "clinics.yaml", procedure_slugs=known)
    except ContentInvalid as invalid:
        errors += invalid.errors
    if errors:
        raise ContentInvalid(errors)
    return {"site": site, "procedures": procedures, "clinics": clinics}


def content_load(content_dir, *, force=False):
    """Load the content set into the database, all or nothing. Returns a LoadReport."""
    parsed = content_parse(content_dir)
    report = LoadReport()
    with transaction.atomic():
        _site_sync(parsed["site"], report=report, force=force)
        in_files = [_procedure_sync(document, report=report, force=force) for document in parsed["procedures"]]
        _procedures_unpublish_missing(in_files, report=report)
        for document in parsed["clinics"]:
            _clinic_sync(document, report=report, force=force)
        _clinics_unlist_missing({document.key for document in parsed["clinics"]}, report=report)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # fresh planner statistics: the finder's query plan depends on them
    return report


def _decide(record_hash, loaded_hash, document, *, force):
    """What to do with a record, given hashes of the record now, as last loaded, and of the file."""
    if record_hash == document.state_hash:
        return "unchanged"
    if loaded_hash == document.state_hash:
        return "kept_edits"
    if loaded_hash and record_hash != loaded_hash and not force:
        return "conflicts"
    return "updated"


def _site_sync(document, *, report, force):
    details = SiteDetails.objects.filter(pk=1).first()
    if details is None:
        details = SiteDetails(**document.state)
        details._change_reason = CHANGE_REASON
        details.loaded_state_hash = document.state_hash
        details.save()
        report.created.append("site details")
        return
    action = _decide(state_hash(site_state(details)), details.loaded_state_hash, document, force=force)
    getattr(report, action).append("site details")
    if action == "updated":
        for name, value in document.state.items():
            setattr(details, name, value)
        details._change_reason = CHANGE_REASON
        details.loaded_state_hash = document.state_hash
        details.save()
    elif action == "unchanged" and details.loaded_state_hash != document.state_hash:
        SiteDetails.objects.filter(pk=details.pk).update(loaded_state_hash=document.state_hash)


def _procedure_sync(document, *, report, force):
    state = document.state
    procedure = Procedure.objects.filter(slug=document.key).prefetch_related("sections").first()
    if procedure is None:
        # Renamed in the admin since the file was written: the file still uses the old slug.
        procedure = Procedure.objects.filter(redirects__old_slug=document.key).prefetch_related("sections").first()
    if procedure is None:
        procedure, action = Procedure(slug=document.key), "created"
    else:
        action = _decide(state_hash(procedure_state(procedure)), procedure.loaded_state_hash, document, force=force)
    getattr(report, action).append(document.key)
    if action == "unchanged" and procedure.loaded_state_hash != document.state_hash:
        Procedure.objects.filter(pk=procedure.pk).update(loaded_state_hash=document.state_hash)
    if action not in ("created", "updated"):
        return procedure.pk
    facts = state["key_facts"]
    procedure.title, procedure.status = state["title"], state["status"]
    procedure.procedure_type, procedure.summary = state["procedure_type"], state["summary"]
    procedure.also_called = state["also_called"]
    procedure.duration, procedure.anaesthetic = facts["duration"], facts["anaesthetic"]
    procedure.going_home, procedure.recovery_time = facts["going_home"], facts["recovery"]
    procedure.reviewed_by = state["reviewed_by"]
    procedure.last_reviewed = datetime.date.fromisoformat(state["last_reviewed"])
    procedure.next_review_due = datetime.date.fromisoformat(state["next_review_due"])
    procedure.loaded_state_hash = document.state_hash
    procedure._change_reason = CHANGE_REASON
    procedure.save()
    existing = {section.kind: section for section in procedure.sections.all()}
    for kind, body in state["sections"].items():
        section = existing.pop(kind, None) or Section(procedure=procedure, kind=kind)
        if section.pk and section.body == body:
            continue
        section.body = body
        section._change_reason = CHANGE_REASON
        section.save()
    for section in existing.values():
        section._change_reason = CHANGE_REASON
        section.delete()
    return procedure.pk


def _procedures_unpublish_missing(in_files, *, report):
    """A page whose file was removed is unpublished, never deleted: its history and any staff edits stay."""
    gone = Procedure.objects.published().exclude(pk__in=in_files).exclude(loaded_state_hash="")
    for procedure in gone.prefetch_related("sections"):
        procedure.status = Procedure.Status.DRAFT
        procedure._change_reason = "Unpublished: its content file was removed"
        # Remember the draft as the loaded state, so that restoring the file publishes it again.
        procedure.loaded_state_hash = state_hash(procedure_state(procedure))
        procedure.save()
        report.unpublished.append(procedure.slug)


def _clinic_sync(document, *, report, force):
    state = document.state
    clinic = Clinic.objects.filter(slug=document.key).prefetch_related("opening_hours", "procedures").first()
    name = f"clinic {document.key}"
    if clinic is None:
        clinic, action = Clinic(slug=document.key), "created"
    else:
        action = _decide(state_hash(clinic_state(clinic)), clinic.loaded_state_hash, document, force=force)
    getattr(report, action).append(name)
    if action == "unchanged" and clinic.loaded_state_hash != document.state_hash:
        Clinic.objects.filter(pk=clinic.pk).update(loaded_state_hash=document.state_hash)
    if action not in ("created", "updated"):
        return
    for field_name in (
        "name",
        "address",
        "city",
        "state",
        "phone",
        "email",
        "telemedicine",
        "step_free_access",
        "access_notes",
        "accepting_new_patients",
        "timezone",
        "latitude",
        "longitude",
    ):
        setattr(clinic, field_name, state[field_name])
    clinic.zip_code = state["zip"]
    clinic.is_listed = True
    clinic.loaded_state_hash = document.state_hash
    clinic._change_reason = CHANGE_REASON
    clinic.save()
    clinic.procedures.set(Procedure.objects.filter(slug__in=state["procedures"]))
    if clinic_state(clinic)["hours"] != state["hours"]:
        clinic.opening_hours.all().delete()
        for day, periods in state["hours"].items():
            for opens, closes in periods:
                OpeningHours.objects.create(clinic=clinic, weekday=WEEKDAYS.index(day), opens=opens, closes=closes)


def _clinics_unlist_missing(slugs, *, report):
    """A clinic whose entry was removed leaves the finder but stays in the database with its history."""
    for clinic in Clinic.objects.listed().exclude(slug__in=slugs).exclude(loaded_state_hash=""):
        clinic.is_listed = False
        clinic._change_reason = "Unlisted: its entry was removed from clinics.yaml"
        clinic.save()
        clinic.loaded_state_hash = state_hash(clinic_state(clinic))
        Clinic.objects.filter(pk=clinic.pk).update(loaded_state_hash=clinic.loaded_state_hash)
        report.unpublished.append(f"clinic {clinic.slug}")


# --- Exporting ----------------------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    pass


def _str_representer(dumper, value):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_representer)


def _yaml_dump(data):
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def procedure_render_file(state):
    """A procedure's state as the text of its Markdown file."""
    front = {
        key: state[key]
        for key in (
            "title",
            "slug",
            "status",
            "procedure_type",
            "summary",
            "also_called",
            "key_facts",
            "reviewed_by",
        )
    }
    front["last_reviewed"] = datetime.date.fromisoformat(state["last_reviewed"])
    front["next_review_due"] = datetime.date.fromisoformat(state["next_review_due"])
    parts = ["---\n", _yaml_dump(front), "---\n"]
    for kind in SECTION_KINDS:
        if kind.key in state["sections"]:
            parts.append(f"\n## {kind.heading}\n\n{state['sections'][kind.key]}\n")
    return "".join(parts)


def content_export(content_dir):
    """Write the database to content files that load back to the same records. Returns the paths written."""
    content_dir = Path(content_dir)
    (content_dir / "procedures").mkdir(parents=True, exist_ok=True)
    written = []
    with transaction.atomic():
        details = SiteDetails.objects.filter(pk=1).first()
        if details:
            state = site_state(details)
            ordered = {
                key: state[key]
                for key in (
                    "name",
                    "short_name",
                    "phone",
                    "email",
                    "opening_hours",
                    "address",
                    "disclaimer",
                    "urgent_care",
                    "languages",
                )
                if state[key]
            }
            path = content_dir / "site.yaml"
            path.write_text(_yaml_dump(ordered), encoding="utf-8")
            SiteDetails.objects.filter(pk=1).update(loaded_state_hash=state_hash(state))
            written.append(path)
        for redirect in ProcedureRedirect.objects.all():
            # The page was renamed: its file moves to the new slug's name.
            old_path = content_dir / "procedures" / f"{redirect.old_slug}.md"
            if old_path.exists():
                old_path.unlink()
        for procedure in Procedure.objects.prefetch_related("sections"):
            state = procedure_state(procedure)
            path = content_dir / "procedures" / f"{procedure.slug}.md"
            path.write_text(procedure_render_file(state), encoding="utf-8")
            Procedure.objects.filter(pk=procedure.pk).update(loaded_state_hash=state_hash(state))
            written.append(path)
        clinics = []
        for clinic in Clinic.objects.listed().prefetch_related("opening_hours", "procedures").order_by("pk"):
            state = clinic_state(clinic)
            clinics.append(clinic_render_entry(state))
            Clinic.objects.filter(pk=clinic.pk).update(loaded_state_hash=state_hash(state))
        if clinics:
            path = content_dir / "clinics.yaml"
            path.write_text(CLINICS_HEADER + _yaml_dump(clinics).replace("\n- ", "\n\n- "), encoding="utf-8")
            written.append(path)
    return written


CLINICS_HEADER = (
    "# Demo data: the clinics, street addresses, phone numbers and e-mail addresses below are fictional.\n"
    "# ZIP codes and towns are real, so the ZIP code finder can be tried.\n\n"
)


def clinic_render_entry(state):
    """A clinic's state as its entry in clinics.yaml."""
    entry = {key: state[key] for key in ("name", "slug", "address", "city", "state")}
    entry["zip"] = state["zip"]
    entry["latitude"], entry["longitude"] = state["latitude"], state["longitude"]
    entry["phone"] = state["phone"]
    if state["email"]:
        entry["email"] = state["email"]
    entry["hours"] = {
        day: ", ".join(f"{opens}-{closes}" for opens, closes in state["hours"][day]) or "closed" for day in WEEKDAYS
    }
    for key in ("telemedicine", "step_free_access"):
        entry[key] = state[key]
    if state["access_notes"]:
        entry["access_notes"] = state["access_notes"]
    entry["accepting_new_patients"] = state["accepting_new_patients"]
    entry["procedures"] = state["procedures"]
    return entry
