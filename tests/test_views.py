"""Every public page type: what a patient gets, and the status code."""

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import User
from django.core.cache import cache

from procedures.caching import site_details
from procedures.models import Procedure
from procedures.sections import SECTION_KINDS

pytestmark = pytest.mark.django_db


def page(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, f"{url} answered {response.status_code}"
    return BeautifulSoup(response.content, "html.parser")


def assert_shared_layout(soup):
    """What every page has: language, one h1, landmarks, skip link and the tap-to-call number."""
    assert soup.html["lang"] == "en-US"
    assert len(soup.find_all("h1")) == 1
    assert soup.find("main", id="main")
    assert soup.find("header")
    assert soup.find("footer")
    assert soup.find("nav")
    skip = soup.find("a", class_="skip-link")
    assert skip["href"] == "#main"
    phone = soup.select_one(".site-header a[href^='tel:']")
    assert phone, "the phone number sits in the header of every page"
    assert phone["href"] == site_details().phone_url
    assert site_details().phone in phone.get_text()


def test_home_page_explains_the_joints_and_both_procedures(client, loaded):
    soup = page(client, "/")
    assert_shared_layout(soup)
    text = soup.get_text(" ")
    assert "sacrum" in text
    assert "pelvis" in text
    links = {a["href"] for a in soup.select(".cards a")}
    assert links == {"/procedures/si-joint-injection/", "/procedures/si-joint-fusion/"}
    assert "often tried first" in text
    procedures = Procedure.objects.filter(language="en")
    assert len(procedures) == 2
    for procedure in procedures:
        assert procedure.summary in text


@pytest.mark.parametrize("slug", ["si-joint-injection", "si-joint-fusion"])
def test_procedure_page_has_every_part_a_patient_needs(client, loaded, slug):
    procedure = Procedure.objects.get(slug=slug)
    soup = page(client, f"/procedures/{slug}/")
    assert_shared_layout(soup)
    assert soup.h1.get_text(strip=True) == procedure.title
    assert procedure.summary in soup.select_one(".lead").get_text()
    facts = soup.select_one(".key-facts").get_text(" ")
    for value in (procedure.duration, procedure.recovery_time, procedure.going_home):
        assert value in facts
    headings = [h.get_text(strip=True) for h in soup.select(".procedure__section > h2")]
    assert headings == [kind.heading for kind in SECTION_KINDS]
    toc = [a["href"] for a in soup.select(".toc a")]
    assert toc == [f"#{kind.key.replace('_', '-')}" for kind in SECTION_KINDS] + ["#sources"]
    for anchor in toc:
        assert soup.find(id=anchor[1:]), f"the on-this-page link {anchor} goes nowhere"
    info = soup.select_one(".page-info").get_text(" ")
    assert "Last reviewed" in info
    assert procedure.last_reviewed.strftime("%Y-%m-%d") in str(soup.select_one(".page-info"))
    assert "Next review due" in info
    assert procedure.reviewed_by in info
    assert "It is not medical advice." in soup.select_one(".disclaimer").get_text()  # tests/content/site.yaml
    assert soup.select_one("link[rel=canonical]")["href"].endswith(f"/procedures/{slug}/")
    assert soup.find("meta", attrs={"name": "description"})["content"] == procedure.summary
    assert not soup.find("script", src=True), "a procedure page needs no JavaScript"


def test_unknown_procedure_is_a_helpful_404(client, loaded):
    soup = page(client, "/procedures/knee-replacement/", status=404)
    assert soup.h1.get_text(strip=True) == "Page not found"
    assert soup.select_one("main a[href='/']")
    assert soup.select_one("main a[href^='tel:']")["href"] == site_details().phone_url


def test_unpublished_procedure_is_404_for_the_public(client, loaded):
    assert "/procedures/si-joint-fusion/" in str(page(client, "/"))
    cache.clear()
    Procedure.objects.filter(slug="si-joint-fusion").update(status=Procedure.Status.DRAFT)
    page(client, "/procedures/si-joint-fusion/", status=404)
    home = page(client, "/")
    assert "/procedures/si-joint-fusion/" not in str(home), "drafts are not linked from the home page or menu"


def test_staff_see_a_draft_with_a_banner(client, loaded):
    Procedure.objects.filter(slug="si-joint-fusion").update(status=Procedure.Status.DRAFT)
    staff = User.objects.create_user("editor", password="x", is_staff=True)
    client.force_login(staff)
    soup = page(client, "/procedures/si-joint-fusion/")
    assert "Draft preview" in soup.select_one(".draft-banner").get_text()
    published = page(client, "/procedures/si-joint-injection/")
    assert not published.select_one(".draft-banner")


def test_server_error_page_is_in_the_site_look(client, loaded):
    from django.test import RequestFactory

    from sijoint_site.views import server_error

    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    soup = BeautifulSoup(response.content, "html.parser")
    assert soup.h1.get_text(strip=True) == "Sorry, something went wrong"
    assert soup.select_one("a[href^='tel:']")["href"] == site_details().phone_url


def test_stored_html_is_served_without_parsing_markdown(client, loaded, monkeypatch):
    import procedures.markdown

    def fail(*args, **kwargs):
        raise AssertionError("Markdown was parsed during a request")

    monkeypatch.setattr(procedures.markdown.python_markdown, "markdown", fail)
    with pytest.raises(AssertionError, match="Markdown was parsed"):
        procedures.markdown.markdown_to_html("**a**")  # the trap is set
    overview = Procedure.objects.get(slug="si-joint-injection").sections.get(kind="overview").body_html
    assert overview in client.get("/procedures/si-joint-injection/").content.decode()
    page(client, "/")


def test_pages_work_before_any_content_is_loaded(client, db):
    page(client, "/")
    page(client, "/procedures/si-joint-fusion/", status=404)
