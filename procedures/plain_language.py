"""Plain-language suggestions for what staff write: a plainer word for a hard one, and medical terms to explain.

Two checks, both shown live in the editor and after a save (procedures/checks.py):

- PLAINER_WORDS: a word or phrase with an everyday one that says the same ("utilize" -> "use"). Matched as
  whole words, ignoring case, so "Prior to" and "prior to" are both found and "utilized" is not "utilize".
  Words that are already plain to patients ("discomfort", "medicine", "numb") are deliberately not listed.
- TERMS_TO_EXPLAIN: medical words a patient may not know. A term is fine when it is explained where it is
  used: in a parenthesis right after it ("fluoroscopy (a live X-ray)"), after a dash or comma that starts an
  explanation ("fluoroscopy, which is a live X-ray"), or with "this means", "which is", "which means",
  "called", "also known as", "or" + a plainer word... in the same sentence or the next one. Only the first
  use in a section needs the explanation, so only the first unexplained use is reported.

Simple on purpose: it is a prompt for a person, not a gate; nothing here refuses a save.
"""

import re

from .readability import sentences_with_lines

# hard word or phrase -> the plainer choice. Longer phrases are matched before the words inside them.
PLAINER_WORDS = {
    "utilize": "use",
    "utilise": "use",
    "utilization": "use",
    "prior to": "before",
    "subsequent to": "after",
    "following the procedure": "after the procedure",
    "ambulate": "walk",
    "ambulation": "walking",
    "commence": "start",
    "initiate": "start",
    "terminate": "end or stop",
    "approximately": "about",
    "administer": "give",
    "assist": "help",
    "assistance": "help",
    "in order to": "to",
    "in the event that": "if",
    "due to the fact that": "because",
    "at this point in time": "now",
    "a number of": "some",
    "sufficient": "enough",
    "numerous": "many",
    "obtain": "get",
    "purchase": "buy",
    "request": "ask for",
    "require": "need",
    "demonstrate": "show",
    "indicate": "show",
    "inform": "tell",
    "notify": "tell",
    "endeavor": "try",
    "attempt": "try",
    "facilitate": "help",
    "discontinue": "stop",
    "cease": "stop",
    "adjacent to": "next to",
    "additional": "more",
    "individuals": "people",
    "physician": "doctor",
    "medication": "medicine",
    "oral": "by mouth",
    "posterior": "back",
    "anterior": "front",
    "lateral": "side",
    "bilateral": "on both sides",
    "unilateral": "on one side",
    "ambulatory": "walking",
    "edema": "swelling",
    "erythema": "redness",
    "analgesic": "pain medicine",
    "analgesia": "pain relief",
    "residence": "home",
    "regarding": "about",
    "commencement": "start",
    "optimal": "best",
    "experience discomfort": "feel sore",
}

# Medical terms that need an explanation the first time a section uses them.
TERMS_TO_EXPLAIN = (
    "fluoroscopy",
    "fluoroscopic",
    "sacroiliac",
    "anesthetic",
    "anaesthetic",
    "anesthesia",
    "anaesthesia",
    "arthrodesis",
    "corticosteroid",
    "radiofrequency ablation",
    "ablation",
    "sedation",
    "intravenous",
    "IV",
    "CT scan",
    "MRI",
    "contrast dye",
    "contrast",
    "minimally invasive",
    "percutaneous",
    "bone graft",
    "implant",
    "incision",
    "nerve block",
    "local anesthetic",
    "general anesthetic",
    "pelvis",
    "sciatica",
    "physical therapy",
    "physiotherapy",
    "deep vein thrombosis",
    "DVT",
    "infection",
)
# An everyday word that also happens to be on the list: these are known to patients and need no note.
_EVERYDAY = {"infection", "pelvis", "implant", "contrast"}
TERMS_TO_EXPLAIN = tuple(term for term in TERMS_TO_EXPLAIN if term not in _EVERYDAY)

