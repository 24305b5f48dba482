"""WCAG 2.2 AA in real Chromium: axe-core on every public page type at phone and desktop widths,
keyboard use, reflow, and pages that work with JavaScript off."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from procedures.sections import SECTION_KINDS

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
PAGES = {
    "home": "/",
    "injection": "/procedures/si-joint-injection/",
    "fusion": "/procedures/si-joint-fusion/",
    "options": "/guides/treatment-options/",
    "glossary": "/glossary/",
    "finder-empty": "/clinics/",
    "finder-results": "/clinics/?q=55435&radius=25",
    "finder-nearest-anyway": "/clinics/?q=99950&radius=10",
    "finder-error": "/clinics/?q=5543",
    "clinic": "/clinics/bloomington/",  # tests/content: not taking new patients, not wheelchair accessible
    "not-found": "/procedures/no-such-page/",
}


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize("name", PAGES)
def test_axe_finds_no_wcag_violations(site, page_at, name, width):
    page = page_at(width)
    page.goto(site + PAGES[name])
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]})
    assert results.violations_count == 0, results.generate_report()


def test_skip_link_is_first_and_moves_focus_to_the_content(site, page_at):
    page = page_at(390)
    page.goto(site + PAGES["injection"])
    page.keyboard.press("Tab")
    skip = page.locator(":focus")
    assert skip.inner_text() == "Skip to main content"
    box = skip.bounding_box()
    assert box, "visible when focused"
    assert box["y"] >= 0, "on screen when focused"
    assert box["height"] >= 24, "a target at least 24 px tall"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def focus_report(page):
    """For the focused element: is a focus indicator drawn, and is it on screen and not covered?"""
    return page.evaluate("""() => {
        const el = document.activeElement;
        const style = getComputedStyle(el);
        const box = el.getClientRects()[0] || el.getBoundingClientRect();  // first line of a wrapped link
        const hit = document.elementFromPoint(box.left + Math.min(box.width / 2, 10), box.top + box.height / 2);
        return {
            tag: el.tagName, text: (el.innerText || el.value || el.name || '').slice(0, 40),
            indicator: style.boxShadow !== 'none' || (style.outlineStyle !== 'none' && style.outlineWidth !== '0px'),
            onScreen: box.bottom > 0 && box.top < window.innerHeight && box.width > 0,
            uncovered: hit !== null && (hit === el || el.contains(hit)),
        };
    }""")


@pytest.mark.parametrize("url", [PAGES["injection"], PAGES["finder-results"]])
@pytest.mark.parametrize("width", [390, 1280])
def test_every_control_shows_visible_focus_that_is_not_hidden(site, page_at, url, width):
    # Reduced motion: no smooth scrolling, so a slow machine cannot leave a focused control mid-scroll.
    page = page_at(width, 700, reduced_motion="reduce")
    page.goto(site + url)
    count = page.evaluate("document.querySelectorAll('a[href], button, input, select, textarea').length")
    assert count > 5, "the page has links and a form to tab through"
    for _ in range(min(count, 60)):
        page.keyboard.press("Tab")
        try:
            page.wait_for_function(
                """() => { const b = document.activeElement.getBoundingClientRect();
                return b.top >= -1 && b.bottom <= window.innerHeight + 1; }""",
                timeout=10000,
            )
        except Exception:
            pytest.fail(f"focus went to a control that never scrolled into view: {focus_report(page)}")
        report = focus_report(page)
        if report["tag"] == "BODY":
            break
        assert report["indicator"], f"no visible focus on {report}"
        assert report["onScreen"], f"focused control off screen: {report}"
        assert report["uncovered"], f"focused control covered: {report}"


def scroll_overflow(page):
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


@pytest.mark.parametrize("name", ["home", "fusion", "finder-results", "clinic"])
def test_reflows_without_horizontal_scrolling_at_320px_and_at_200_percent_text(site, page_at, name):
    narrow = page_at(320, 640)
    narrow.goto(site + PAGES[name])
    assert scroll_overflow(narrow) <= 0, "horizontal scrolling at 320 px"
    for width in (390, 1280):
        page = page_at(width)
        page.goto(site + PAGES[name])
        page.evaluate("document.documentElement.style.fontSize = '200%'")
        assert scroll_overflow(page) <= 0, f"horizontal scrolling with 200% text at {width} px"


def test_finder_error_is_tied_to_the_field(site, page_at):
    page = page_at(390)
    page.goto(site + "/clinics/")
    page.get_by_label("ZIP code or town").fill("5543")
    page.get_by_role("button", name="Find clinics").click()
    field = page.get_by_role("textbox", name="ZIP code or town")
    assert field.get_attribute("aria-invalid") == "true"
    description = page.evaluate(
        "ids => ids.split(' ').map(id => document.getElementById(id).innerText).join(' ')",
        field.get_attribute("aria-describedby"),
    )
    assert "A ZIP code has 5 digits" in description
    assert page.get_by_role("alert").inner_text().startswith("There is a problem")


def test_pages_work_with_javascript_off(site, page_at):
    page = page_at(390, java_script_enabled=False)
    page.goto(site + PAGES["fusion"])
    assert page.locator(".procedure__section").count() == len(SECTION_KINDS)
    assert page.locator("#recovery").is_visible()
    page.get_by_label("ZIP code or town").fill("Edina, MN")
    page.get_by_role("button", name="Find clinics").click()
    assert "/clinics/?q=Edina" in page.url
    assert page.locator(".clinic-card").first.is_visible()
    assert page.locator(".clinic-card__name a").first.get_attribute("href") == "/clinics/edina/"


def test_no_request_leaves_the_site(site, page_at):
    page = page_at(1280)
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    for url in PAGES.values():
        page.goto(site + url)
    assert requested, "the pages made requests"
    assert all(url.startswith(site) for url in requested), [u for u in requested if not u.startswith(site)]
