"""The one Markdown -> safe HTML pipeline: public pages, stored HTML and the admin preview all use it.

Markdown is rendered when a record is saved, never per request. The output is sanitised with nh3
against an allow-list, because staff accounts can be phished: whatever is typed into the admin, no
script, event handler, style or `javascript:` URL reaches a patient's browser.
"""

import html as html_lib
import re
from html.parser import HTMLParser

import markdown as python_markdown
import nh3

MARKDOWN_EXTENSIONS = ["tables", "sane_lists", "abbr", "smarty"]

ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "strong",
    "em",
    "b",
    "i",
    "abbr",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "dl",
    "dt",
    "dd",
    "a",
    "img",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    # The structures built at save (help panels, timeline steps, questions and answers):
    "section",
    "div",
    "span",
}
ALLOWED_ATTRIBUTES = {
    # class: citation and glossary links; aria-label: "Source 1" for a citation's "[1]".
    "a": {"href", "title", "class", "aria-label"},
    "img": {"src", "alt", "title", "width", "height"},
    "abbr": {"title"},
    "ol": {"start", "class"},
    "li": {"class"},
    "p": {"class"},
    "section": {"class"},
    "div": {"class"},
    "span": {"class", "aria-hidden"},
    "th": {"scope", "colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto", "tel"}

# Link text that tells a screen-reader user nothing about where the link goes.
VAGUE_LINK_TEXT = {"", "click here", "here", "click", "link", "this link", "read more", "more", "this"}

# What the editor inserts for an uploaded image; saving refuses it until staff describe the image.
PLACEHOLDER_ALT = "Describe the image for people who cannot see it"

# Inside a section the section's own heading is the h2, so sub-headings start at h3.
SECTION_TOP_HEADING_LEVEL = 3


def markdown_to_html(text):
    """Render Markdown to sanitised HTML. The admin preview (MARKDOWNX_MARKDOWNIFY_FUNCTION) uses this too."""
    return content_to_html(text)


def content_to_html(text, *, kind=None, glossary=None, seen=None):
    """Markdown -> sanitised HTML with citations linked, the structure a section kind has (help panels,
    timeline, questions and answers) and, given a glossary, each term's first use linked to its definition.

    `seen` is the set of glossary terms already linked earlier on the same page; it is updated.
    """
    html = python_markdown.markdown(text or "", extensions=MARKDOWN_EXTENSIONS, output_format="html")
    html = text_transform(html, citations_link)
    structure = _STRUCTURES.get(kind)
    if structure:
        html = structure(html)
    if glossary is not None:
        html = glossary.link(html, seen if seen is not None else set())
    html = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    ).strip()
    html = _TABLE.sub(_TABLE_WRAPPED, html)
    return _SIZED_IMAGE.sub(_image_with_size, html)


# Wide tables scroll sideways inside their own focusable box on a phone rather than widening the page.
_TABLE = re.compile(r"<table>(.*?)</table>", re.DOTALL)
_TABLE_WRAPPED = r'<div class="table-scroll" role="region" aria-label="Table" tabindex="0"><table>\1</table></div>'

# --- Text inside the HTML: citations and glossary links never go into headings, links or code. ------

_TAG = re.compile(r"(<[^>]*>)")
_TAG_NAME = re.compile(r"<(/?)([a-zA-Z0-9]+)")
SKIP_TEXT_IN = {"a", "code", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "th", "script", "style"}


def text_transform(html, transform):
    """Apply transform(text) -> html to each run of text that is not inside a heading, link or code."""
    parts, depth = _TAG.split(html), 0
    for index, part in enumerate(parts):
        if index % 2:  # a tag
            name = _TAG_NAME.match(part)
            if name and name.group(2).lower() in SKIP_TEXT_IN:
                depth = max(0, depth + (-1 if name.group(1) else 1))
        elif part and depth == 0:
            parts[index] = transform(part)
    return "".join(parts)


_CITATION = re.compile(r"\[(\d{1,3}(?:\s*,\s*\d{1,3})*)\](?!\()")


def citation_link(number):
    return f'<a href="#source-{number}" class="cite" aria-label="Source {number}">[{number}]</a>'


