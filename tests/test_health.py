"""Health information patients can trust (issue 13): sources and citations, the three help levels, the
recovery timeline, the options page, the glossary, US dates, and review dates patients may see."""

import datetime
import json
import re

import pytest
import yaml
from bs4 import BeautifulSoup
from django import forms
from django.core.cache import cache

import procedures.admin_health  # noqa: F401  (registers the guide and glossary admins; admin.py imports it too)
from procedures.content import ContentInvalid, content_export, content_load
from procedures.models import ContentVersion, GlossaryTerm, Guide, Procedure, Section
from procedures.sources import SourcesFormField
from tests.conftest import TEST_CONTENT_DIR

INJECTION = "/procedures/si-joint-injection/"
FUSION = "/procedures/si-joint-fusion/"
OPTIONS = "/guides/treatment-options/"


def front_matter(path):
    return yaml.safe_load(path.read_text(encoding="utf-8").split("---")[1])


def soup_of(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, f"{url} answered {response.status_code}"
    return BeautifulSoup(response.content, "html.parser")


def graph(soup):
    return next(json.loads(s.string)["@graph"] for s in soup.find_all("script", type="application/ld+json"))


def replace_in(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(path, needle):
    return next(n for n, line in enumerate(path.read_text().split("\n"), start=1) if needle in line)


def refused(content_dir):
    with pytest.raises(ContentInvalid) as caught:
        content_load(content_dir)
    return str(caught.value)


# --- Sources and citations -----------------------------------------------------------------------------


def test_each_page_ends_with_its_numbered_sources(client, loaded):
    sources = front_matter(TEST_CONTENT_DIR / "procedures/si-joint-injection.md")["sources"]
    soup = soup_of(client, INJECTION)
    items = soup.select("#sources ol > li")
    assert [item["id"] for item in items] == [f"source-{n}" for n in range(1, len(sources) + 1)]
    for item, source in zip(items, sources, strict=True):
        text = " ".join(item.get_text().split())
        assert source["title"] in text
        assert source["publisher"] in text
        assert item.find("a")["href"] == source["url"]
        assert f"checked {source['checked']:%B} {source['checked'].day}, {source['checked'].year}" in text
    assert "checked September 21, 2026" in soup.select_one("#sources").get_text(" ")
    # The sources list is after every section and before the page information.
    body = soup.select_one(".procedure__body")
    order = [child.get("id") or child.get("class", [""])[0] for child in body.find_all(recursive=False)]
    assert order.index("sources") > order.index("questions")


def test_citations_link_to_their_source_with_an_accessible_name(client, loaded):
    soup = soup_of(client, INJECTION)
    risks = soup.select_one("#risks")
    cites = risks.select("a.cite")
    assert [(a["href"], a["aria-label"], a.get_text()) for a in cites] == [
        ("#source-2", "Source 2", "[2]"),
        ("#source-1", "Source 1", "[1]"),
        ("#source-2", "Source 2", "[2]"),
    ], "[2] and then [1, 2] as three links"
    for cite in cites:
        assert soup.select_one(cite["href"]) is not None, "every citation lands on a source"


def test_json_ld_gives_the_sources_as_citations(client, loaded):
    sources = front_matter(TEST_CONTENT_DIR / "procedures/si-joint-injection.md")["sources"]
    page = graph(soup_of(client, INJECTION))[0]
    assert page["citation"] == [
        {
            "@type": "CreativeWork",
            "name": source["title"],
            "publisher": {"@type": "Organization", "name": source["publisher"]},
            "url": source["url"],
        }
        for source in sources
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("old", "new", "needle", "message"),
    [
        (
            "url: https://www.example.org/si-joint-injection",
            "url: www.example.org/si-joint-injection",
            "title: Sacroiliac joint injection",
            "Source 1 has `url` 'www.example.org/si-joint-injection', which is not a web address",
        ),
        (
            "checked: 2026-08-03",
            "checked: 2099-08-03",
            "title: Steroid injections",
            "Source 2 has `checked` 2099-08-03",
        ),
        (
            "    publisher: Test Health Library\n",
            "",
            "title: Steroid injections",
            "Source 2 needs a `publisher`.",
        ),
    ],
)
def test_the_loader_refuses_a_bad_source_naming_file_and_line(content_dir, old, new, needle, message):
    path = content_dir / "procedures/si-joint-injection.md"
    replace_in(path, old, new)
    error = refused(content_dir)
    assert f"si-joint-injection.md, line {line_of(path, needle)}: `sources`: {message}" in error, error


@pytest.mark.django_db
def test_the_loader_refuses_a_citation_with_no_source_naming_file_and_line(content_dir):
    path = content_dir / "procedures/si-joint-injection.md"
    replace_in(path, "for a few days [2].", "for a few days [3].")
    error = refused(content_dir)
    line = line_of(path, "for a few days [3]")
    assert f"si-joint-injection.md, line {line}: The citation [3] points to no source: the page has 2 sources." in error


@pytest.mark.django_db
def test_a_published_page_without_sources_is_refused(content_dir):
    path = content_dir / "procedures/si-joint-fusion.md"
    text = path.read_text()
    path.write_text(re.sub(r"sources:\n(  .*\n)+", "", text).replace(" [1]", ""))
    assert "si-joint-fusion.md, line 4: A published page must list its `sources`" in refused(content_dir)


def test_the_admin_edits_sources_as_lines_and_names_the_bad_line():
    field = SourcesFormField(required=False)
    value = field.clean(
        "SI joint injection | Test Trust | https://www.example.org/a | 2026-09-21\n\n"
        "Steroids | Test Library | https://www.example.org/b | 2026-01-02"
    )
    assert value == [
        {
            "title": "SI joint injection",
            "publisher": "Test Trust",
            "url": "https://www.example.org/a",
            "checked": "2026-09-21",
        },
        {"title": "Steroids", "publisher": "Test Library", "url": "https://www.example.org/b", "checked": "2026-01-02"},
    ]
    assert (
        field.prepare_value(value).split("\n")[1] == "Steroids | Test Library | https://www.example.org/b | 2026-01-02"
    )
    with pytest.raises(forms.ValidationError) as caught:
        field.clean("A | B | https://www.example.org | 2026-01-01\nC | D | ftp://example.org | 2026-01-01\nE | F")
    messages = caught.value.messages
    assert any(m.startswith("Line 2: Source 2 has `url` 'ftp://example.org'") for m in messages), messages
    assert any(m.startswith("Line 3: Source 3 has 2 parts") for m in messages), messages


def test_the_admin_refuses_a_citation_with_no_source(loaded):
    section = Section.objects.get(procedure__slug="si-joint-fusion", kind="overview")
    section.body += "\n\nMost people are glad they had it [4]."
    with pytest.raises(Exception) as caught:
        section.full_clean()
    assert "The citation [4] points to no source: the page has 1 source." in str(caught.value)


# --- When to get medical help: three levels ------------------------------------------------------------


def test_help_comes_in_three_panels_most_urgent_first_with_numbers_to_tap(client, loaded):
    from procedures.caching import site_details

    site = site_details()
    for url in (INJECTION, FUSION):
        panels = soup_of(client, url).select("#get-help .help-panel")
        assert [p.select_one(".help-panel__level").get_text(strip=True) for p in panels] == [
            "Emergency",
            "Urgent",
            "Soon",
        ], "a text label on each panel: not color alone"
        assert [p.h3.get_text() for p in panels] == [
            "Call 911 or go to the emergency room",
            "Call the clinic now",
            "Call the clinic in the next few days",
        ]
        assert [a["href"] for a in panels[0].select("a[href^='tel:']")] == ["tel:911"]
        assert "Call 911" in panels[0].get_text()
        for panel in panels[1:]:
            assert [a["href"] for a in panel.select("a[href^='tel:']")] == [site.phone_url]
            assert site.phone in panel.get_text()
            assert site.opening_hours in panel.get_text()
    urgent = soup_of(client, INJECTION).select("#get-help .help-panel")[1].get_text()
    assert "100.4 °F (38 °C)" in urgent
    assert "When we are closed" in urgent


def test_a_changed_clinic_number_shows_in_the_panels_at_once(client, loaded):
    from procedures.models import SiteDetails

    details = SiteDetails.objects.get()
    details.phone = "(763) 555-0199"
    details.save()
    cache.clear()
    panel = soup_of(client, INJECTION).select("#get-help .help-panel")[1]
    assert panel.select_one("a[href^='tel:']")["href"] == "tel:+17635550199"


@pytest.mark.django_db
def test_the_loader_refuses_help_levels_out_of_order_naming_file_and_line(content_dir):
    path = content_dir / "procedures/si-joint-injection.md"
    replace_in(path, "### Call the clinic now", "### Call the clinic straight away")
    error = refused(content_dir)
    line = line_of(path, "### Call the clinic straight away")
    assert f"si-joint-injection.md, line {line}: This heading should be \u201c### Call the clinic now\u201d" in error


@pytest.mark.django_db
def test_a_draft_may_have_help_in_any_shape(content_dir):
    path = content_dir / "procedures/si-joint-injection.md"
    replace_in(path, "status: published", "status: draft")
    replace_in(path, "### Call the clinic now", "### Call us")
    content_load(content_dir)
    html = Section.objects.get(procedure__slug="si-joint-injection", kind="get_help").body_html
    assert "help-panel" not in html
    assert "<h3>Call us</h3>" in html


def test_the_admin_refuses_a_published_help_section_without_its_levels(loaded):
    section = Section.objects.get(procedure__slug="si-joint-injection", kind="get_help")
    section.body = "Call us if you are worried.\n\n**Call 911 if you cannot move your legs.**"
    with pytest.raises(Exception) as caught:
        section.full_clean()
    assert "The section has no \u201c### Call 911 or go to the emergency room\u201d" in str(caught.value)


# --- Timeline, pain diary, questions patients ask ------------------------------------------------------


def test_recovery_is_a_timeline_of_steps_in_time_order(client, loaded):
    steps = soup_of(client, FUSION).select("#timeline ol.timeline > li.timeline__step")
    assert [step.h3.get_text() for step in steps] == [
        "The first hours",
        "The next day",
        "Week 1",
        "Week 2",
        "Weeks 3 to 6",
        "Months 3 to 6",
    ]


def test_the_pain_diary_is_a_table_and_questions_have_answers(client, loaded):
    soup = soup_of(client, INJECTION)
    diary = soup.select_one("#pain-diary")
    assert diary.select_one(".table-scroll[tabindex='0'] table th").get_text() == "Time after the shot"
    faqs = soup.select("#faqs .faq")
    assert [faq.h3.get_text() for faq in faqs] == ["Does the shot hurt?", "Can I drive home?"]
    assert "drive you home" in faqs[1].select_one(".faq__answer").get_text()
    faq_page = next(item for item in graph(soup) if item["@type"] == "FAQPage")
    assert [q["name"] for q in faq_page["mainEntity"]] == ["Does the shot hurt?", "Can I drive home?"]
    assert faq_page["mainEntity"][1]["acceptedAnswer"]["text"] == "No. Ask an adult to drive you home."


# --- The options page ----------------------------------------------------------------------------------


def test_the_options_page_is_served_with_its_sources_and_structured_data(client, loaded):
    soup = soup_of(client, OPTIONS)
    assert soup.h1.get_text() == "Your options for SI joint pain"
    assert soup.select_one(".guide__body .table-scroll table")
    assert soup.select_one("#source-1 a")["href"] == "https://www.example.org/low-back-pain"
    assert soup.select_one(".guide__body a.cite")["href"] == "#source-1"
    page = graph(soup)[0]
    assert page["@type"] == "MedicalWebPage"
    assert page["about"]["name"] == "Sacroiliac joint pain"
    assert page["citation"][0]["url"] == "https://www.example.org/low-back-pain"


def test_the_options_page_is_linked_from_both_procedure_pages_and_home(client, loaded):
    for url in ("/", INJECTION, FUSION):
        links = [a["href"] for a in soup_of(client, url).select("main a")]
        assert OPTIONS in links, url


def test_a_draft_options_page_is_for_staff_only_and_leaves_the_sitemap(client, admin_client, loaded):
    assert "/guides/treatment-options/" in client.get("/sitemap.xml").content.decode()
    Guide.objects.update(status=Guide.Status.DRAFT)
    cache.clear()
    assert client.get(OPTIONS).status_code == 404
    assert admin_client.get(OPTIONS).status_code == 200
    assert "/guides/treatment-options/" not in client.get("/sitemap.xml").content.decode()
    assert OPTIONS not in [a["href"] for a in soup_of(client, "/").select("main a")]


@pytest.mark.django_db
def test_a_guide_citation_with_no_source_is_refused_with_its_line(content_dir):
    path = content_dir / "guides/treatment-options.md"
    replace_in(path, "start with exercise [1].", "start with exercise [2].")
    error = refused(content_dir)
    assert f"treatment-options.md, line {line_of(path, 'exercise [2]')}: The citation [2] points to no source" in error


# --- The glossary --------------------------------------------------------------------------------------


def test_each_term_links_to_its_definition_on_first_use_only(client, loaded):
    soup = soup_of(client, INJECTION)
    links = soup.select(".procedure__body a.glossary-term")
    assert [a["href"] for a in links] == ["/glossary/#pelvis", "/glossary/#steroid"], "once each, in reading order"
    assert links[0]["title"] == "The ring of bones at the bottom of your body that your legs join onto."
    # "steroid" appears again later on the page (Week 1), unlinked.
    assert "The steroid starts to work" in soup.select_one("#timeline").get_text()
    assert not soup.select("#timeline a.glossary-term")
    assert not soup.select("h2 a.glossary-term, h3 a.glossary-term")


def test_the_glossary_page_lists_terms_alphabetically_with_anchors_and_structured_data(client, loaded):
    GlossaryTerm.objects.create(term="X-ray", definition="A picture of the inside of your body.")
    GlossaryTerm.objects.create(term="Anesthetic", definition="Medicine that stops pain.")
    cache.clear()
    soup = soup_of(client, "/glossary/")
    terms = [dt.get_text() for dt in soup.select(".glossary__term dt")]
    assert terms == ["Anesthetic", "pelvis", "sacrum", "steroid", "X-ray"], "alphabetical whatever the case"
    assert [h2.get_text() for h2 in soup.select(".glossary__letter h2")] == ["A", "P", "S", "X"]
    assert soup.select_one("#pelvis").get_text(" ").count("Also called: hip bones") == 1
    term_set = graph(soup)[0]
    assert term_set["@type"] == "DefinedTermSet"
    assert [t["name"] for t in term_set["hasDefinedTerm"]] == terms
    assert term_set["hasDefinedTerm"][1]["url"].endswith("/glossary/#pelvis")
    assert "/glossary/" in client.get("/sitemap.xml").content.decode()


def test_a_glossary_change_renders_the_pages_again(client, loaded):
    assert "/glossary/#pelvis" in Guide.objects.get(language="en").body_html
    before = ContentVersion.read()
    GlossaryTerm.objects.create(term="numbing medicine", definition="Medicine that stops you feeling pain.")
    assert ContentVersion.read() > before
    html = Section.objects.get(procedure__slug="si-joint-injection", kind="overview").body_html
    assert html.count('href="/glossary/#numbing-medicine"') == 1
    assert 'href="/glossary/#numbing-medicine"' in soup_of(client, INJECTION).select_one("#overview").decode()
    GlossaryTerm.objects.get(term="pelvis", language="en").delete()
    assert (
        "/glossary/#pelvis" not in Section.objects.get(procedure__slug="si-joint-injection", kind="overview").body_html
    )
    guide = Guide.objects.get(language="en")
    assert "pelvis" in guide.body
    assert "/glossary/#pelvis" not in guide.body_html


@pytest.mark.django_db
def test_the_loader_refuses_a_term_defined_twice_naming_the_line(content_dir):
    path = content_dir / "glossary.yaml"
    path.write_text(path.read_text() + "\n- term: Sacrum\n  definition: Again.\n")
    assert f"glossary.yaml, line {line_of(path, 'term: Sacrum')}: The term 'Sacrum' is already defined" in refused(
        content_dir
    )


@pytest.mark.django_db
def test_sources_guides_and_glossary_export_and_load_back_the_same(tmp_path):
    content_load(TEST_CONTENT_DIR)
    before = (
        list(Procedure.objects.order_by("slug").values_list("sources", "for_clinical_review")),
        list(Guide.objects.values_list("body", "sources", "for_clinical_review", "status")),
        list(GlossaryTerm.objects.order_by("term").values_list("term", "also_called", "forms", "definition")),
    )
    content_export(tmp_path / "exported")
    assert (tmp_path / "exported/guides/treatment-options.md").exists()
    assert (tmp_path / "exported/glossary.yaml").exists()
    report = content_load(tmp_path / "exported")
    assert report.updated == report.created == report.conflicts == []
    Procedure.objects.all().delete()
    Guide.objects.all().delete()
    GlossaryTerm.objects.all().delete()
    content_load(tmp_path / "exported")
    after = (
        list(Procedure.objects.order_by("slug").values_list("sources", "for_clinical_review")),
        list(Guide.objects.values_list("body", "sources", "for_clinical_review", "status")),
        list(GlossaryTerm.objects.order_by("term").values_list("term", "also_called", "forms", "definition")),
    )
    assert after == before


# --- Words and dates -----------------------------------------------------------------------------------


def test_dates_are_written_the_us_way(client, loaded):
    text = soup_of(client, INJECTION).select_one(".page-info").get_text(" ")
    assert "March 2, 2026" in text
    assert "2 March 2026" not in text


def test_patients_never_see_a_review_date_in_the_past(client, loaded):
    Procedure.objects.filter(slug="si-joint-injection").update(next_review_due=datetime.date(2026, 4, 1))
    cache.clear()
    text = soup_of(client, INJECTION).select_one(".page-info").get_text(" ")
    assert "Next review due" not in text
    assert "April 1, 2026" not in text
    future = datetime.date.today() + datetime.timedelta(days=40)
    Procedure.objects.filter(slug="si-joint-injection").update(next_review_due=future)
    cache.clear()
    text = soup_of(client, INJECTION).select_one(".page-info").get_text(" ")
    assert f"{future:%B} {future.day}, {future.year}" in text


def test_si_is_always_capitalized_in_running_text(client, loaded):
    for url in (INJECTION, FUSION, OPTIONS, "/"):
        text = soup_of(client, url).get_text(" ")
        assert not re.search(r"\bsi joint", text), url


def test_clinic_pages_say_wheelchair_accessible(client, loaded):
    text = soup_of(client, "/clinics/edina/").get_text(" ")
    assert "Wheelchair accessible" in text
    assert "Step-free access" not in text


# --- The admin for guides and the glossary (procedures/admin_health.py) ----------------------------------


def test_staff_add_a_glossary_term_in_the_admin_and_pages_link_it(admin_client, loaded):
    response = admin_client.post(
        "/admin/procedures/glossaryterm/add/",
        {"term": "X-ray", "also_called": "", "forms": "X-rays\nx ray", "definition": "A picture of the inside of you."},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    term = GlossaryTerm.objects.get(term="X-ray")
    assert term.forms == ["X-rays", "x ray"]
    assert term.history.count() == 1
    html = Section.objects.get(procedure__slug="si-joint-injection", kind="during").body_html
    assert html.count('href="/glossary/#x-ray"') == 1


def test_the_guide_admin_names_the_bad_source_line(admin_client, loaded):
    guide = Guide.objects.get(language="en")
    response = admin_client.get(f"/admin/procedures/guide/{guide.pk}/change/")
    assert response.status_code == 200
    text = response.content.decode()
    assert (
        "Low back pain and sciatica (test source) | Test Institute for Care | https://www.example.org/low-back-pain"
        in text
    )
    data = {
        "title": guide.title,
        "slug": guide.slug,
        "status": "published",
        "summary": guide.summary,
        "body": guide.body + "\n\nMore [2].",
        "sources": "One | Two | https://www.example.org/one | 2026-01-01\nBad | Source | not-a-url | 2026-01-01",
        "for_clinical_review": "",
        "reviewed_by": guide.reviewed_by,
        "last_reviewed": "2026-05-04",
        "next_review_due": "2027-05-04",
    }
    response = admin_client.post(f"/admin/procedures/guide/{guide.pk}/change/", data)
    assert response.status_code == 200
    assert "Line 2: Source 2 has `url` &#x27;not-a-url&#x27;" in response.content.decode()
    data["sources"] = "One | Two | https://www.example.org/one | 2026-01-01"
    response = admin_client.post(f"/admin/procedures/guide/{guide.pk}/change/", data)
    assert "The citation [2] points to no source: the page has 1 source." in response.content.decode()
    data["body"] = guide.body
    assert admin_client.post(f"/admin/procedures/guide/{guide.pk}/change/", data).status_code == 302
    guide.refresh_from_db()
    assert guide.sources == [
        {"title": "One", "publisher": "Two", "url": "https://www.example.org/one", "checked": "2026-01-01"}
    ]


def test_deleting_the_section_with_a_terms_first_use_links_its_next_use(loaded):
    sections = Section.objects.filter(procedure__slug="si-joint-injection")
    assert 'href="/glossary/#steroid"' in sections.get(kind="overview").body_html
    assert 'href="/glossary/#steroid"' not in sections.get(kind="timeline").body_html
    sections.get(kind="overview").delete()
    assert 'href="/glossary/#steroid"' in sections.get(kind="timeline").body_html


def test_any_admin_form_that_includes_sources_gets_the_text_editor(loaded):
    from django.forms import modelform_factory

    procedure = Procedure.objects.get(slug="si-joint-fusion")
    form_class = modelform_factory(Procedure, fields=["sources", "for_clinical_review"])
    form = form_class(instance=procedure)
    assert isinstance(form.fields["sources"], SourcesFormField)
    shown = form["sources"].value()
    assert shown.startswith("SI joint fusion (test source) | Test Institute for Care | https://")
    bound = form_class(
        {
            "sources": shown + "\nNew | Publisher | https://www.example.org/new | 2026-02-03",
            "for_clinical_review": "A\n\nB",
        },
        instance=procedure,
    )
    assert bound.is_valid(), bound.errors
    assert len(bound.cleaned_data["sources"]) == 2
    assert bound.cleaned_data["for_clinical_review"] == ["A", "B"]
    procedure.refresh_from_db()  # the valid form above set the new sources on this instance
    assert not form_class({"sources": shown, "for_clinical_review": ""}, instance=procedure).has_changed()
