"""How hard a section is to read: Flesch-Kincaid grade (textstat), per section and per sentence.

The text is graded as a patient reads it: a paragraph wrapped over several lines in the source is one
paragraph; each list item is a sentence of its own; headings (labels), code, Markdown symbols, link targets
and images are not words; "For example:" is read with what it introduces. So a long sentence cannot hide by
being wrapped, and the hardest-sentences list shows whole sentences, never fragments like "buttocks.".
"""

import re
import threading

import textstat

TARGET_GRADE = 8.0
SENTENCE_WARNING_GRADE = 12.0  # one sentence this hard gets a warning even when the section's average is fine

_BLOCK_START = re.compile(r"^\s*(#{1,6}\s|>|[-*+]\s|\d+[.)]\s)")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"“(¿¡]?[A-ZÁÉÍÓÚÑ0-9])")
_HEADING = re.compile(r"^\s*#{1,6}\s")
# A full stop after these is not the end of a sentence ("Dr. Lee", "e.g. ice"). Case matters: "st." ends one.
ABBREVIATIONS = ("Dr", "Mr", "Mrs", "Ms", "St", "Prof", "vs", "approx", "e.g", "i.e", "E.g", "I.e")
_ABBREVIATION = re.compile(r"(?:^|\s)(?:" + "|".join(re.escape(word) for word in ABBREVIATIONS) + r")\.$")


def _words_only(line):
    line = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", line)  # images
    line = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", line)  # links: their text only
    line = re.sub(r"<[^>]+>", "", line)
    line = re.sub(r"^\s*(#{1,6}|>|[-*+]|\d+[.)])\s*", "", line)
    return line.replace("**", "").replace("__", "").replace("*", "").replace("`", "").strip()


def _blocks_with_lines(markdown):
    """Paragraphs (wrapped lines joined) and list items, each as a list of (line, words) pieces, in order.

    Headings are labels, not sentences, and code blocks are not prose: neither is graded. A paragraph or
    item that ends in a colon ("For example:") introduces the next one and is read with it."""
    blocks, current = [], []
    in_fence = False
    for number, line in enumerate((markdown or "").splitlines(), start=1):
        stripped = line.strip()
        fence = stripped.startswith(("```", "~~~"))
        if fence:
            in_fence = not in_fence
        heading = _HEADING.match(line)
        if fence or in_fence or not stripped or stripped.startswith("|") or heading or _BLOCK_START.match(line):
            if current:
                blocks.append(current)
            current = []
            if fence or in_fence or not stripped or stripped.startswith("|") or heading:
                continue
        words = _words_only(line)
        if words:
            current.append((number, words))
    if current:
        blocks.append(current)
    merged = []
    for block in blocks:
        if merged and merged[-1][-1][1].endswith(":"):
            merged[-1] = merged[-1] + block
        else:
            merged.append(block)
    return merged


def text_blocks(markdown):
    """Paragraphs (wrapped lines joined) and list items, as plain text, in order."""
    return [" ".join(words for _line, words in block) for block in _blocks_with_lines(markdown)]


def _split_sentences(text):
    """(offset, sentence) for each sentence of one block; "Dr. Lee" and "e.g. this" do not end one."""
    pieces, position = [], 0
    for match in _SENTENCE_END.finditer(text):
        before = text[position : match.start()]
        if _ABBREVIATION.search(before):
            continue
        pieces.append((position, before))
        position = match.end()
    pieces.append((position, text[position:]))
    return [(offset, piece.strip()) for offset, piece in pieces if piece.strip()]


def sentences_with_lines(markdown):
    """Every sentence as a patient reads it, as (source line it starts on, first line 1; sentence)."""
    found = []
    for block in _blocks_with_lines(markdown):
        text, starts = "", []  # (offset in text, source line) of each wrapped line
        for line, words in block:
            text += " " if text else ""
            starts.append((len(text), line))
            text += words
        if text[-1] not in ".!?;":
            text = text.rstrip(":") + "."
        for offset, sentence in _split_sentences(text):
            found.append((max(source for start, source in starts if start <= offset), sentence))
    return found


def sentences(markdown):
    """Every sentence as a patient reads it; a list item without a full stop is one sentence."""
    return [sentence for _line, sentence in sentences_with_lines(markdown)]


def plain_text(markdown):
    """The words a patient reads, one sentence per line."""
    return "\n".join(sentences(markdown))


SPANISH_TARGET_EASE = 65.0  # Fernández-Huerta: 60-70 is "normal", higher is easier
_CITATION = re.compile(r"\s*\[\d+(?:\s*,\s*\d+)*\]")
_TEXTSTAT_LANGUAGE = threading.Lock()  # textstat keeps its language in one global setting


def spanish_reading_ease(markdown):
    """Fernández-Huerta reading ease of Spanish text (textstat 0.7.8), read as `reading_grade` reads English:
    wrapped lines joined, list items as sentences, citations like [1] left out. 100 for no text."""
    text = _CITATION.sub("", plain_text(markdown))
    if not text.strip():
        return 100.0
    with _TEXTSTAT_LANGUAGE:
        textstat.set_lang("es")
        try:
            return round(textstat.fernandez_huerta(text), 1)
        finally:
            textstat.set_lang("en_US")


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
