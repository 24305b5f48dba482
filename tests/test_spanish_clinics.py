"""Clinics whose staff speak Spanish: the finder's filter, the clinic page, the API."""

import pytest
from bs4 import BeautifulSoup

from procedures.caching import _page_key
from procedures.models import Clinic

pytestmark = pytest.mark.django_db


def card_slugs(response):
    soup = BeautifulSoup(response.content, "html.parser")
    return [a["href"].rstrip("/").rsplit("/", 1)[-1] for a in soup.select(".clinic-card__name a")]


@pytest.mark.parametrize("prefix", ["", "/es"])
def test_the_finder_can_show_only_clinics_whose_staff_speak_spanish(client, loaded, content_clinics, prefix):
    speaking = {clinic["slug"] for clinic in content_clinics if "es" in clinic.get("languages", ["en"])}
    everyone = card_slugs(client.get(f"{prefix}/clinics/?q=55435&radius=100"))
    spanish = card_slugs(client.get(f"{prefix}/clinics/?q=55435&radius=100&language=es"))
    assert set(everyone) - set(spanish), "the filter leaves some clinics out"
    assert spanish
    assert set(spanish) <= speaking
    assert set(spanish) == set(everyone) & speaking
    # The box stays ticked, and an unknown value is no filter rather than an error.
    soup = BeautifulSoup(client.get(f"{prefix}/clinics/?q=55435&radius=100&language=es").content, "html.parser")
    assert soup.select_one('input[name="language"][value="es"]').has_attr("checked")
    assert card_slugs(client.get(f"{prefix}/clinics/?q=55435&radius=100&language=fr")) == everyone


def test_the_filter_is_part_of_the_page_cache_key(rf):
    assert _page_key(rf.get("/clinics/?q=55435")) != _page_key(rf.get("/clinics/?q=55435&language=es"))
    assert _page_key(rf.get("/clinics/?q=55435")) != _page_key(rf.get("/es/clinics/?q=55435"))


def test_the_clinic_page_lists_the_languages_staff_speak(client, loaded):
    clinic = Clinic.objects.filter(languages__icontains='"es"').first()
    soup = BeautifulSoup(client.get(clinic.get_absolute_url()).content, "html.parser")
    assert "English, Spanish" in soup.select_one(".clinic-languages").get_text()
    english_only = Clinic.objects.exclude(languages__icontains='"es"').first()
    soup = BeautifulSoup(client.get(english_only.get_absolute_url()).content, "html.parser")
    assert "Spanish" not in soup.select_one(".clinic-languages").get_text()


def test_the_api_returns_languages_and_filters_by_them(client, loaded, content_clinics):
    data = client.get("/api/clinics/?q=55435&radius=100").json()
    languages = {clinic["slug"]: clinic.get("languages", ["en"]) for clinic in content_clinics}
    assert all(result["languages"] == languages[result["slug"]] for result in data["results"])
    filtered = client.get("/api/clinics/?q=55435&radius=100&language=es").json()
    assert filtered["language"] == "es"
    assert filtered["results"]
    assert all("es" in result["languages"] for result in filtered["results"])
    assert len(filtered["results"]) < len(data["results"])
    refused = client.get("/api/clinics/?q=55435&language=fr")
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["field"] == "language"
    spec = client.get("/api/openapi.json").json()
    parameters = spec["paths"]["/api/clinics/"]["get"]["parameters"]
    assert {
        "name": next(p for p in parameters if p["name"] == "language")["name"],
        "enum": next(p for p in parameters if p["name"] == "language")["schema"]["enum"],
    } == {"name": "language", "enum": ["en", "es"]}
