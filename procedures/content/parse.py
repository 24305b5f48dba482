"""Content files -> Documents (a record's state, where it came from), checked against the field maps.

Every problem is collected, so one run reports all of them, each with its file and line.
"""

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .. import validation
from ..markdown import FENCE
from ..models import Procedure
from ..sections import section_headings, section_kind_for_heading
from ..validation import Invalid
from .fields import (
    CLINIC,
    GLOSSARY,
    GLOSSARY_ES,
    GUIDE,
    GUIDE_ES,
    MISSING,
    PROCEDURE,
    PROCEDURE_ES,
    SITE,
    SITE_ES,
    clinic_default_time_zone,
)
from .files import ContentError, ContentInvalid, file_problem, key_lines, text_read, value_node, yaml_load


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


class _Checker:
    """Collects a file's problems; knows the line of each key."""

    def __init__(self, path, lines, default_line):
        self.path, self.lines, self.default_line, self.errors = path, lines, default_line, []
        self.offset = 0

    def error(self, key, message, line=None):
        self.errors.append(ContentError(self.path, line or self.lines.get(key, self.default_line), message))

    def record(self, record_type, data, node, *, offset):
        """Parse every file key of a record (a mapping) through its field map. Returns the state."""
        self.unknown_keys(data, record_type.file_keys)
        self.offset = offset
        groups = {}
        for group in record_type.groups:
            raw = data.get(group)
            if not isinstance(raw, dict):
                self.error(group, f"`{group}` must list {', '.join(sorted(record_type.group_keys(group)))}.")
                raw = {}
            checker = _Checker(self.path, key_lines(value_node(node, group), offset), self.lines.get(group, 1))
            checker.unknown_keys(raw, record_type.group_keys(group))
            groups[group] = (raw, checker)
        state = {}
        for item in record_type.fields:
            if not item.in_file:
                state[item.key] = item.parse(MISSING)
                continue
            raw, checker = groups[item.group] if item.group else (data, self)
            item_node = value_node(node, item.key) if getattr(item, "item_lines", False) else None
            value = checker.value(item, raw.get(item.key, MISSING), node=item_node)
            (state.setdefault(item.group, {}) if item.group else state)[item.key] = value
        for _raw, checker in groups.values():
            self.errors += checker.errors
        return state

    def value(self, item, raw, node=None):
        try:
            return item.parse(raw)
        except Invalid as invalid:
            shown = f" {' '.join(str(raw).split())!r}" if item.show_value and isinstance(raw, (str, int)) else ""
            key_line = self.lines.get(item.key, self.default_line)
            for line, message in invalid.problems:
                # A Markdown problem's line counts from the first line of the text, the line after `key: |`.
                # A message that names its own key (`monday: ...`) stands alone.
                if message.startswith("`"):
                    text = message
                elif message[0].isupper():  # a sentence of its own, such as a Markdown problem
                    text = f"`{item.key}`: {message}"
                else:
                    text = f"`{item.key}`{shown} {message}"
                if line and node is not None and isinstance(node, yaml.SequenceNode) and line <= len(node.value):
                    where = node.value[line - 1].start_mark.line + 1 + self.offset  # the line of entry `line`
                else:
                    where = key_line + line if line and item.multiline else None
                self.error(item.key, text, where)
            return item.default

    def unknown_keys(self, data, known):
        for key in data:
            if key not in known:
                self.error(key, f"Unknown key `{key}`. Known keys: {', '.join(sorted(known))}.")


