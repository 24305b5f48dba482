"""After a search on a phone, the answer is on screen and has focus, with JavaScript off."""

import pytest


@pytest.mark.parametrize(
    ("typed", "expect"),
    [
        ("55435", "clinics within 50 miles of 55435 (Edina, MN)"),
        ("Edina MN", "within 50 miles of Edina, MN"),
        ("5543", "There is a problem with your search"),
        ("Minneapolsi", "There is a problem with your search"),
    ],
)
def test_the_answer_is_in_view_and_focused_after_a_search(site, page_at, typed, expect):
    # Reduced motion: the jump to #results is instant, so a busy machine cannot catch it mid-scroll.
    page = page_at(390, 900, java_script_enabled=False, reduced_motion="reduce")
    page.goto(site + "/clinics/")
    page.fill("input[name=q]", typed)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert page.url.endswith("#results")
    results = page.locator("#results")
    assert expect in " ".join(results.inner_text().split())
    # The browser jumps to #results once the page has loaded; give a busy machine a moment to get there.
    page.wait_for_function(
        "() => { const top = document.getElementById('results').getBoundingClientRect().top;"
        " return top >= 0 && top < window.innerHeight; }",
        timeout=5000,
    )
    box = results.bounding_box()
    assert 0 <= box["y"] < 900, f"the answer starts on screen, not below the fold: y={box['y']}"
    assert page.evaluate("document.activeElement.id") == "results", "focus moved to the answer"
    page.screenshot(path=f"/tmp/finder-{typed.replace(' ', '-')}.png")


def test_did_you_mean_is_a_link_that_searches(site, page_at):
    page = page_at(390, 900, java_script_enabled=False)
    page.goto(site + "/clinics/?q=Minneapolsi#results")
    page.click("#results .place-choices a:text('Minneapolis, MN')")
    page.wait_for_load_state()
    assert "within 50 miles of Minneapolis, MN" in page.locator("#results-heading").inner_text()
