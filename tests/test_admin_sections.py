"""Sections edited one at a time: the page lists them; each has its own screen; adding a missing kind; a
published page keeps its required sections; errors summarised at the top, linked, with the line quoted."""

from bs4 import BeautifulSoup

from procedures.models import Clinic, Procedure, Section
from tests.test_admin_concurrency import (  # noqa: F401
    ana,
    clinic,
    form_data,
    injection,
    open_form,
    page_url,
    saved,
)


def test_the_page_lists_its_sections_each_linking_to_its_own_screen(ana, injection):  # noqa: F811
    page = BeautifulSoup(ana.get(page_url(injection)).content, "html.parser")
    assert page.select_one("textarea[name$='body']") is None, "no section text boxes on the page's own form"
    rows = page.select("tr.page-section-row")
    assert [row["data-kind"] for row in rows] == list(
        Section.objects.filter(procedure=injection).values_list("kind", flat=True)
    )
    overview = Section.objects.get(procedure=injection, kind="overview")
    first = rows[0]
    assert first.select_one("a")["href"] == f"/admin/procedures/section/{overview.pk}/change/"
    assert "Grade" in first.get_text()
    assert "Content files" in first.get_text() or "," in first.get_text(), "who changed it and when"
    # One screen per section: Save at the top and the bottom, a way back, the Markdown widget.
    screen = BeautifulSoup(ana.get(first.select_one("a")["href"]).content, "html.parser")
    assert len(screen.select("input[name=_save]")) == 2
    assert screen.select_one("a.back-to-page")["href"] == page_url(injection)
    assert screen.select_one("textarea[name=body].markdownx-editor") is not None
    assert [a.get_text() for a in screen.select("a.historylink")] == ["History"]
    assert [a.get_text() for a in page.select(".object-tools a.historylink")] == ["History"], "one History link"


def test_adding_a_missing_section_from_the_page(ana, injection):  # noqa: F811
    page = BeautifulSoup(ana.get(page_url(injection)).content, "html.parser")
    add = next(a for a in page.select(".page-sections-missing a") if "Questions to ask" in a.get_text())
    form = open_form(ana, add["href"])
    assert form["kind"] == "questions"
    form["body"] = "- How long will it last?"
    response = ana.post("/admin/procedures/section/add/", form)
    assert response.status_code == 302
    assert response["Location"] == page_url(injection)
    assert Section.objects.get(procedure=injection, kind="questions").body == "- How long will it last?"
    # A kind the page already has cannot be added twice.
    form["body"] = "- Another list."
    response = ana.post("/admin/procedures/section/add/", form)
    assert response.status_code == 200
    assert Section.objects.filter(procedure=injection, kind="questions").count() == 1


def test_a_required_section_of_a_published_page_cannot_be_removed_and_publishing_needs_them(ana, injection):  # noqa: F811
    overview = Section.objects.get(procedure=injection, kind="overview")
    assert ana.get(f"/admin/procedures/section/{overview.pk}/delete/").status_code == 403
    assert Section.objects.filter(procedure=injection).count() == 4, "nothing was deleted"
    # A draft without its required sections cannot be published from the details form.
    Procedure.objects.filter(pk=injection.pk).update(status="draft")
    Section.objects.filter(procedure=injection, kind="get_help").delete()
    form = open_form(ana, page_url(injection))
    form["status"] = "published"
    response = ana.post(page_url(injection), form)
    assert response.status_code == 200
    summary = " ".join(BeautifulSoup(response.content, "html.parser").select_one(".error-summary").get_text().split())
    assert "A published page must have the \u201cWhen to get medical help\u201d" in summary
    assert Procedure.objects.get(pk=injection.pk).status == "draft"


def test_a_markdown_error_is_summarised_at_the_top_linked_with_the_line_quoted(ana, injection):  # noqa: F811
    url = f"/admin/procedures/section/{Section.objects.get(procedure=injection, kind='during').pk}/change/"
    form = open_form(ana, url)
    form["body"] = "You lie on your front.\n\n![](/media/uploads/a.png)\n\nIt takes ten minutes."
    response = ana.post(url, form)
    assert response.status_code == 200
    soup = BeautifulSoup(response.content, "html.parser")
    assert "Please correct" not in soup.get_text()
    summary = soup.select_one(".error-summary")
    assert summary is not None
    item = summary.select_one("li")
    assert item.select_one("a")["href"] == "#id_body"
    assert "What happens during the procedure" in item.get_text(), "names the section"
    assert "Line 3" in item.get_text()
    assert "![](/media/uploads/a.png)" in item.get_text(), "the line, quoted"
    textarea = soup.select_one("textarea#id_body")
    assert textarea["data-error-line"] == "3"
    assert soup.title.get_text().startswith("Not saved:")


def test_a_phone_number_with_an_extension_is_accepted_as_the_loader_accepts_it(ana, clinic):  # noqa: F811
    url = f"/admin/procedures/clinic/{clinic.pk}/change/"
    form = open_form(ana, url)
    form["phone"] = "(612) 555-0100 ext. 12"
    saved(ana.post(url, form))
    clinic = Clinic.objects.get(pk=clinic.pk)
    assert clinic.phone == "(612) 555-0100 ext. 12"
    assert clinic.phone_url == "tel:+16125550100"


def test_a_new_page_is_added_as_a_draft_then_its_sections(ana):  # noqa: F811
    form = open_form(ana, "/admin/procedures/procedure/add/")
    form.update(
        {
            "title": "SI joint ablation",
            "slug": "si-joint-ablation",
            "status": "published",
            "procedure_type": "therapeutic",
            "summary": "Heat that calms the nerves of the joint.",
            "duration": "About an hour",
            "anaesthetic": "Local anesthetic",
            "going_home": "The same day",
            "recovery_time": "A few days",
            "reviewed_by": "Dr Lee",
            "last_reviewed": "2026-01-10",
            "next_review_due": "2027-01-10",
        }
    )
    refused = ana.post("/admin/procedures/procedure/add/", form)
    assert "Keep it a draft, save, add the missing sections" in refused.content.decode()
    form["status"] = "draft"
    response = ana.post("/admin/procedures/procedure/add/", form, follow=True)
    page = Procedure.objects.get(slug="si-joint-ablation")
    assert response.redirect_chain[-1][0] == page_url(page), "straight to the page, to add its sections"
    missing = BeautifulSoup(response.content, "html.parser").select(".page-sections-missing a")
    assert len(missing) == Section._meta.get_field("kind").choices.__len__()
