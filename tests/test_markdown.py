"""The one Markdown pipeline: what patients get out of what staff type in."""

import pytest

from procedures.markdown import markdown_problems, markdown_to_html


def test_renders_plain_markdown():
    html = markdown_to_html("### After\n\nRest **today**.\n\n- ice packs\n- no driving")
    assert "<h3>After</h3>" in html
    assert "<strong>today</strong>" in html
    assert "<li>ice packs</li>" in html


@pytest.mark.parametrize(
    ("source", "forbidden"),
    [
        ("<script>alert(1)</script>Hello", "<script"),
        ('<img src="x.png" alt="x" onerror="alert(1)">', "onerror"),
        ('<a href="https://example.org" onclick="steal()">site</a>', "onclick"),
        ("[Call us](javascript:alert(1))", "javascript:"),
        ('<a href="JaVaScRiPt:alert(1)">Call us</a>', "javascript"),
        ('<a href="data:text/html;base64,PHNjcmlwdD4=">Open the leaflet</a>', "data:"),
        ('<p style="position:fixed">Looks official</p>', "style="),
        ('<iframe src="https://evil.example"></iframe>', "<iframe"),
        ("<form action='https://evil.example'><input name=password></form>", "<input"),
        ('<svg onload="alert(1)"></svg>', "<svg"),
    ],
)
def test_dangerous_markup_is_removed(source, forbidden):
    assert forbidden.lower() not in markdown_to_html(source).lower()


def test_safe_links_survive():
    html = markdown_to_html("[Call the clinic](tel:+16125550100) or [e-mail us](mailto:hello@example.org)")
    assert 'href="tel:+16125550100"' in html
    assert 'href="mailto:hello@example.org"' in html


def test_script_text_is_not_executable_after_cleaning():
    html = markdown_to_html('Text <b onmouseover="x()">bold</b> and <script>evil()</script>')
    assert "<b>bold</b>" in html
    assert "evil()" not in html


@pytest.mark.parametrize(
    ("source", "line", "expected"),
    [
        ("Intro\n\n![](/media/a.png)", 3, "no alt text"),
        ("See [click here](https://example.org).", 1, "does not say where the link goes"),
        ("See [](https://example.org).", 1, "does not say where the link goes"),
        ("# Big title", 1, "level-1 heading"),
        ("### Fine\n\n##### Skips", 3, "skips a level"),
        ("## Too high", 1, "Use ### for a heading inside a section"),
        ('<img src="/media/a.png">', None, "no alt text"),
        ("![Describe the image for people who cannot see it](/media/a.png)", 1, "Replace the placeholder alt text"),
    ],
)
def test_accessibility_problems_are_found_with_their_line(source, line, expected):
    problems = markdown_problems(source)
    assert problems, f"expected a problem in {source!r}"
    assert problems[0][0] == line
    assert expected in problems[0][1]


def test_good_markdown_has_no_problems():
    source = (
        "### Before\n\n#### On the day\n\n![A nurse checks a dressing](/media/a.png)\n\n[Our clinic list](/clinics/)"
    )
    assert markdown_problems(source) == []


def test_headings_inside_code_blocks_are_ignored():
    assert markdown_problems("```\n# not a heading\n```") == []
