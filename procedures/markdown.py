"""The one Markdown -> safe HTML pipeline: public pages, stored HTML and the admin preview all use it.

Markdown is rendered when a record is saved, never per request. The output is sanitised with nh3
against an allow-list, because staff accounts can be phished: whatever is typed into the admin, no
script, event handler, style or `javascript:` URL reaches a patient's browser.
"""

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
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "abbr": {"title"},
    "ol": {"start"},
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
    html = python_markdown.markdown(text or "", extensions=MARKDOWN_EXTENSIONS, output_format="html")
    html = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    ).strip()
    return _SIZED_IMAGE.sub(_image_with_size, html)


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
