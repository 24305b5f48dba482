"""Every public page in English and in Spanish: the address says the language, and only the address.

Each page names its language (<html lang>), its own canonical address, its address in each language
(hreflang alternates and x-default), and links to the same page in the other language.
"""

import json
import xml.etree.ElementTree as ET

import pytest
from bs4 import BeautifulSoup

SITE = "https://www.example.org"

# (English address, Spanish address) of the same page.
PAIRS = [
    ("/", "/es/"),
    ("/procedures/si-joint-injection/", "/es/procedures/inyeccion-articulacion-sacroiliaca/"),
    ("/guides/treatment-options/", "/es/guides/opciones-de-tratamiento/"),
    ("/glossary/", "/es/glossary/"),
    ("/clinics/", "/es/clinics/"),
    ("/clinics/?q=55435", "/es/clinics/?q=55435"),
    ("/clinics/edina/", "/es/clinics/edina/"),
]


@pytest.fixture
def site_url(settings):
    settings.SITE_URL = SITE
    return SITE


def page(client, address):
    response = client.get(address)
    assert response.status_code == 200, address
    return response, BeautifulSoup(response.content, "html.parser")


def alternates(soup):
    return {link["hreflang"]: link["href"] for link in soup.select('head link[rel="alternate"][hreflang]')}


@pytest.mark.parametrize(("english", "spanish"), PAIRS)
def test_each_page_names_its_language_and_links_to_itself_in_the_other(client, loaded, site_url, english, spanish):
    for address, language, other_address in ((english, "en", spanish), (spanish, "es", english)):
        response, soup = page(client, address)
        assert soup.html["lang"] == ("es" if language == "es" else "en-US")
        path = address.split("?")[0]
        assert soup.select_one('link[rel="canonical"]')["href"] == SITE + path
        assert alternates(soup) == {
            "en": SITE + english.split("?")[0],
            "es": SITE + spanish.split("?")[0],
            "x-default": SITE + english.split("?")[0],
        }
        switch = soup.select_one(".language-link a")
        assert switch["href"] == other_address.split("?")[0]
        assert switch["hreflang"] == switch["lang"] == ("en" if language == "es" else "es")
        assert switch.get_text(strip=True) == ("English" if language == "es" else "Español")
        assert response["Content-Language"] == language


def test_a_spanish_page_shows_the_spanish_record_and_spanish_headings(client, loaded):
    _response, soup = page(client, "/es/procedures/inyeccion-articulacion-sacroiliaca/")
    assert soup.h1.get_text(strip=True) == "Inyección en la articulación SI"
    headings = [h.get_text(" ", strip=True) for h in soup.select(".procedure__section h2")]
    assert "Resumen" in headings
    assert "Cuándo buscar ayuda médica" in headings
    assert "Overview" not in headings
    panels = soup.select(".help-panel")
    assert [p.select_one(".help-panel__level").get_text(strip=True) for p in panels] == [
        "Emergencia",
        "Urgente",
        "Pronto",
    ]
    assert soup.select_one(".help-panel--emergency a[href='tel:911']").get_text(strip=True) == "Llame al 911"
    # The menu lists the Spanish pages, and the Spanish site texts are used.
    menu = [a["href"] for a in soup.select(".site-nav a")]
    assert "/es/procedures/inyeccion-articulacion-sacroiliaca/" in menu
    assert "/procedures/si-joint-injection/" not in menu
    assert "de lunes a jueves" in soup.get_text()


def test_spanish_home_lists_spanish_pages_only(client, loaded):
    _response, soup = page(client, "/es/")
    links = {a["href"] for a in soup.select("a[href^='/es/procedures/'], a[href^='/procedures/']")}
    assert "/es/procedures/inyeccion-articulacion-sacroiliaca/" in links
    assert not any(link.startswith("/procedures/") for link in links)


def test_a_page_without_a_translation_links_to_the_other_languages_home(client, loaded, site_url):
    _response, soup = page(client, "/procedures/si-joint-fusion/")
    switch = soup.select_one(".language-link a")
    assert switch["href"] == "/es/"
    assert "Español" in switch.get_text()
    assert alternates(soup) == {
        "en": SITE + "/procedures/si-joint-fusion/",
        "x-default": SITE + "/procedures/si-joint-fusion/",
    }


