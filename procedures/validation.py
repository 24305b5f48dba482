"""The rules a record must meet, shared by the admin forms and the content loader.

Each rule is written once here, as a function that takes a value and returns it normalised or raises
Invalid. The admin turns Invalid into a form error, the loader into an error naming the file and line,
so any value one side accepts the other accepts too, in the same normalised form.
"""

import datetime
import re
import unicodedata
import zoneinfo

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator, validate_email

from .geo import zip_centre
from .markdown import FENCE, markdown_problems, normalise_markdown
from .sections import REQUIRED_SECTION_KINDS, SECTION_HEADING

SLUG_REGEX = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
SLUG_PATTERN = re.compile(SLUG_REGEX)
SLUG_MESSAGE = "Use lower-case letters, digits and single hyphens, e.g. si-joint-fusion."

slug_validator = RegexValidator(SLUG_REGEX, SLUG_MESSAGE)

# Python-Markdown takes time that grows faster than the text: a 2.2 MB section took 24 s to render.
# 20,000 characters is several printed pages, far more than any section needs, and renders in milliseconds.
MARKDOWN_MAX_LENGTH = 20_000


class Invalid(ValueError):
    """A value breaks a rule: one or more (line within the value or None, message) problems."""

    def __init__(self, problems):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        self.problems = [(None, p) if isinstance(p, str) else p for p in self.problems]
        super().__init__("; ".join(message for _line, message in self.problems))

    def messages(self):
        """The problems as the admin shows them: capitalised, with the line where there is one."""
        messages = []
        for line, message in self.problems:
            if message[0].isupper():
                messages.append(f"Line {line}: {message}" if line else message)
            else:  # "contains ...", "is not ...": the line, or the field, is the subject
                messages.append(f"Line {line} {message}" if line else f"This {message}")
        return messages


# Characters that are invisible or break lines in some programs but not others (YAML, browsers, Python):
# C0/C1 control characters other than tab and newline, Unicode line/paragraph separators, non-characters.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufffe\uffff]")


def control_character_problem(text):
    """(line, message) for the first control character in text, or None. CRLF counts as a newline."""
    text = (text or "").replace("\r\n", "\n")
    match = _CONTROL.search(text)
    if not match:
        return None
    line = text.count("\n", 0, match.start()) + 1
    name = unicodedata.name(match.group(), "control character")
    return line, f"contains an invisible control character (U+{ord(match.group()):04X}, {name.lower()}); remove it."


def no_control_characters(text):
    problem = control_character_problem(text)
    if problem:
        raise Invalid([problem])
    return text


def line_text(value, *, max_length=None):
    """One line of plain text: runs of spaces and line breaks become one space, ends are trimmed."""
    no_control_characters(value)
    value = " ".join(str(value).split())
    if max_length and len(value) > max_length:
        raise Invalid(f"is {len(value)} characters long; the limit is {max_length}.")
    return value


def markdown_text(value, *, max_length=MARKDOWN_MAX_LENGTH, top_heading_level=3):
    """A Markdown field (a section, the disclaimer...): normalised, size-limited and accessible."""
    value = normalise_markdown(value)
    no_control_characters(value)
    if len(value) > max_length:
        raise Invalid(f"The text is {len(value):,} characters long; the limit is {max_length:,}. Shorten or split it.")
    problems = []
    fences = [number for number, line in enumerate(value.split("\n"), start=1) if FENCE.match(line)]
    if len(fences) % 2:
        # An open fence would swallow the next section's heading in the file.
        problems.append((fences[-1], "This code block (``` or ~~~) is never closed; close it with the same marker."))
    problems += markdown_problems(value, top_heading_level=top_heading_level)
    if problems:
        raise Invalid(problems)
    return value


def slug(value):
    value = line_text(value, max_length=100)
    if not SLUG_PATTERN.match(value):
        raise Invalid("must use lower-case letters, digits and single hyphens, e.g. si-joint-fusion.")
    return value


_EXTENSION = re.compile(r"\s*(?:,\s*)?(?:ext\.?|extension|x)\s*\d{1,6}\s*$", re.IGNORECASE)


