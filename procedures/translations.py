"""Spanish translations of English pages: the English words a translation was made from, and what changed since.

A translation stores the hash of its English page's words (`english_version`) and those words
(`english_snapshot`). The English page keeps the hash of its words now (`content_hash`, refreshed at save);
when the two hashes differ, the translation is out of date and staff see the English changes word by word.
"""

import hashlib
import json

from django.db import models
from django.utils.safestring import mark_safe

from .sections import SECTION_HEADING, SECTION_POSITION


def content_snapshot(page):
    """The words of a page that a translation follows: title, summary and text (not status or dates)."""
    from .models import Procedure

    if isinstance(page, Procedure):
        sections = {section.kind: section.body for section in page.sections.all()} if page.pk else {}
        return {
            "title": page.title,
            "summary": page.summary,
            "also_called": list(page.also_called or []),
            "key_facts": [page.duration, page.anaesthetic, page.going_home, page.recovery_time],
            "sections": dict(sorted(sections.items(), key=lambda item: SECTION_POSITION.get(item[0], 99))),
        }
    return {"title": page.title, "summary": page.summary, "body": page.body}


def snapshot_hash(snapshot):
    return hashlib.sha256(json.dumps(snapshot, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def translation_mark_current(translation, *, english=None):
    """Record that the translation now follows the English page as it is now."""
    english = english or translation.translation_of
    if english is None:
        return
    snapshot = english.content_snapshot()
    translation.english_version, translation.english_snapshot = snapshot_hash(snapshot), snapshot
    type(translation).objects.filter(pk=translation.pk).update(
        english_version=translation.english_version, english_snapshot=snapshot
    )


def english_changes(translation):
    """[(part name, diff HTML)] of the English words changed since the translation was made, word by word
    (the history's own diff: changed lines with deleted words in <del> and added words in <ins>)."""
    from .history import text_diff_html

    english = translation.translation_of
    if english is None:
        return []
    old, new = translation.english_snapshot or {}, english.content_snapshot()
    parts = [
        (name, old.get(key, ""), new[key])
        for key, name in (("title", "Title"), ("summary", "Summary"), ("body", "Text"))
        if key in new
    ]
    for key, name in (("also_called", "Also called"), ("key_facts", "Key facts")):
        if key in new:
            parts.append((name, "\n".join(old.get(key, [])), "\n".join(new[key])))
    old_sections, new_sections = old.get("sections", {}), new.get("sections", {})
    for kind in sorted(set(old_sections) | set(new_sections), key=lambda kind: SECTION_POSITION.get(kind, 99)):
        parts.append((SECTION_HEADING.get(kind, kind), old_sections.get(kind, ""), new_sections.get(kind, "")))
    return [(name, mark_safe(text_diff_html(before, after))) for name, before, after in parts if before != after]


def translations_out_of_date(queryset):
    """Translations in the queryset whose English page changed since they were made (one query)."""
    return (
        queryset.exclude(translation_of=None)
        .exclude(translation_of__content_hash="")
        .exclude(english_version=models.F("translation_of__content_hash"))
    )