def test_a_page_asked_for_in_the_wrong_language_redirects_to_its_translation(client, loaded):
    response = client.get("/es/procedures/si-joint-injection/")
    assert response.status_code == 302
    assert response["Location"] == "/es/procedures/inyeccion-articulacion-sacroiliaca/"
    response = client.get("/procedures/inyeccion-articulacion-sacroiliaca/")
    assert response.status_code == 302
    assert response["Location"] == "/procedures/si-joint-injection/"
    response = client.get("/es/guides/treatment-options/")
    assert response["Location"] == "/es/guides/opciones-de-tratamiento/"
    # An English page with no Spanish version: the English page, in English.
    response = client.get("/es/procedures/si-joint-fusion/")
    assert response["Location"] == "/procedures/si-joint-fusion/"
    assert client.get("/es/procedures/no-such-page/").status_code == 404


def test_spanish_glossary_uses_spanish_terms_and_spanish_pages_link_them(client, loaded):
    _response, soup = page(client, "/es/glossary/")
    text = soup.get_text(" ")
    assert "esteroide" in text
    assert "Una medicina que calma la hinchazón." in text
    assert "A medicine that calms swelling." not in text
    _response, soup = page(client, "/es/procedures/inyeccion-articulacion-sacroiliaca/")
    links = {a["href"] for a in soup.select("a.glossary-term")}
    assert "/es/glossary/#esteroide" in links
    assert not any(link.startswith("/glossary/") for link in links)
    _response, soup = page(client, "/procedures/si-joint-injection/")
    assert all(a["href"].startswith("/glossary/#") for a in soup.select("a.glossary-term"))


def test_json_ld_names_the_language_of_each_page(client, loaded, site_url):
    for address, language in (
        ("/procedures/si-joint-injection/", "en-US"),
        ("/es/procedures/inyeccion-articulacion-sacroiliaca/", "es-US"),
        ("/guides/treatment-options/", "en-US"),
        ("/es/guides/opciones-de-tratamiento/", "es-US"),
        ("/glossary/", "en-US"),
        ("/es/glossary/", "es-US"),
        ("/es/", "es-US"),
    ):
        _response, soup = page(client, address)
        graph = json.loads(soup.select_one('script[type="application/ld+json"]').string)["@graph"]
        languages = {node["inLanguage"] for node in graph if "inLanguage" in node}
        assert languages == {language}, address
    _response, soup = page(client, "/es/procedures/inyeccion-articulacion-sacroiliaca/")
    graph = json.loads(soup.select_one('script[type="application/ld+json"]').string)["@graph"]
    assert graph[0]["translationOfWork"] == {"@id": SITE + "/procedures/si-joint-injection/"}


def test_sitemap_lists_both_languages_with_alternates(client, loaded, site_url):
    root = ET.fromstring(client.get("/sitemap.xml").content)
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "x": "http://www.w3.org/1999/xhtml"}
    entries = {
        url.find("s:loc", ns).text: {link.get("hreflang"): link.get("href") for link in url.findall("x:link", ns)}
        for url in root.findall("s:url", ns)
    }
    english, spanish = (
        SITE + "/procedures/si-joint-injection/",
        SITE + "/es/procedures/inyeccion-articulacion-sacroiliaca/",
    )
    both = {"en": english, "es": spanish, "x-default": english}
    assert entries[english] == entries[spanish] == both
    assert entries[SITE + "/es/clinics/edina/"] == {
        "en": SITE + "/clinics/edina/",
        "es": SITE + "/es/clinics/edina/",
        "x-default": SITE + "/clinics/edina/",
    }
    assert entries[SITE + "/procedures/si-joint-fusion/"] == {}, "no Spanish version: no alternates"


@pytest.mark.parametrize("address", ["/", "/procedures/si-joint-injection/", "/clinics/edina/"])
def test_the_language_comes_from_the_address_only(client, loaded, address):
    """A Spanish browser, or a cookie naming Spanish, still gets the English page at an English address."""
    plain = client.get(address)
    client.cookies["django_language"] = "es"
    spanish_browser = client.get(address, HTTP_ACCEPT_LANGUAGE="es-MX,es;q=0.9")
    assert spanish_browser.status_code == plain.status_code == 200
    assert BeautifulSoup(spanish_browser.content, "html.parser").html["lang"] == "en-US"
    assert spanish_browser.content == plain.content
    assert "Accept-Language" not in spanish_browser.get("Vary", "")
    english_browser = client.get("/es" + address, HTTP_ACCEPT_LANGUAGE="en-US", follow=True)
    assert BeautifulSoup(english_browser.content, "html.parser").html["lang"] == "es"


def test_no_english_prefix_and_no_spanish_copy_of_the_api_or_the_admin(client, loaded):
    assert client.get("/en/").status_code == 404
    assert client.get("/es/api/clinics/?q=55435").status_code == 404
    assert client.get("/es/sitemap.xml").status_code == 404
    assert client.get("/api/clinics/?q=55435").status_code == 200
    assert client.get("/es").status_code == 301