def citations_link(text):
    """`[1]` -> a link to source 1 at the page end; `[1, 3]` -> two links."""
    return _CITATION.sub(lambda match: "".join(citation_link(int(n)) for n in match.group(1).split(",")), text)


# --- Section structures, built at save ---------------------------------------------------------------

_H3_SPLIT = re.compile(r"(<h3>.*?</h3>)", re.DOTALL)


def _h3_blocks(html):
    """(intro HTML, [(heading text, heading HTML, body HTML), ...]) split on <h3>."""
    parts = _H3_SPLIT.split(html)
    blocks = []
    for index in range(1, len(parts), 2):
        heading = parts[index]
        text = html_lib.unescape(re.sub(r"<[^>]+>", "", heading))
        blocks.append((" ".join(text.split()), heading, parts[index + 1].strip()))
    return parts[0].strip(), blocks


def _timeline(html):
    """Each `### ` step, in time order, as one item of an ordered timeline."""
    intro, steps = _h3_blocks(html)
    if not steps:
        return html
    items = "".join(f'<li class="timeline__step">{heading}{body}</li>' for _text, heading, body in steps)
    return f'{intro}<ol class="timeline">{items}</ol>'


def _faqs(html):
    """Each `### ` question followed by its answer."""
    intro, questions = _h3_blocks(html)
    if not questions:
        return html
    items = "".join(
        f'<div class="faq">{heading}<div class="faq__answer">{body}</div></div>' for _text, heading, body in questions
    )
    return f"{intro}{items}"


def faq_pairs(body_html):
    """[(question, answer as plain text)] from a stored faqs section: for the FAQPage structured data."""
    pairs = []
    for block in re.findall(r'<div class="faq">(.*?)</div></div>', body_html or "", re.DOTALL):
        heading, _, answer = block.partition("</h3>")
        question = html_lib.unescape(re.sub(r"<[^>]+>", "", heading))
        text = html_lib.unescape(re.sub(r"<[^>]+>", " ", answer))
        text = re.sub(r"\s*\[\d+\]", "", " ".join(text.split()))
        pairs.append((" ".join(question.split()), text))
    return pairs


# Where a help panel offers the clinic's own number: the page fills it in from the site details, so a
# changed phone number or opening hours shows at once without re-rendering any section.
CLINIC_CALL_SLOT = '<div class="help-panel__clinic"></div>'
EMERGENCY_CALL = (
    '<p class="help-panel__call"><a class="phone-link phone-link--emergency" href="tel:911">Call 911</a></p>'
)


def _help_panels(html):
    """The three levels of "When to get medical help" as distinct panels, most urgent first.

    Only when the section has exactly the three level headings in order (validation.help_level_problems);
    a draft that does not yet is shown as written.
    """
    from .validation import HELP_LEVELS_ES, help_levels_for

    intro, blocks = _h3_blocks(html)
    levels = help_levels_for([text for text, _h, _b in blocks])
    if levels is None:
        return html
    emergency_call = EMERGENCY_CALL.replace("Call 911", "Llame al 911") if levels is HELP_LEVELS_ES else EMERGENCY_CALL
    panels = []
    for (key, label, _heading), (_text, heading, body) in zip(levels, blocks, strict=True):
        call = emergency_call if key == "emergency" else CLINIC_CALL_SLOT
        panels.append(
            f'<section class="help-panel help-panel--{key}">'
            f'<p class="help-panel__level"><span class="help-panel__icon" aria-hidden="true"></span>{label}</p>'
            f"{heading}{body}{call}</section>"
        )
    return f'{intro}<div class="help-panels">{"".join(panels)}</div>'


_STRUCTURES = {"timeline": _timeline, "faqs": _faqs, "get_help": _help_panels}


# Uploaded images are stored as <name>-<width>x<height>.<ext> (uploads.py); giving the browser the size
# up front stops the text jumping about while the image loads.
_SIZED_IMAGE = re.compile(r'<img (?![^>]*\bwidth=)([^>]*\bsrc="[^"]*-(\d+)x(\d+)\.(?:jpg|png|webp)"[^>]*)>')


def _image_with_size(match):
    return f'<img {match.group(1)} width="{match.group(2)}" height="{match.group(3)}" loading="lazy">'