# Words that, right after a term or early in the next sentence, start its explanation.
_EXPLANATION = re.compile(
    r"^\s*(\(|[,:\u2013\u2014-]\s*(which|that|a|an|the|or|meaning|also)\b|(is|are|means)\s)"
    r"|\b(this means|which is|which means|that is|is called|are called|called|also known as|known as"
    r"|means|is a|is an|are a|is when|is the)\b",
    re.IGNORECASE,
)


def _pattern(phrase):
    # Exact case for short upper-case acronyms (IV, MRI, DVT), otherwise any case; whole words only.
    flags = 0 if phrase.isupper() else re.IGNORECASE
    return re.compile(r"(?<![\w-])" + re.escape(phrase).replace(r"\ ", r"\s+") + r"(?![\w-])", flags)


_LONGEST_FIRST = sorted(PLAINER_WORDS.items(), key=lambda pair: -len(pair[0]))
_PLAINER = [(word, plainer, _pattern(word)) for word, plainer in _LONGEST_FIRST]
_TERMS = [(term, _pattern(term)) for term in sorted(TERMS_TO_EXPLAIN, key=len, reverse=True)]


def _prose_lines(markdown):
    """(line number, text) for each source line a patient reads: code blocks and link targets left out."""
    in_fence = False
    for number, line in enumerate((markdown or "").splitlines(), start=1):
        if line.strip().startswith(("```", "~~~")):
            in_fence = not in_fence
            continue
        if not in_fence:
            yield number, re.sub(r"\]\([^)]*\)", "]", line)


def plainer_word_suggestions(markdown):
    """[{"word", "plainer", "line", "kind": "word"}] for each hard word or phrase, in the order of the text."""
    found = []
    for number, line in _prose_lines(markdown):
        taken = []  # spans already matched by a longer phrase
        for _word, plainer, pattern in _PLAINER:
            for match in pattern.finditer(line):
                if any(start < match.end() and match.start() < end for start, end in taken):
                    continue
                taken.append(match.span())
                found.append(
                    (number, match.start(), {"word": match.group(), "plainer": plainer, "line": number, "kind": "word"})
                )
    return [item for _line, _column, item in sorted(found, key=lambda found_item: found_item[:2])]


def unexplained_terms(markdown):
    """[{"word", "plainer", "line", "kind": "term"}] for each medical term not explained at its first use."""
    sentence_list = sentences_with_lines(markdown)
    found, seen = [], set()
    for index, (line, sentence) in enumerate(sentence_list):
        following = sentence_list[index + 1][1] if index + 1 < len(sentence_list) else ""
        for term, pattern in _TERMS:
            key = term.casefold()
            match = pattern.search(sentence)
            if key in seen or not match:
                continue
            seen.add(key)
            # A longer term already covers this one ("local anesthetic" covers "anesthetic").
            seen.update(other.casefold() for other, _p in _TERMS if other.casefold() in key)
            after = sentence[match.end() :]
            if _EXPLANATION.search(after) or _EXPLANATION.search(sentence[: match.start()]) or _explains(following):
                continue
            found.append(
                {
                    "word": match.group(),
                    "plainer": "explain it in everyday words where it is first used, e.g. in brackets",
                    "kind": "term",
                    "line": _line_of(markdown, match.group(), line),
                }
            )
    return found


def _explains(sentence):
    """The next sentence explains the term when it starts "This means", "It is", "That is"..."""
    return bool(re.match(r"\s*(this|that|it|these|they)\s+(means?|is|are)\b", sentence, re.IGNORECASE))


def _line_of(markdown, word, from_line):
    """The first source line at or after from_line that holds word (a sentence can span lines)."""
    lines = (markdown or "").splitlines()
    pattern = _pattern(word)
    for number in range(from_line, len(lines) + 1):
        if pattern.search(lines[number - 1]):
            return number
    return from_line


def suggestions(markdown):
    """Every plain-language suggestion for a section: plainer words first, then unexplained terms, by line."""
    return sorted(plainer_word_suggestions(markdown) + unexplained_terms(markdown), key=lambda item: item["line"])
