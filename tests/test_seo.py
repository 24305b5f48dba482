"""What search engines read: titles, descriptions, canonical URLs, Open Graph, sitemap and robots.txt."""

import xml.etree.ElementTree as ET

import pytest
from bs4 import BeautifulSoup
from django.core.cache import cache

from procedures.caching import site_details
from procedures.models import Clinic, Procedure

pytestmark = pytest.mark.django_db

SITE = "https://www.example.org"
PUBLIC_PAGES = [
    "/",
    "/procedures/si-joint-injection/",
    "/procedures/si-joint-fusion/",
    "/clinics/",
    "/clinics/edina/",
    "/clinics/seattle/",
]


@pytest.fixture
def site_url(settings):
    settings.SITE_URL = SITE
    return SITE


def head(client, url):
    return BeautifulSoup(client.get(url).content, "html.parser").head


def test_every_page_has_a_unique_title_description_and_absolute_canonical(client, loaded, site_url):
    titles, descriptions = set(), set()
    site_name = site_details().name
    for url in PUBLIC_PAGES:
        soup = head(client, url)
        title = soup.title.get_text()
        description = soup.find("meta", attrs={"name": "description"})["content"]
        assert title.endswith(f"| {site_name}"), title
        assert 50 <= len(description) <= 200, (url, description)
        titles.add(title)
        descriptions.add(description)
        assert soup.find("link", rel="canonical")["href"] == SITE + url
        og = {tag["property"]: tag["content"] for tag in soup.find_all("meta", property=True)}
        assert og["og:url"] == SITE + url
        assert og["og:title"] in title
        assert og["og:description"] == description
        assert og["og:site_name"] == site_name
        assert og["og:type"] in ("website", "article")
        assert og["og:locale"] == "en_US"
    assert len(titles) == len(descriptions) == len(PUBLIC_PAGES)


def test_finder_results_canonicalise_to_the_finder_and_are_not_indexed(client, loaded, site_url):
    soup = head(client, "/clinics/?q=55435")
    assert soup.find("link", rel="canonical")["href"] == f"{SITE}/clinics/"
    assert soup.find("meta", attrs={"name": "robots"})["content"] == "noindex, follow"
    assert not head(client, "/clinics/").find("meta", attrs={"name": "robots"})


def test_404_has_no_canonical(client, loaded):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert not BeautifulSoup(response.content, "html.parser").find("link", rel="canonical")


def sitemap_urls(client):
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    root = ET.fromstring(response.content)
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    return {url.find("s:loc", ns).text: url.find("s:lastmod", ns) for url in root.findall("s:url", ns)}


def test_sitemap_lists_home_finder_glossary_procedures_guides_and_clinics_with_lastmod(client, loaded, site_url):
    urls = sitemap_urls(client)
    expected = {
        f"{SITE}/",
        f"{SITE}/clinics/",
        f"{SITE}/procedures/si-joint-injection/",
        f"{SITE}/procedures/si-joint-fusion/",
        f"{SITE}/guides/treatment-options/",
        f"{SITE}/glossary/",
    }
    expected |= {f"{SITE}/clinics/{slug}/" for slug in Clinic.objects.listed().values_list("slug", flat=True)}
    # The same pages in Spanish: the same addresses under /es/, the pages by their Spanish slugs.
    expected = {url.replace(f"{SITE}/", f"{SITE}/es/", 1) for url in expected} | expected
    expected -= {f"{SITE}/es/procedures/si-joint-injection/", f"{SITE}/es/guides/treatment-options/"}
    expected -= {f"{SITE}/es/procedures/si-joint-fusion/"}
    expected |= {
        f"{SITE}/es/procedures/inyeccion-articulacion-sacroiliaca/",
        f"{SITE}/es/guides/opciones-de-tratamiento/",
    }
    assert len(expected) > 4, "the clinics are listed"
    assert set(urls) == expected
    assert all(lastmod is not None and lastmod.text[:4] >= "2026" for lastmod in urls.values())


def test_drafts_and_unlisted_clinics_never_appear_in_the_sitemap(client, loaded, site_url):
    assert {f"{SITE}/procedures/si-joint-fusion/", f"{SITE}/clinics/edina/"} <= set(sitemap_urls(client))
    cache.clear()
    Procedure.objects.filter(slug="si-joint-fusion").update(status=Procedure.Status.DRAFT)
    Clinic.objects.filter(slug="edina").update(is_listed=False)
    urls = sitemap_urls(client)
    assert f"{SITE}/procedures/si-joint-fusion/" not in urls
    assert f"{SITE}/clinics/edina/" not in urls
    assert f"{SITE}/procedures/si-joint-injection/" in urls


def test_editing_a_section_moves_the_pages_lastmod(client, loaded, site_url):
    import datetime

    Procedure.objects.filter(slug="si-joint-fusion").update(
        updated_at=datetime.datetime(2026, 1, 2, 12, tzinfo=datetime.UTC)
    )
    before = sitemap_urls(client)[f"{SITE}/procedures/si-joint-fusion/"].text
    assert before == "2026-01-02"
    section = Procedure.objects.get(slug="si-joint-fusion").sections.get(kind="questions")
    section.body += "\n- How long will I be off work?"
    section.save()
    assert sitemap_urls(client)[f"{SITE}/procedures/si-joint-fusion/"].text > before


def test_robots_txt_points_to_the_sitemap_and_keeps_crawlers_out_of_admin_and_api(client, site_url):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    lines = response.content.decode().splitlines()
    assert "Disallow: /admin/" in lines
    assert "Disallow: /api/" in lines
    assert f"Sitemap: {SITE}/sitemap.xml" in lines