# A line that opens or closes a fenced code block; the loader uses it too, to skip headings inside code.
FENCE = re.compile(r"^\s*(```|~~~)")
_ATX_HEADING = re.compile(r"^(#{1,6})\s+\S")
_INLINE_LINK = re.compile(r"(!?)\[([^\]]*)\]\(([^)]*)\)")


def markdown_problems(text, *, top_heading_level=SECTION_TOP_HEADING_LEVEL):
    """Accessibility problems in a section's Markdown, as (line number, message) pairs, first line 1.

    Checked: images without alt text, links whose text says nothing ("click here", empty), level-1
    headings, headings above the section's level and headings that skip a level.
    """
    problems = []
    previous_level = top_heading_level - 1
    in_fence = False
    for number, line in enumerate((text or "").splitlines(), start=1):
        if FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        heading = _ATX_HEADING.match(line)
        if heading:
            level = len(heading.group(1))
            if level == 1:
                problems.append((number, "A level-1 heading (# ) is not allowed: the page title is the only h1."))
            elif level < top_heading_level:
                problems.append(
                    (
                        number,
                        f"Use {'#' * top_heading_level} for a heading inside a section: "
                        f"{'#' * level} is the level of the section headings themselves.",
                    )
                )
            elif level > previous_level + 1:
                problems.append(
                    (
                        number,
                        f"This heading skips a level: {'#' * level} follows {'#' * previous_level}. "
                        f"Use {'#' * (previous_level + 1)} instead.",
                    )
                )
            previous_level = level
        for bang, label, _target in _INLINE_LINK.findall(line):
            if bang and not label.strip():
                problems.append((number, "This image has no alt text. Describe the image in the [square brackets]."))
            elif bang and label.strip() == PLACEHOLDER_ALT:
                problems.append((number, "Replace the placeholder alt text with a description of this image."))
            elif not bang and _plain(label) in VAGUE_LINK_TEXT:
                problems.append(
                    (
                        number,
                        f"The link text \u201c{label.strip()}\u201d does not say where the link goes. "
                        "Use words that describe the destination.",
                    )
                )
    problems.extend((None, message) for message in _rendered_problems(markdown_to_html(text)))
    # A problem found both in the source and in the rendered HTML is reported once, with its line.
    seen_without_line = {message for line, message in problems if line is not None}
    return [(line, message) for line, message in problems if line is not None or message not in seen_without_line]


def _plain(label):
    return re.sub(r"[*_`]", "", label).strip().rstrip(".").casefold()


class _RenderedChecker(HTMLParser):
    """Catches what the line checks cannot see: raw HTML images and reference-style links."""

    def __init__(self):
        super().__init__()
        self.problems = []
        self._link_text = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img" and not (attrs.get("alt") or "").strip():
            self.problems.append("This image has no alt text. Describe the image in the [square brackets].")
            if self._link_text is not None:
                self._link_text.append("image")
        elif tag == "img" and self._link_text is not None:
            self._link_text.append(attrs["alt"])
        elif tag == "a":
            self._link_text = []

    def handle_data(self, data):
        if self._link_text is not None:
            self._link_text.append(data)

    def handle_endtag(self, tag):
        if tag == "a" and self._link_text is not None:
            label = "".join(self._link_text)
            if _plain(label) in VAGUE_LINK_TEXT:
                self.problems.append(
                    f"The link text \u201c{label.strip()}\u201d does not say where the link goes. "
                    "Use words that describe the destination."
                )
            self._link_text = None


def _rendered_problems(html):
    checker = _RenderedChecker()
    checker.feed(html)
    return checker.problems


def normalise_markdown(text):
    """One stored form, so the admin, the files and the database compare equal.

    Browsers submit textareas with CRLF; files use LF. Trailing spaces are dropped, except that two or
    more spaces ending a line followed by text are Markdown's hard line break: kept, as exactly two.
    """
    lines = (text or "").replace("\r\n", "\n").split("\n")
    kept = []
    for number, line in enumerate(lines):
        stripped = line.rstrip()
        hard_break = line.endswith("  ") and stripped and number + 1 < len(lines) and lines[number + 1].strip()
        kept.append(stripped + "  " if hard_break else stripped)
    return "\n".join(kept).strip()
