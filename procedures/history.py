"""A page's history for staff: every change to a procedure and its sections, with word-level differences,
and the times as staff read them. Restoring (admin.page_restore_view, signoff.state_at/state_write) is
recorded like any other edit, so nothing is ever lost."""

import difflib
from dataclasses import dataclass

from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import escape
from django.utils.safestring import mark_safe

from .models import Procedure, Section

# Fields whose changes are bookkeeping, not content.
IGNORED_FIELDS = {"updated_at", "created_at", "loaded_state_hash", "body_html", "position", "id", "procedure"}
IGNORED_FIELDS |= {"content_hash", "content_changed_at", "english_snapshot"}  # translation bookkeeping


def local_time_text(moment):
    """A moment as staff read it everywhere in the admin: the site's time zone, named ("September 21, 2026,
    2:05 p.m. CDT"), in the one DATETIME_FORMAT (sijoint_site/formats)."""
    from django.utils.formats import get_format

    return date_format(timezone.localtime(moment), get_format("DATETIME_FORMAT"))


def words_diff_html(old, new):
    """Old -> new text as HTML, deleted words in <del>, added words in <ins>. Everything is escaped."""
    old_words, new_words = str(old or "").split(" "), str(new or "").split(" ")
    parts = []
    matcher = difflib.SequenceMatcher(a=old_words, b=new_words, autojunk=False)
    for operation, a1, a2, b1, b2 in matcher.get_opcodes():
        if operation == "equal":
            parts.append(escape(" ".join(old_words[a1:a2])))
        if operation in ("delete", "replace"):
            parts.append(f"<del>{escape(' '.join(old_words[a1:a2]))}</del>")
        if operation in ("insert", "replace"):
            parts.append(f"<ins>{escape(' '.join(new_words[b1:b2]))}</ins>")
    return " ".join(part for part in parts if part)


def text_diff_html(old, new, *, context=1):
    """A multi-line change: changed lines with words marked, `context` unchanged lines around them,
    and longer unchanged stretches folded to a count, so a one-word edit in a long section is easy to see."""
    old_lines, new_lines = str(old or "").split("\n"), str(new or "").split("\n")
    rows = []
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    opcodes = matcher.get_opcodes()
    for index, (operation, a1, a2, b1, b2) in enumerate(opcodes):
        if operation == "equal":
            lines = [escape(line) for line in old_lines[a1:a2]]
            head = lines[:context] if index > 0 else []
            tail = lines[-context:] if index < len(opcodes) - 1 else []
            folded = len(lines) - len(head) - len(tail)
            if folded > 0:
                rows += [
                    *head,
                    f'<span class="history-fold">… {folded} unchanged line{"s" if folded != 1 else ""} …</span>',
                    *tail,
                ]
            else:
                rows += lines
        elif operation == "replace" and a2 - a1 == b2 - b1:
            rows += [words_diff_html(a, b) for a, b in zip(old_lines[a1:a2], new_lines[b1:b2], strict=False)]
        else:
            rows += [f"<del>{escape(line)}</del>" for line in old_lines[a1:a2] if line]
            rows += [f"<ins>{escape(line)}</ins>" for line in new_lines[b1:b2] if line]
    return mark_safe("<br>".join(rows))


@dataclass
class Change:
    field: str
    diff: str


@dataclass
class TimelineEntry:
    record: object  # a historical record (procedure or section)
    what: str  # "Page details" or the section heading
    changes: list
    model: str  # "procedure" or "section"
    current: bool = False  # the newest version of its record: restoring it would change nothing

    @property
    def restorable(self):
        return not self.current and self.record.history_type != "-"

    @property
    def when(self):
        return self.record.history_date


def _changes(record, previous):
    if previous is None:
        return [Change("", "Created" if record.history_type == "+" else "")]
    if record.history_type == "-":
        return [Change("", "Deleted")]
    delta = record.diff_against(previous)
    return [
        Change(record.instance._meta.get_field(change.field).verbose_name, text_diff_html(change.old, change.new))
        for change in delta.changes
        if change.field not in IGNORED_FIELDS
    ]


def page_timeline(procedure, *, limit=100):
    """Every recorded change to the page and its sections, newest first."""
    entries = []
    records = list(Procedure.history.filter(id=procedure.pk).select_related("history_user").order_by("history_date"))
    for previous, record in zip([None, *records[:-1]], records, strict=False):
        changes = _changes(record, previous)
        if changes:
            entries.append(TimelineEntry(record=record, what="Page details", changes=changes, model="procedure"))
    section_records = (
        Section.history.filter(procedure_id=procedure.pk).select_related("history_user").order_by("id", "history_date")
    )
    last_by_section = {}
    for record in section_records:
        previous = last_by_section.get(record.id)
        changes = _changes(record, previous)
        last_by_section[record.id] = record
        if changes:
            heading = dict(Section._meta.get_field("kind").choices).get(record.kind, record.kind)
            entries.append(TimelineEntry(record=record, what=heading, changes=changes, model="section"))
    entries.sort(key=lambda entry: entry.when, reverse=True)
    seen = set()
    for entry in entries:
        key = (entry.model, entry.record.id)
        entry.current = key not in seen
        seen.add(key)
    return entries[:limit]
