"""The glossary: each term's first use on a page links to its definition, done at save into the stored HTML.

A procedure page's sections are rendered together in reading order, so a term links once per page, in
the first section that uses it. When a glossary term changes, every stored page is rendered again.
"""

import contextlib
import html
import re
import threading

from django.db import transaction
from django.utils.html import strip_tags
from django.utils.text import slugify

from .markdown import content_to_html, text_transform

_deferred = threading.local()


class Glossary:
    """The terms as one pattern: whole words, case-insensitive, the longest name first."""

    def __init__(self, terms, *, language="en"):
        self.prefix = "/es" if language == "es" else ""
        self.by_name = {}
        for term in terms:
            link = (term["anchor"], " ".join(html.unescape(strip_tags(term["definition_html"])).split()))
            for name in (term["term"], *term.get("forms", [])):
                if name.strip():
                    self.by_name[" ".join(name.split()).casefold()] = link
        names = sorted(self.by_name, key=len, reverse=True)
        self.pattern = (
            re.compile(
                r"(?<![\w-])(" + "|".join(re.escape(name).replace(r"\ ", r"\s+") for name in names) + r")(?![\w-])",
                re.IGNORECASE,
            )
            if names
            else None
        )

    def link(self, page_html, seen):
        """Link the first use of each term not in `seen` (anchors already linked on this page); updates seen."""
        if self.pattern is None:
            return page_html

        def replace(match):
            anchor, definition = self.by_name[" ".join(match.group(1).split()).casefold()]
            if anchor in seen:
                return match.group(0)
            seen.add(anchor)
            title = html.escape(definition, quote=True)
            href = f"{self.prefix}/glossary/#{anchor}"
            return f'<a href="{href}" class="glossary-term" title="{title}">{match.group(1)}</a>'

        return text_transform(page_html, lambda text: self.pattern.sub(replace, text))


def glossary_current(language="en"):
    """The glossary of one language: Spanish pages link Spanish terms to /es/glossary/."""
    from .models import GlossaryTerm

    terms = GlossaryTerm.objects.filter(language=language).values("term", "anchor", "forms", "definition_html")
    return Glossary(terms, language=language)


def procedure_sections_render(procedure_id, *, glossary=None):
    """Render a page's sections in reading order and store any HTML that changed. Returns {pk: html}."""
    from .models import Procedure, Section

    if glossary is None:
        language = Procedure.objects.filter(pk=procedure_id).values_list("language", flat=True).first() or "en"
        glossary = glossary_current(language)
    seen, rendered = set(), {}
    for section in Section.objects.filter(procedure_id=procedure_id).order_by("position"):
        body_html = content_to_html(section.body, kind=section.kind, glossary=glossary, seen=seen)
        if body_html != section.body_html:
            Section.objects.filter(pk=section.pk).update(body_html=body_html)
        rendered[section.pk] = body_html
    return rendered


def guide_html(body, *, glossary=None, language="en"):
    """A guide's HTML: each `## ` section gets an anchor for the page's contents list."""
    html = content_to_html(body, glossary=glossary or glossary_current(language), seen=set())
    used = set()

    def anchored(match):
        anchor = slugify(strip_tags(match.group(1))) or "section"
        while anchor in used:
            anchor += "-more"
        used.add(anchor)
        return f'<h2 id="{anchor}">{match.group(1)}</h2>'

    return re.sub(r"<h2>(.*?)</h2>", anchored, html)


def guide_contents(body_html):
    """[(anchor, heading text)] of a stored guide's `## ` sections, for its "On this page" list."""
    return [
        (anchor, html.unescape(strip_tags(text)))
        for anchor, text in re.findall(r'<h2 id="([^"]+)">(.*?)</h2>', body_html or "")
    ]


@contextlib.contextmanager
def rerender_deferred():
    """While loading many terms at once, render the pages once at the end instead of after each term."""
    _deferred.active = getattr(_deferred, "active", 0) + 1
    try:
        yield
    finally:
        _deferred.active -= 1
    if not _deferred.active and getattr(_deferred, "dirty", False):
        _deferred.dirty = False
        pages_rerender()


def pages_rerender():
    """Render every procedure's sections and every guide again against the glossary as it is now."""
    from .models import ContentVersion, Guide, Procedure

    glossaries = {language: glossary_current(language) for language in ("en", "es")}
    with transaction.atomic():
        for procedure_id, language in Procedure.objects.values_list("pk", "language"):
            procedure_sections_render(procedure_id, glossary=glossaries.get(language, glossaries["en"]))
        for guide in Guide.objects.all():
            body_html = guide_html(guide.body, glossary=glossaries.get(guide.language, glossaries["en"]))
            if body_html != guide.body_html:
                Guide.objects.filter(pk=guide.pk).update(body_html=body_html)
        ContentVersion.bump()


def glossary_changed(sender, **kwargs):
    if kwargs.get("raw"):
        return
    if getattr(_deferred, "active", 0):
        _deferred.dirty = True
        return
    pages_rerender()