def procedure_parse(path, *, language="en"):
    """Parse one procedure file into a Document, or raise ContentInvalid listing every problem in it."""
    path = Path(path)
    record_type = PROCEDURE_ES if language == "es" else PROCEDURE
    lines, end, node, data = _front_matter(path)

    check = _Checker(path, key_lines(node, 1), default_line=1)
    state = check.record(record_type, data, node, offset=1)
    problem = validation.review_dates_problem(state["last_reviewed"], state["next_review_due"])
    if problem:
        check.error("next_review_due", f"`next_review_due` must be after `last_reviewed`. {problem}")
    # With a broken source list, the problem is reported once, not again as every citation.
    sources_checked = not any(error.message.startswith("`sources`") for error in check.errors)
    if sources_checked and state["status"] == "published" and not state["sources"]:
        check.error("status", "A published page must list its `sources` (see content/README.md).")
    state["sections"], headings, first_lines = _sections_parse(
        lines, body_start=end + 1, check=check, language=language
    )
    for kind, body in state["sections"].items():
        sources = state["sources"] if sources_checked else None
        problems = validation.section_problems(kind, body, sources=sources, status=state["status"])
        for line, message in problems:
            check.error(None, message, first_lines[kind] + line - 1 if line else first_lines[kind] - 1)
    for heading in _missing_sections(state["status"], headings, language):
        check.error(
            "status",
            f"The page has no \u201c{heading}\u201d section; a published page must have it "
            "(a draft may leave it out for now).",
            check.lines.get("status", end + 1),
        )
    if check.errors:
        raise ContentInvalid(check.errors)
    return Document(path=path, key=state["slug"], state=state, lines=check.lines)


_SECTION_HEADING = re.compile(r"^##\s+(.+?)\s*#*\s*$")


def _missing_sections(status, kinds, language):
    from ..sections import REQUIRED_SECTION_KINDS

    if status != "published":
        return []
    return [section_headings(language)[kind] for kind in REQUIRED_SECTION_KINDS if kind not in kinds]


def _sections_parse(lines, *, body_start, check, language="en"):
    """Split the body on `## ` headings into {section kind: Markdown}, checking each section's Markdown."""
    in_fence, skipping, reported_preamble = False, False, False
    current, bodies, heading_line = None, {}, {}
    for index in range(body_start, len(lines)):
        line, number = lines[index], index + 1
        if FENCE.match(line):
            in_fence = not in_fence
        heading = None if in_fence else _SECTION_HEADING.match(line)
        if heading and not line.startswith("###"):
            kind = section_kind_for_heading(heading.group(1), language=language)
            if kind is None:
                known = "; ".join(section_headings(language).values())
                check.error(
                    None, f"Unknown section heading \u201c{heading.group(1)}\u201d. Use one of: {known}.", number
                )
                current, skipping = None, True
            elif kind in bodies:
                check.error(
                    None,
                    f"The section \u201c{section_headings(language)[kind]}\u201d appears twice "
                    f"(first on line {heading_line[kind]}).",
                    number,
                )
                current, skipping = None, True
            else:
                current, heading_line[kind], skipping = kind, number, False
                bodies[kind] = []
            continue
        if current is None:
            if not in_fence and re.match(r"^#\s", line):
                check.error(None, "A level-1 heading (# ) is not allowed: the page title is the only h1.", number)
            elif line.strip() and not skipping and not reported_preamble:
                first = section_headings(language)["overview"]
                check.error(
                    None, f"Text before the first `## ` section heading. Start the body with `## {first}`.", number
                )
                reported_preamble = True
            continue
        bodies[current].append(line)

    sections, first_lines = {}, {}
    for kind, body_lines in bodies.items():
        body = "\n".join(body_lines)
        first = heading_line[kind] + 1 + (len(body_lines) - len(body.lstrip("\n").split("\n")) if body.strip() else 0)
        if not body.strip():
            check.error(
                None, f"The section \u201c{section_headings(language)[kind]}\u201d is empty.", heading_line[kind]
            )
            continue
        first_lines[kind] = first
        try:
            sections[kind] = validation.markdown_text(body)
        except Invalid as invalid:
            for line, message in invalid.problems:
                where = first + line - 1 if line else heading_line[kind]
                check.error(None, message if message[0].isupper() else f"This section {message}", where)
    return sections, set(bodies), first_lines


