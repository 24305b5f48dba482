"""Every patient page type, in Spanish, has no interface text left in English.

How a page is checked: its visible text (text nodes outside script/style/template, plus the aria-label, alt,
title and placeholder attributes, the <title> and the meta description) is collected with html.parser, and
any piece that is an English interface string from locale/es/LC_MESSAGES/django.po (a msgid whose Spanish
msgstr differs) fails the test: it was shown without going through the translation. Page content written
in Markdown (procedure sections, guide bodies, glossary definitions, the footer's urgent-care and
disclaimer text) is translated as content files, not here, so those areas are skipped.

Until the Spanish addresses (/es/...) exist, the pages are rendered at their English address with
translation.override("es"). Once /es/ routes, `spanish_url` finds each page's Spanish address (its
hreflang="es" alternate, or /es + the path) and requests it as a patient would, with no override.
"""

import re
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import RequestFactory
from django.urls import Resolver404, resolve
from django.utils import translation

from tests.test_translations import messages

pytestmark = pytest.mark.django_db

# Markdown content areas (translated as content, not as interface text) and proper nouns.
CONTENT_CLASSES = {
    "procedure__section",
    "guide__body",
    "glossary__terms",
    "urgent",
    "disclaimer",
    "clinic-card__address",
}
SKIPPED_ELEMENTS = {"script", "style", "template", "noscript"}
TEXT_ATTRIBUTES = ("aria-label", "alt", "title", "placeholder")
VOID_ELEMENTS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class VisibleText(HTMLParser):
    """The pieces of text a patient sees or hears from a page (outside the skipped areas)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.pieces = []
        self._skipping = []  # a stack of the open elements, True where text is skipped
        self._in_title = False

    def _skipped(self):
        return any(self._skipping)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        classes = set((attributes.get("class") or "").split())
        if tag == "meta" and attributes.get("name") == "description" and attributes.get("content"):
            self.pieces.append(attributes["content"])
        if tag == "title":
            self._in_title = True
        if not self._skipped():
            self.pieces.extend(attributes[name] for name in TEXT_ATTRIBUTES if attributes.get(name))
        if tag not in VOID_ELEMENTS:
            # Text marked as English on purpose (the language link, "English", lang="en") is not a leftover.
            english_on_purpose = (attributes.get("lang") or "").startswith("en")
            self._skipping.append(tag in SKIPPED_ELEMENTS or bool(classes & CONTENT_CLASSES) or english_on_purpose)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID_ELEMENTS and self._skipping:
            self._skipping.pop()

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False
        if tag not in VOID_ELEMENTS and self._skipping:
            self._skipping.pop()

    def handle_data(self, data):
        text = " ".join(data.split())
        if not text:
            return
        if self._in_title:
            # "<page title> | <organisation>": the page's own title is the interface part.
            self.pieces.extend(part.strip() for part in text.split(" | "))
        elif not self._skipped():
            self.pieces.append(text)


def visible_text(html):
    parser = VisibleText()
    parser.feed(html)
    parser.close()
    return parser.pieces


def _as_pattern(msgid):
    """A msgid with %(name)s placeholders as a regular expression matching any filled-in version."""
    parts = re.split(r"%\(\w+\)[sd]", msgid)
    return re.compile(".+?".join(re.escape(part) for part in parts), re.S)


def english_interface_strings():
    """(exact English strings, patterns for those with placeholders): msgids the catalog translates."""
    exact, patterns = set(), []
    for entry in messages():
        for english in filter(None, (entry["msgid"], entry["msgid_plural"])):
            spanish = entry["msgstr"].get(0)
            if spanish == english or "<" in english:
                continue  # the same in both languages; strings with markup are split across text nodes
            if "%(" in english:
                if len(re.sub(r"%\(\w+\)[sd]", "", english).strip()) >= 4:  # not a bare "%(time)s"
                    patterns.append(_as_pattern(english))
            else:
                exact.add(" ".join(english.split()))
    return exact, patterns


def english_leftovers(html):
    """The visible pieces of a page that are English interface strings."""
    exact, patterns = english_interface_strings()
    return [
        piece for piece in visible_text(html) if piece in exact or any(pattern.fullmatch(piece) for pattern in patterns)
    ]


def spanish_routes_exist():
    try:
        with translation.override("es"):  # i18n_patterns match a prefix only for the language it names
            resolve("/es/")
    except Resolver404:
        return False
    return True


def spanish_url(client, path):
    """Where the Spanish version of an English page lives (once /es/ routes): its hreflang alternate, or /es+path."""
    if path.startswith(("/procedures/", "/guides/")):
        english = client.get(path).content.decode()
        match = re.search(r'<link[^>]+hreflang="es[^"]*"[^>]*href="([^"]+)"', english) or re.search(
            r'<link[^>]+href="([^"]+)"[^>]*hreflang="es[^"]*"', english
        )
        assert match, f"{path} names no Spanish alternate"
        return match.group(1).removeprefix(settings.SITE_URL)
    return "/es" + path


def get_spanish(client, path, **extra):
    """The Spanish page for an English address: via /es/ when it routes, else translation.override("es")."""
    if spanish_routes_exist():
        return client.get(spanish_url(client, path), **extra)
    with translation.override("es"):
        return client.get(path, **extra)


def assert_all_spanish(client, paths, status=200):
    """Render each page in Spanish and fail on any English interface string left on it. Returns the HTML."""
    pages = {}
    for path in paths:
        response = get_spanish(client, path)
        assert response.status_code == status, f"{path} answered {response.status_code}"
        html = response.content.decode()
        assert not english_leftovers(html), f"{path} shows English interface text: {english_leftovers(html)}"
        pages[path] = html
    return pages


# --- The checker itself ------------------------------------------------------------------------------------


def test_the_checker_finds_english_interface_text_and_skips_content():
    page = """<html><head><title>Find a clinic | Cedar Bend</title>
    <meta name="description" content="Please wait a minute before searching again."></head>
    <body><nav aria-label="Breadcrumb"></nav><p>Lines are open Monday to Friday.</p>
    <section class="procedure__section"><p>Sources</p></section><script>var x = "Sources";</script>
    <p>Fuentes</p><img alt="Call us" src="x.png"><p>Cedar Bend</p></body></html>"""
    assert sorted(english_leftovers(page)) == sorted(
        [
            "Find a clinic",
            "Please wait a minute before searching again.",
            "Breadcrumb",
            "Lines are open Monday to Friday.",
            "Call us",
        ]
    )


def test_english_pages_stay_english(client, loaded):
    """The default language is untouched: the English home page has its English interface."""
    html = client.get("/").content.decode()
    assert "Skip to main content" in html
    assert "Find a clinic near you" in html
    assert "Busque una clínica" not in html


# --- Every page type in Spanish ----------------------------------------------------------------------------


def test_the_main_pages_have_no_english_interface_text(client, loaded):
    pages = assert_all_spanish(
        client,
        [
            "/",
            "/procedures/si-joint-injection/",  # the test content translates this page, not fusion
            "/guides/treatment-options/",
            "/glossary/",
            "/clinics/",
            "/clinics/edina/",
        ],
    )
    home = visible_text(pages["/"])
    assert "Ir al contenido principal" in home
    assert "Busque una clínica cerca de usted" in home
    assert "Buscar clínicas" in home, "the finder's button"
    assert "Código postal o ciudad" in home, "the finder's label"
    procedure = visible_text(pages["/procedures/si-joint-injection/"])
    assert "Datos clave" in procedure
    assert "Cuánto dura" in procedure, "key-fact labels are translated"
    assert "Última revisión" in procedure
    assert any(re.fullmatch(r"\d{1,2} de [a-záéíóú]+ de \d{4}", piece) for piece in procedure), "a Spanish date"
    cache.clear()  # the page cache is keyed on the address, and these English pages share it (before /es/ routes)
    for path in ("/", "/procedures/si-joint-injection/", "/glossary/", "/clinics/", "/clinics/edina/"):
        english_title = re.search(r"<title>(.*?)</title>", client.get(path).content.decode(), re.S).group(1)
        spanish_title = re.search(r"<title>(.*?)</title>", pages[path], re.S).group(1)
        assert spanish_title != english_title, f"{path}: the page title is not translated"
    clinic = visible_text(pages["/clinics/edina/"])
    assert {"lunes", "martes", "sábado", "domingo"} <= set(clinic), "day names in Spanish"
    assert any("a. m." in piece for piece in clinic), "times as 8 a. m."


def test_finder_results_and_their_wording_in_spanish(client, loaded):
    pages = assert_all_spanish(client, ["/clinics/?q=55435", "/clinics/?q=99950&radius=10"])
    found = visible_text(pages["/clinics/?q=55435"])
    assert any(re.match(r"\d+ clínicas? a 50 millas o menos de 55435", piece) for piece in found), found
    assert any(piece.startswith(("Abierto ahora", "Cerrado ahora")) for piece in found), "open-now sentences"
    assert any(re.fullmatch(r"\d+\.\d millas", piece) for piece in found), "US Spanish writes 0.3, not 0,3"
    far = visible_text(pages["/clinics/?q=99950&radius=10"])
    assert any(piece.startswith("No hay clínicas a 10 millas o menos") for piece in far), far
    assert any(piece.startswith("Buscar a") for piece in far), "the wider-search link"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("q=", "Escriba un código postal o una ciudad para buscar."),
        ("q=00000", "No encontramos el código postal 00000."),
        ("q=5543", "Un código postal tiene 5 números; usted escribió 4."),
        ("q=Portland", "Hay una ciudad llamada Portland en"),
        ("q=Edinna%2C+MN", "No encontramos una ciudad llamada Edinna en Minnesota."),
        ("q=55435&radius=banana", "Elija una distancia de la lista"),
    ],
)
def test_finder_errors_in_spanish(client, loaded, query, message):
    pages = assert_all_spanish(client, [f"/clinics/?{query}"], status=400)
    text = " ".join(visible_text(pages[f"/clinics/?{query}"]))
    assert "Hay un problema con su búsqueda" in text
    assert message in text


def test_too_many_searches_in_spanish(client, loaded, settings):
    settings.SEARCH_RATE_LIMIT = "1/m"
    assert get_spanish(client, "/clinics/?q=55435", REMOTE_ADDR="203.0.113.40").status_code == 200
    response = get_spanish(client, "/clinics/?q=55436", REMOTE_ADDR="203.0.113.40")
    assert response.status_code == 429
    html = response.content.decode()
    assert not english_leftovers(html), english_leftovers(html)
    assert "Demasiadas búsquedas" in visible_text(html)
    assert "Espere un minuto antes de volver a buscar." in visible_text(html), "the meta description"


def test_page_not_found_in_spanish(client, loaded):
    """A missing page under /es/ answers in Spanish (the 404 picks its language from the address)."""
    response = client.get("/es/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert not english_leftovers(html), english_leftovers(html)
    assert "No encontramos la página" in visible_text(html)
    assert "Page not found" in client.get("/no-such-page/").content.decode(), "and in English elsewhere"


def test_the_outage_pages_choose_spanish_from_the_address(loaded):
    """500 and 503 render with no middleware help: an /es/ address gets them in Spanish, others in English."""
    from django.db import OperationalError

    from sijoint_site.views import server_error

    factory = RequestFactory()
    for exception, status, spanish_heading, english_heading in (
        (OperationalError("database away"), 503, "Esta página no está disponible en este momento", "not available"),
        (RuntimeError("bug"), 500, "Lo sentimos, algo salió mal", "Sorry, something went wrong"),
    ):
        try:
            raise exception
        except Exception:
            spanish = server_error(factory.get("/es/clinics/"))
            english = server_error(factory.get("/clinics/"))
        assert spanish.status_code == english.status_code == status
        html = spanish.content.decode()
        assert spanish_heading in html
        assert 'lang="es-US"' in html
        assert 'href="/es/"' in html, "the home link stays in Spanish"
        assert not english_leftovers(html), english_leftovers(html)
        assert english_heading in english.content.decode()
        assert translation.get_language() in ("en-us", "en", None), "the error page leaves the language as it was"


# The Spanish `##` headings the translated procedure files use (issue #16's plan), kind by kind.
SPANISH_HEADINGS = {
    "overview": "Resumen",
    "why": "Por qué se hace",
    "preparation": "Cómo prepararse",
    "during": "Qué pasa durante el procedimiento",
    "risks": "Efectos secundarios y riesgos",
    "recovery": "Recuperación y cuidados",
    "timeline": "Cómo es la recuperación, paso a paso",
    "pain_diary": "Su diario del dolor",
    "follow_up": "Seguimiento",
    "get_help": "Cuándo buscar ayuda médica",
    "faqs": "Preguntas que hacen los pacientes",
    "questions": "Preguntas para su equipo de atención",
}


def test_spanish_section_headings_name_every_section_kind():
    """A Spanish page's `## Resumen` is the overview, and so on for every kind; English headings still work."""
    from procedures.sections import SECTION_HEADING_ES, SECTION_KINDS, section_kind_for_heading

    assert SECTION_HEADING_ES == SPANISH_HEADINGS
    for kind in SECTION_KINDS:
        assert section_kind_for_heading(kind.heading_es) == kind.key
        assert section_kind_for_heading(kind.heading_es.lower() + ":") == kind.key, "any case, a trailing colon"
        assert section_kind_for_heading(kind.heading) == kind.key
    assert section_kind_for_heading("Resumen del procedimiento") is None