def phone_without_extension(value):
    """The number to dial: what people wrote, less any extension ("ext. 12", "Extension 12", "x12")."""
    return _EXTENSION.sub("", value or "")


def phone(value):
    """A US phone number as people write it, optionally with an extension: '(612) 555-0100 ext. 12'.

    The tap-to-call link dials the number without the extension (models.tel_url)."""
    value = line_text(value, max_length=40)
    number = phone_without_extension(value)
    digits = re.sub(r"\D", "", number)
    if digits.startswith("1") and len(digits) == 11:
        digits = digits[1:]
    if len(digits) != 10 or re.search(r"[^\d\s()+.\-]", number):
        raise Invalid(
            "must be a 10-digit US number, like (612) 555-0123; an extension may follow, like (612) 555-0123 ext. 12."
        )
    return value


def email(value):
    value = line_text(value, max_length=254)
    if value:
        try:
            validate_email(value)
        except ValidationError:
            raise Invalid("is not an e-mail address.") from None
    return value


def time_zone(value):
    value = line_text(value, max_length=64)
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise Invalid("is not a time zone name like America/Chicago.") from None
    return value


def us_state(value):
    value = line_text(value).upper()
    if not re.fullmatch(r"[A-Z]{2}", value):
        raise Invalid("must be a two-letter state code, like MN.")
    return value


def zip_code(value):
    """A 5-digit ZIP code we know; returns (zip, centre) where centre is geo.zip_centre's tuple."""
    value = line_text(value)
    centre = zip_centre(value) if re.fullmatch(r"\d{5}", value) else None
    if centre is None:
        raise Invalid("is not a US ZIP code we know.")
    return value, centre


def zip_state_problem(zip_value, centre, state):
    if centre and state and centre[3] != state:
        return f"ZIP code {zip_value} is in {centre[3]}, not {state}."
    return None


def coordinates(latitude, longitude):
    ok = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (latitude, longitude))
    if not ok or not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise Invalid("`latitude` and `longitude` must both be numbers, like 44.8735 and -93.3346.")
    return round(float(latitude), 6), round(float(longitude), 6)


def review_dates_problem(last_reviewed, next_review_due):
    if last_reviewed and next_review_due and str(next_review_due) <= str(last_reviewed):
        return "The next review must be after the last review."
    return None


def missing_sections(status, kinds):
    """Headings of the sections a page of this status must have but lacks. Drafts may lack any."""
    if status != "published":
        return []
    return [SECTION_HEADING[kind] for kind in REQUIRED_SECTION_KINDS if kind not in kinds]


def opening_period_problem(opens, closes):
    """opens/closes are datetime.time or 'HH:MM' strings."""
    for value in (opens, closes):
        if hasattr(value, "second") and (value.second or value.microsecond):
            return "Opening times are to the minute: leave out the seconds."
    if str(closes)[:5] <= str(opens)[:5]:
        return "The closing time must be after the opening time."
    return None


# --- Health information (issue 13): sources, citations, the three help levels -----------------------------

# `[1]` or `[1, 3]` right after a statement: positions in the page's `sources`.
CITATION = re.compile(r"\[(\d{1,3}(?:\s*,\s*\d{1,3})*)\](?!\()")

HELP_LEVELS = (
    ("emergency", "Emergency", "Call 911 or go to the emergency room"),
    ("urgent", "Urgent", "Call the clinic now"),
    ("soon", "Soon", "Call the clinic in the next few days"),
)
# The same three levels on a Spanish page.
HELP_LEVELS_ES = (
    ("emergency", "Emergencia", "Llame al 911 o vaya a la sala de emergencias"),
    ("urgent", "Urgente", "Llame a la clínica ahora"),
    ("soon", "Pronto", "Llame a la clínica en los próximos días"),
)


def help_levels_for(headings):
    """The set of help levels (English or Spanish) whose headings these are, or None."""
    found = [name.casefold().rstrip(":") for name in headings]
    for levels in (HELP_LEVELS, HELP_LEVELS_ES):
        if found == [heading.casefold() for _key, _label, heading in levels]:
            return levels
    return None