def _front_matter(path):
    """(lines, end line index, node, data) of a Markdown file with YAML front matter, or ContentInvalid."""
    try:
        text = text_read(path)
    except ContentError as error:
        raise ContentInvalid([error]) from None
    lines = text.split("\n")
    if lines[0].strip() != "---":
        raise ContentInvalid([ContentError(path, 1, "The file must start with front matter: a line `---`.")])
    try:
        end = next(number for number in range(1, len(lines)) if lines[number].strip() == "---")
    except StopIteration:
        raise ContentInvalid([ContentError(path, 1, "The front matter has no closing `---` line.")]) from None
    try:
        node, data = yaml_load("\n".join(lines[1:end]), path, offset=1)
    except ContentError as error:
        raise ContentInvalid([error]) from None
    if not isinstance(data, dict):
        raise ContentInvalid([ContentError(path, 2, "The front matter must be a set of `key: value` lines.")])
    return lines, end, node, data


def guide_parse(path, *, language="en"):
    """Parse one guide (content/guides/<slug>.md): front matter, then a free Markdown body with `## ` sections."""
    path = Path(path)
    lines, end, node, data = _front_matter(path)
    check = _Checker(path, key_lines(node, 1), default_line=1)
    state = check.record(GUIDE_ES if language == "es" else GUIDE, data, node, offset=1)
    problem = validation.review_dates_problem(state["last_reviewed"], state["next_review_due"])
    if problem:
        check.error("next_review_due", f"`next_review_due` must be after `last_reviewed`. {problem}")
    body_lines = lines[end + 1 :]
    leading = len(body_lines) - len("\n".join(body_lines).lstrip("\n").split("\n"))
    first = end + 2 + leading  # the file line of the body's first line
    body = "\n".join(body_lines)
    if not body.strip():
        check.error(None, "The guide has no text after its front matter.", end + 1)
    else:
        try:
            state["body"] = validation.markdown_text(body, max_length=60_000, top_heading_level=2)
        except Invalid as invalid:
            for line, message in invalid.problems:
                check.error(None, message if message[0].isupper() else f"The text {message}", first + (line or 1) - 1)
        for line, message in validation.citation_problems(state["body"], len(state["sources"])):
            check.error(None, message, first + line - 1)
    if state["status"] == "published" and not state["sources"]:
        check.error("status", "A published guide must list its `sources`.")
    if check.errors:
        raise ContentInvalid(check.errors)
    return Document(path=path, key=state["slug"], state=state, lines=check.lines)


def glossary_parse(path, *, language="en", english_terms=None):
    """Parse glossary.yaml into one Document per term (keyed by its anchor), or raise ContentInvalid.

    glossary.es.yaml (language "es"): each term names the English term it translates (`english:`)."""
    from django.utils.text import slugify

    path = Path(path)
    if not os.path.lexists(path):
        return []
    try:
        node, data = yaml_load(text_read(path), path)
    except ContentError as error:
        raise ContentInvalid([error]) from None
    if data is None:
        return []
    if not isinstance(data, list) or not isinstance(node, yaml.SequenceNode):
        raise ContentInvalid([ContentError(path, 1, "The file must be a list of terms, each starting with `- term:`.")])
    errors, documents, seen, names = [], [], {}, {}
    for item_node, item in zip(node.value, data, strict=False):
        first_line = item_node.start_mark.line + 1
        if not isinstance(item, dict):
            errors.append(ContentError(path, first_line, "Each term must be a set of `key: value` lines."))
            continue
        check = _Checker(path, key_lines(item_node, 0), default_line=first_line)
        state = check.record(GLOSSARY_ES if language == "es" else GLOSSARY, item, item_node, offset=0)
        if english_terms is not None and state.get("english") and state["english"].casefold() not in english_terms:
            check.error("english", f"`english` names {state['english']!r}, which is not a term in glossary.yaml.")
        anchor = slugify(state["term"])
        if state["term"] and not anchor:
            check.error("term", f"The term {state['term']!r} needs at least one letter or digit.")
        if anchor in seen:
            check.error("term", f"The term {state['term']!r} is already defined on line {seen[anchor]}.")
        seen.setdefault(anchor, check.lines.get("term", first_line))
        for name in (state["term"], *state["forms"]):
            key = " ".join(name.split()).casefold()
            if key in names and names[key] != anchor:
                check.error("forms", f"{name!r} already links to another term ({names[key]}).")
            names.setdefault(key, anchor)
        errors += check.errors
        documents.append(Document(path=path, key=anchor, state=state, lines=check.lines))
    if errors:
        raise ContentInvalid(errors)
    return documents


