"""A procedure page printed from Chromium is a clean patient leaflet."""

import io
import unicodedata

import pytest
from pypdf import PdfReader

from procedures.caching import site_details
from procedures.models import Procedure
from procedures.sections import SECTION_KINDS


@pytest.mark.parametrize("slug", ["si-joint-injection", "si-joint-fusion"])
def test_printed_procedure_page_is_a_leaflet(site, page_at, slug):
    page = page_at(1280)
    page.goto(f"{site}/procedures/{slug}/")
    pdf = PdfReader(io.BytesIO(page.pdf(format="Letter", print_background=True)))
    text = unicodedata.normalize("NFKC", " ".join(" ".join(p.extract_text() for p in pdf.pages).split()))
    for kind in SECTION_KINDS:
        assert kind.heading in text, f"section heading {kind.heading!r} missing from the print"
    site = site_details()
    assert site.phone in text, "the clinic's phone number"
    assert site.name in text, "the clinic's name"
    assert f"/procedures/{slug}/" in text, "the page's address"
    assert Procedure.objects.get(slug=slug).title in text
    for screen_only in ("Skip to main content", "Find clinics", "On this page", "Find a clinic near you"):
        assert screen_only not in text, f"{screen_only!r} is for the screen, not the leaflet"
    # tests/content's pages are short: a page break per section would still show here.
    assert len(pdf.pages) < len(SECTION_KINDS), f"{len(pdf.pages)} printed pages"
    assert len(pdf.pages) <= MAX_PRINTED_PAGES
    pages = [unicodedata.normalize("NFKC", " ".join(p.extract_text().split())) for p in pdf.pages]
    # No page holds only the page information (the old leaflet's last page held only the footer).
    last = pages[-1].split("Last reviewed")[0]
    assert len(last) > 200, f"the last printed page holds little but the page information: {pages[-1][:200]!r}"
    # Each help panel, each timeline step and the pain diary's table are on one page, never split.
    for fragment in unbreakable_texts(page):
        assert any(fragment in text for text in pages), f"split across printed pages: {fragment[:80]!r}"


MAX_PRINTED_PAGES = 5


def unbreakable_texts(page):
    """The text of each block that must never be split across printed pages, as the PDF extracts it."""
    page.emulate_media(media="print")
    texts = page.evaluate("""() => [...document.querySelectorAll(
        '.help-panel, .timeline__step, .table-scroll table, .faq')].map(e => e.innerText)""")
    page.emulate_media(media="screen")
    fragments = []
    for text in texts:
        words = unicodedata.normalize("NFKC", " ".join(text.split())).split()
        # The first and last few words of the block must share a page (a table's cells extract in order).
        fragments.append(" ".join(words[:3]))
        fragments.append(" ".join(words[-3:]))
    return fragments


def test_printed_help_panels_stay_whole_and_body_text_is_12pt(site, page_at):
    page = page_at(1280)
    page.goto(f"{site}/procedures/si-joint-injection/")
    page.emulate_media(media="print")
    sizes = page.evaluate("""() => ({
        body: getComputedStyle(document.querySelector('.procedure__section p')).fontSize,
        panel: getComputedStyle(document.querySelector('.help-panel')).breakInside,
        table: getComputedStyle(document.querySelector('.table-scroll')).breakInside,
        hidden: ['.finder', '.site-nav', '.site-footer', '.toc'].filter(
            s => document.querySelector(s) && document.querySelector(s).getClientRects().length > 0),
    })""")
    assert sizes["body"] == "16px", "12 pt body text (16 CSS px)"
    assert sizes["panel"] == sizes["table"] == "avoid"
    assert sizes["hidden"] == [], "the finder, the menus and the footer are for the screen"
    pdf = PdfReader(io.BytesIO(page.pdf(format="Letter", print_background=True)))
    texts = [unicodedata.normalize("NFKC", " ".join(p.extract_text().split())) for p in pdf.pages]
    levels = ["Call 911 or go to the emergency room", "Call the clinic now", "Call the clinic in the next few days"]
    for heading in levels:
        assert any(heading in text for text in texts)
    # Panels in order, most urgent first.
    joined = " ".join(texts)
    assert [joined.index(heading) for heading in levels] == sorted(joined.index(heading) for heading in levels)


def test_print_styles_are_black_on_white(site, page_at):
    page = page_at(1280)
    page.goto(f"{site}/procedures/si-joint-fusion/")
    page.emulate_media(media="print")
    colours = page.evaluate("""() => [...document.querySelectorAll('h1, h2, p, li, a, .site-header, body')]
        .filter(e => e.getClientRects().length > 0)  // what is printed, not what print hides
        .map(e => [getComputedStyle(e).color, getComputedStyle(e).backgroundColor])""")
    assert {c for c, _ in colours} <= {"rgb(0, 0, 0)"}
    assert {b for _, b in colours} <= {"rgba(0, 0, 0, 0)", "rgb(255, 255, 255)"}
