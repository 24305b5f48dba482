"""How hard a section is to read: Flesch-Kincaid grade (textstat), per section and per sentence.

The text is graded as a patient reads it: a paragraph wrapped over several lines in the source is one
paragraph; each list item and each heading is a sentence of its own; Markdown symbols, link targets and
images are not words. So a long sentence cannot hide by being wrapped, and the hardest-sentences list
shows whole sentences, never fragments like "buttocks.".
"""

import re

import textstat

TARGET_GRADE = 8.0
SENTENCE_WARNING_GRADE = 12.0  # one sentence this hard gets a warning even when the section's average is fine

_BLOCK_START = re.compile(r"^\s*(#{1,6}\s|>|[-*+]\s|\d+[.)]\s)")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"“(]?[A-Z0-9])")


def _words_only(line):
    line = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", line)  # images
    line = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", line)  # links: their text only
    line = re.sub(r"<[^>]+>", "", line)
    line = re.sub(r"^\s*(#{1,6}|>|[-*+]|\d+[.)])\s*", "", line)
    return line.replace("**", "").replace("__", "").replace("*", "").replace("`", "").strip()


def text_blocks(markdown):
    """Paragraphs (wrapped lines joined), list items and headings, as plain text, in order."""
    blocks, current = [], []
    for line in (markdown or "").splitlines():
        if not line.strip() or line.strip().startswith(("```", "~~~", "|")):
            if current:
                blocks.append(" ".join(current))
            current = []
            continue
        if _BLOCK_START.match(line) and current:
            blocks.append(" ".join(current))
            current = []
        words = _words_only(line)
        if words:
            current.append(words)
        if re.match(r"^\s*#{1,6}\s", line):  # a heading is its own block
            blocks.append(" ".join(current))
            current = []
    if current:
        blocks.append(" ".join(current))
    return [block for block in blocks if block]


def sentences(markdown):
    """Every sentence as a patient reads it; a list item or heading without a full stop is one sentence."""
    found = []
    for block in text_blocks(markdown):
        block = block if block[-1] in ".!?:;" else block + "."
        found += [sentence.strip() for sentence in _SENTENCE_END.split(block) if sentence.strip()]
    return found


def plain_text(markdown):
    """The words a patient reads, one sentence per line."""
    return "\n".join(sentences(markdown))


def reading_grade(markdown):
    text = plain_text(markdown)
    return round(textstat.flesch_kincaid_grade(text), 1) if text.strip() else 0.0


def sentence_grade(sentence):
    return round(textstat.flesch_kincaid_grade(sentence), 1)


def hardest_sentences(markdown, *, limit=3, above=TARGET_GRADE):
    """The sentences above the target grade, hardest first, as (grade, sentence)."""
    graded = [(sentence_grade(sentence), sentence) for sentence in sentences(markdown)]
    return sorted((item for item in graded if item[0] > above), key=lambda item: -item[0])[:limit]


def sentences_too_hard(markdown):
    """Sentences above grade 12: each gets a warning, whatever the section's average."""
    return hardest_sentences(markdown, limit=50, above=SENTENCE_WARNING_GRADE)