def site_parse(path, *, language="en"):
    path = Path(path)
    if language == "es" and not os.path.lexists(path):
        return None
    try:
        text = text_read(path)
        node, data = yaml_load(text, path)
    except ContentError as error:
        if not os.path.lexists(path):
            error.message = "The file is missing; the site needs its name and phone number."
        raise ContentInvalid([error]) from None
    if not isinstance(data, dict):
        raise ContentInvalid([ContentError(path, 1, "The file must be a set of `key: value` lines.")])
    check = _Checker(path, key_lines(node, 0), default_line=1)
    state = check.record(SITE_ES if language == "es" else SITE, data, node, offset=0)
    if check.errors:
        raise ContentInvalid(check.errors)
    return Document(path=path, key="site", state=state, lines=check.lines)


def clinics_parse(path, *, procedure_slugs):
    """Parse clinics.yaml into one Document per clinic, or raise ContentInvalid listing every problem."""
    path = Path(path)
    if not os.path.lexists(path):
        return []
    try:
        node, data = yaml_load(text_read(path), path)
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
        check = _Checker(path, key_lines(item_node, 0), default_line=first_line)
        state = check.record(CLINIC, item, item_node, offset=0)
        _clinic_check(state, item, check, procedure_slugs)
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


def _clinic_check(state, item, check, procedure_slugs):
    """The rules that tie a clinic's fields together: ZIP and state, the map point, the pages it offers."""
    try:
        centre = validation.zip_code(state["zip"])[1] if state["zip"] else None
    except Invalid:
        centre = None
    problem = validation.zip_state_problem(state["zip"], centre, state["state"])
    if problem:
        check.error("state", problem)
    if not state["timezone"]:
        state["timezone"] = clinic_default_time_zone(state["zip"])
    latitude, longitude = item.get("latitude"), item.get("longitude")
    if latitude is None and longitude is None:
        if centre and centre[0] is not None:
            state["latitude"], state["longitude"] = round(centre[0], 6), round(centre[1], 6)
        else:
            if centre:
                check.error("zip", "This ZIP code has no centre point; give `latitude` and `longitude`.")
            state["latitude"], state["longitude"] = 0.0, 0.0
    else:
        try:
            state["latitude"], state["longitude"] = validation.coordinates(latitude, longitude)
        except Invalid as invalid:
            check.error("latitude", invalid.problems[0][1])
            state["latitude"], state["longitude"] = 0.0, 0.0
    for slug in state["procedures"]:
        if slug not in procedure_slugs:
            check.error(
                "procedures",
                f"`procedures` names {slug!r}, which is not a procedure page "
                f"(known: {', '.join(sorted(procedure_slugs))}).",
            )