def source(entry, *, today=None):
    """One source {title, publisher, url, checked}: normalised, or Invalid naming what is wrong."""
    today = today or datetime.date.today()
    if not isinstance(entry, dict):
        raise Invalid("must be a source with `title`, `publisher`, `url` and `checked`.")
    unknown = sorted(set(entry) - {"title", "publisher", "url", "checked"})
    if unknown:
        raise Invalid(f"has an unknown key `{unknown[0]}`; a source has title, publisher, url and checked.")
    problems, clean = [], {}
    for key in ("title", "publisher"):
        value = entry.get(key)
        if not isinstance(value, str) or not value.strip():
            problems.append(f"needs a `{key}`.")
        else:
            clean[key] = line_text(value, max_length=300)
    url = entry.get("url")
    if not isinstance(url, str) or not re.fullmatch(r"https?://[^\s/$.?#][^\s]*", url.strip()):
        problems.append(f"has `url` {url!r}, which is not a web address starting with https:// or http://.")
    else:
        clean["url"] = url.strip()
    checked = entry.get("checked")
    if isinstance(checked, str):
        try:
            checked = datetime.date.fromisoformat(checked.strip())
        except ValueError:
            checked = None
    if not isinstance(checked, datetime.date) or isinstance(checked, datetime.datetime):
        problems.append("needs `checked`: the date it was last checked, as YYYY-MM-DD.")
    elif checked > today:
        problems.append(f"has `checked` {checked.isoformat()}, which is in the future.")
    else:
        clean["checked"] = checked.isoformat()
    if problems:
        raise Invalid(problems)
    return {"title": clean["title"], "publisher": clean["publisher"], "url": clean["url"], "checked": clean["checked"]}


def citation_problems(text, source_count):
    """(line, message) for each citation in Markdown that points to no source. Code is skipped."""
    problems, in_fence = [], False
    for number, line in enumerate((text or "").splitlines(), start=1):
        if FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        for match in CITATION.finditer(re.sub(r"`[^`]*`", "", line)):
            for cited in (int(n) for n in match.group(1).split(",")):
                if not 1 <= cited <= source_count:
                    have = f"the page has {source_count} source{'s' if source_count != 1 else ''}"
                    problems.append(
                        (number, f"The citation [{cited}] points to no source: {have}. Add it under `sources`.")
                    )
    return problems


_H3 = re.compile(r"^###\s+(.+?)\s*#*\s*$")


def help_level_problems(text):
    """(line, message) when a get_help section lacks exactly the three `### ` levels, in order."""
    found, in_fence = [], False
    for number, line in enumerate((text or "").splitlines(), start=1):
        if FENCE.match(line):
            in_fence = not in_fence
        heading = None if in_fence else _H3.match(line)
        if heading:
            found.append((number, " ".join(heading.group(1).split()).rstrip(":")))
    if help_levels_for([name for _n, name in found]):
        return []
    spanish = bool(found) and found[0][1].casefold().startswith("llame")
    expected = [heading for _key, _label, heading in (HELP_LEVELS_ES if spanish else HELP_LEVELS)]
    wanted = "; ".join(f"### {name}" for name in expected)
    for (number, name), want in zip(found, expected, strict=False):
        if name.casefold() != want.casefold():
            return [(number, f"This heading should be \u201c### {want}\u201d. The section needs, in order: {wanted}.")]
    if len(found) > len(expected):
        return [(found[len(expected)][0], f"Only three `### ` levels are allowed, in order: {wanted}.")]
    missing = expected[len(found)]
    return [(None, f"The section has no \u201c### {missing}\u201d. It needs, in order: {wanted}.")]


def section_problems(kind, text, *, sources=(), status="published"):
    """Problems of a section that depend on its page: citations with no source; the help levels.

    sources=None: the page's sources are themselves broken, so citations are not checked against them."""
    problems = citation_problems(text, len(sources)) if sources is not None else []
    if kind == "get_help" and status == "published":
        problems += help_level_problems(text)
    return problems
