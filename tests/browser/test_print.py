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


def test_print_styles_are_black_on_white(site, page_at):
    page = page_at(1280)
    page.goto(f"{site}/procedures/si-joint-fusion/")
    page.emulate_media(media="print")
    colours = page.evaluate("""() => [...document.querySelectorAll('h1, h2, p, li, a, .site-header, body')]
        .filter(e => e.getClientRects().length > 0)  // what is printed, not what print hides
        .map(e => [getComputedStyle(e).color, getComputedStyle(e).backgroundColor])""")
    assert {c for c, _ in colours} <= {"rgb(0, 0, 0)"}
    assert {b for _, b in colours} <= {"rgba(0, 0, 0, 0)", "rgb(255, 255, 255)"}
