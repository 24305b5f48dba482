"""How hard a section is to read: Flesch-Kincaid grade (textstat) and the sentences that push it up."""

import re

import textstat

TARGET_GRADE = 8.0


def plain_text(markdown):
    """The words a patient reads: no Markdown symbols, link targets or images; one sentence per list item."""
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", markdown or "")
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"<[^>]+>", "", text)
    lines = []
    for line in text.splitlines():
        line = re.sub(r"^\s*(#+|>|[-*+]|\d+[.)])\s*", "", line).replace("*", "").replace("_", " ").strip()
        if line:
            # A heading or list item without a full stop is still a sentence of its own.
            lines.append(line if line[-1] in ".!?:;" else line + ".")
    return "\n".join(lines)


def reading_grade(markdown):
    text = plain_text(markdown)
    return round(textstat.flesch_kincaid_grade(text), 1) if text.strip() else 0.0


def sentences(markdown):
    return [s.strip() for s in re.split(r"(?<=[.!?:;])\s+", plain_text(markdown)) if s.strip()]


def hardest_sentences(markdown, *, limit=3, above=TARGET_GRADE):
    """The sentences above the target grade, hardest first, as (grade, sentence)."""
    graded = [(round(textstat.flesch_kincaid_grade(sentence), 1), sentence) for sentence in sentences(markdown)]
    return sorted((item for item in graded if item[0] > above), key=lambda item: -item[0])[:limit]