def content_parse(content_dir):
    """Parse and validate the whole content set. Raises ContentInvalid with every problem found."""
    content_dir = Path(content_dir)
    if not content_dir.is_dir():
        raise ContentInvalid([ContentError(content_dir, None, "The content folder does not exist.")])
    errors, procedures, seen = [], [], {}
    site = None
    try:
        site = site_parse(content_dir / "site.yaml")
    except ContentInvalid as invalid:
        errors += invalid.errors
    for path in _procedure_paths(content_dir / "procedures", errors):
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
    guides, seen_guides = [], {}
    for path in _procedure_paths(content_dir / "guides", errors):
        try:
            document = guide_parse(path)
        except ContentInvalid as invalid:
            errors += invalid.errors
            continue
        if document.key in seen_guides:
            errors.append(ContentError(path, document.lines.get("slug"), f"The slug {document.key!r} is already used."))
            continue
        seen_guides[document.key] = document
        guides.append(document)
    glossary = []
    try:
        glossary = glossary_parse(content_dir / "glossary.yaml")
    except ContentInvalid as invalid:
        errors += invalid.errors
    translations = _translations_parse(content_dir, errors, procedures=procedures, guides=guides, glossary=glossary)
    clinics = []
    try:
        # A clinic may name a page whose file was removed: that page is unpublished, not gone.
        known = set(seen) | set(Procedure.objects.values_list("slug", flat=True))
        clinics = clinics_parse(content_dir / "clinics.yaml", procedure_slugs=known)
    except ContentInvalid as invalid:
        errors += invalid.errors
    if errors:
        raise ContentInvalid(errors)
    return {
        "site": site,
        "procedures": procedures,
        "clinics": clinics,
        "guides": guides,
        "glossary": glossary,
        **translations,
    }


def _translations_parse(content_dir, errors, *, procedures, guides, glossary):
    """The Spanish files: procedures/es/*.md, guides/es/*.md, glossary.es.yaml and site.es.yaml.

    Each page names the English page it translates (`translation_of`), which must exist, once."""
    from ..models import Guide

    found = {"procedures_es": [], "guides_es": [], "glossary_es": [], "site_es": None}
    taken = {"procedures_es": {d.key for d in procedures}, "guides_es": {d.key for d in guides}}
    for name, folder, parse, english_docs, model in (
        ("procedures_es", "procedures", procedure_parse, procedures, Procedure),
        ("guides_es", "guides", guide_parse, guides, Guide),
    ):
        english = {d.key for d in english_docs} | set(
            model.objects.filter(language="en").values_list("slug", flat=True)
        )
        translated = {}
        for path in _procedure_paths(content_dir / folder / "es", errors):
            try:
                document = parse(path, language="es")
            except ContentInvalid as invalid:
                errors += invalid.errors
                continue
            line = document.lines.get("translation_of")
            target = document.state["translation_of"]
            if document.key in taken[name]:
                errors.append(
                    ContentError(path, document.lines.get("slug"), f"The slug {document.key!r} is already used.")
                )
                continue
            if target not in english:
                errors.append(
                    ContentError(
                        path,
                        line,
                        f"`translation_of` names {target!r}, which is not an English page "
                        f"(known: {', '.join(sorted(english)) or 'none'}).",
                    )
                )
                continue
            if target in translated:
                errors.append(
                    ContentError(path, line, f"{target!r} already has a Spanish translation: {translated[target]}.")
                )
                continue
            translated[target] = path.name
            taken[name].add(document.key)
            found[name].append(document)
    english_terms = {" ".join(d.state["term"].split()).casefold() for d in glossary}
    try:
        found["glossary_es"] = glossary_parse(
            content_dir / "glossary.es.yaml", language="es", english_terms=english_terms
        )
    except ContentInvalid as invalid:
        errors += invalid.errors
    try:
        found["site_es"] = site_parse(content_dir / "site.es.yaml", language="es")
    except ContentInvalid as invalid:
        errors += invalid.errors
    return found


def _procedure_paths(folder, errors):
    """The procedures/*.md paths; a symlinked folder, or an .md that is not an ordinary file, is an error."""
    if os.path.islink(folder) or (os.path.lexists(folder) and not folder.is_dir()):
        errors.append(ContentError(folder, None, f"The {folder.name} folder must be an ordinary folder, not a link."))
        return []
    if not folder.is_dir():
        return []
    try:
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except OSError as error:
        errors.append(ContentError(folder, None, f"The folder cannot be read ({error.strerror})."))
        return []
    paths = []
    for entry in entries:
        if not entry.name.endswith(".md") or entry.name.startswith("."):
            continue
        problem = file_problem(entry.path)
        if problem:
            errors.append(ContentError(entry.path, None, problem))
        else:
            paths.append(Path(entry.path))
    return paths
