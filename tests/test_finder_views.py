"""The finder page and its JSON twin, as a patient or another site would use them."""

import html
import zoneinfo

import pytest
from bs4 import BeautifulSoup
from django.utils import timezone

from procedures.finder import DEFAULT_LIMIT
from procedures.geo import origin_for_query, zip_centre
from procedures.models import Clinic
from procedures.opening_hours import opening_status
from tests.test_finder import independent_miles

pytestmark = pytest.mark.django_db

# tests/content/clinics.yaml: the Edina clinic's week, as the page says it, Monday first.
EDINA_WEEK = [
    "8 am to 5 pm",
    "8 am to 5 pm",
    "8 am to noon, 1 pm to 7 pm",
    "8 am to 5 pm",
    "8 am to 4 pm",
    "Closed",
    "Closed",
]
# ... and the Bloomington clinic's, which is not taking new patients.
BLOOMINGTON_WEEK = ["9 am to 5 pm", "9 am to 5 pm", "Closed", "9 am to 5 pm", "9 am to 5 pm", "9 am to noon", "Closed"]


def finder(client, query_string, status=200):
    response = client.get(f"/clinics/?{query_string}")
    assert response.status_code == status, response.content[:500]
    return BeautifulSoup(response.content, "html.parser")


def api(client, query_string, status=200):
    response = client.get(f"/api/clinics/?{query_string}")
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    return response.json()


def test_empty_finder_shows_the_form_without_errors(client, loaded):
    soup = finder(client, "")
    assert soup.find("input", attrs={"name": "q"})
    assert not soup.select(".error-summary")
    assert [o["value"] for o in soup.select("select[name=radius] option")] == ["10", "25", "50", "100", "any"]


def test_results_for_a_real_zip_code(client, loaded):
    origin = origin_for_query("55435")
    in_range = [
        clinic
        for clinic in Clinic.objects.listed().filter(procedures__slug="si-joint-injection")
        if independent_miles(origin.latitude, origin.longitude, clinic.latitude, clinic.longitude) <= 25
    ]
    assert len(in_range) >= 2
    summary = f"{len(in_range)} clinics offering SI joint injection within 25 miles of 55435 (Edina, MN)"
    edina = Clinic.objects.get(slug="edina")
    open_today = EDINA_WEEK[timezone.now().astimezone(zoneinfo.ZoneInfo(edina.timezone)).weekday()]
    soup = finder(client, "q=55435&radius=25&procedure=si-joint-injection")
    heading = soup.select_one("#results-heading")
    region = soup.select_one("#results")
    assert region.name == "section", "the form lands on #results: the answer is in view"
    assert region["tabindex"] == "-1", "and takes focus, so screen readers read it"
    assert not heading.has_attr("role"), "no role=status on a heading (invalid HTML)"
    assert summary in " ".join(heading.get_text().split())
    # One summary sentence is both the heading and the start of the page title.
    assert soup.title.get_text().startswith(f"{summary}: find")
    cards = soup.select(".clinic-card")
    assert len(cards) == len(in_range)
    first = cards[0]
    assert first.select_one(".clinic-card__name a")["href"] == "/clinics/edina/"
    miles = independent_miles(origin.latitude, origin.longitude, edina.latitude, edina.longitude)
    assert f"{miles:.1f} miles" in first.select_one(".clinic-card__distance").get_text()
    assert first.select_one("a[href^='tel:']")["href"] == edina.phone_url
    assert edina.address in first.get_text()
    facts = {dt.get_text(): dt.find_next_sibling("dd").get_text() for dt in first.select(".clinic-card__facts dt")}
    assert facts["Opening times"] == str(opening_status(edina))
    assert facts["Opening times"].startswith(("Open now, closes", "Closed now, opens"))
    assert open_today
    assert first.select_one("a[href^='https://www.google.com/maps/search/']")
    distances = [float(card.select_one(".clinic-card__distance strong").get_text().split()[0]) for card in cards]
    assert distances == sorted(distances)
    assert soup.select_one("select[name=procedure] option[selected]")["value"] == "si-joint-injection"


def test_town_search(client, loaded):
    soup = finder(client, "q=Seattle%2C+WA&radius=10")
    assert "within 10 miles of Seattle, WA" in soup.select_one("#results-heading").get_text()
    assert [a["href"] for a in soup.select(".clinic-card__name a")] == ["/clinics/seattle/"]


def test_no_clinic_in_range_shows_the_nearest_and_how_far(client, loaded):
    soup = finder(client, "q=99950&radius=10")
    text = " ".join(soup.select_one(".results").get_text().split())
    assert f"No clinics within 10 miles of 99950 ({zip_centre('99950').town}, AK)" in text
    assert "The nearest clinic is" in text
    assert "miles away" in text
    # Seattle is beyond 100 miles: a bigger distance on the list cannot help, so "any distance" is offered.
    link = soup.select_one(".results a[href*='radius=any']")
    assert link.get_text() == "Search at any distance"
    assert "Choose a bigger distance" not in text
    assert soup.select_one(".clinic-card__name a")["href"] == "/clinics/seattle/"


@pytest.mark.parametrize(
    ("query_string", "message"),
    [
        ("q=", "Enter a ZIP code or a town"),
        ("q=abc", "We could not find a town called abc"),
        ("q=5543", "A ZIP code has 5 digits; you entered 4"),
        ("q=554351", "A ZIP code has 5 digits; you entered 6"),
        ("q=00000", "We could not find the ZIP code 00000"),
        ("q=55435&radius=banana", "Choose a distance from the list"),
        ("q=55435&radius=-5", "Choose a distance from the list"),
        ("q=55435&procedure=knee-replacement", "Choose a procedure from the list"),
        ("q=" + "9" * 10_000, "too long"),
        ("q=55%00435x", "did not recognise"),
    ],
)
def test_bad_input_gets_a_specific_error_tied_to_its_field(client, loaded, query_string, message):
    soup = finder(client, query_string, status=400)
    summary = soup.select_one(".error-summary")
    assert summary["role"] == "alert"
    assert message in summary.get_text()
    link = summary.select_one("a")["href"]
    field = soup.select_one(link)
    assert field is not None
    assert field["aria-invalid"] == "true"
    assert any(
        message in soup.find(id=part).get_text() for part in field["aria-describedby"].split() if soup.find(id=part)
    )
    assert soup.title.get_text().startswith("Error:")


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script>",
        '"><img src=x onerror=alert(1)>',
        "' OR 1=1; DROP TABLE procedures_clinic; --",
        "55435\x00<b>",
    ],
)
def test_hostile_input_is_never_reflected_unescaped(client, loaded, hostile):
    response = client.get("/clinics/", {"q": hostile, "radius": hostile, "procedure": hostile, "evil": hostile})
    assert response.status_code == 400
    body = response.content.decode()
    assert "<script>alert(1)" not in body
    assert "<img src=x" not in body
    assert "<b>" not in body
    assert "\x00" not in body
    assert client.get("/clinics/?q=55435").status_code == 200, "the clinics table is still there"


def test_unknown_parameters_are_ignored(client, loaded):
    plain = finder(client, "q=55435")
    tagged = finder(client, "q=55435&utm_source=newsletter&page=2")
    assert tagged.select(".clinic-card")
    assert tagged.select_one("#results-heading").get_text() == plain.select_one("#results-heading").get_text()
    assert [a["href"] for a in tagged.select(".clinic-card__name a")] == [
        a["href"] for a in plain.select(".clinic-card__name a")
    ]


def test_api_returns_the_documented_shape(client, loaded):
    data = api(client, "q=55435&radius=25&procedure=si-joint-fusion")
    assert data["origin"] == {
        "query": "55435",
        "label": "55435 (Edina, MN)",
        "latitude": 44.8735,
        "longitude": -93.3346,
    }
    assert data["radius_miles"] == 25
    first = data["results"][0]
    assert set(first) == {
        "name",
        "slug",
        "url",
        "phone",
        "address",
        "latitude",
        "longitude",
        "distance_miles",
        "beyond_radius",
        "procedures",
        "accepting_new_patients",
        "run_by",
        "partner_name",
        "telemedicine",
        "languages",
        "access",
        "time_zone",
        "opening_hours",
        "open_now",
        "opening_status",
    }
    assert first["beyond_radius"] is False
    assert first["address"]["zip"] == "55435"
    assert first["address"]["city"] == "Edina"
    assert set(first["opening_hours"]) == {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}
    assert first["slug"] == "edina"
    assert first["url"].endswith("/clinics/edina/")
    assert all("si-joint-fusion" in result["procedures"] for result in data["results"])
    assert "saint-paul" not in [result["slug"] for result in data["results"]]
    assert [r["distance_miles"] for r in data["results"]] == sorted(r["distance_miles"] for r in data["results"])


def test_api_accepts_zip_and_any_radius(client, loaded):
    # More clinics than one answer holds, so the limit shows.
    template = Clinic.objects.get(slug="rochester")
    for number in range(DEFAULT_LIMIT + 1 - Clinic.objects.listed().count()):
        template.pk, template.slug = None, f"rochester-copy-{number}"
        template.save()
    assert Clinic.objects.listed().count() > DEFAULT_LIMIT
    data = api(client, "zip=98104&radius=any")
    assert data["radius_miles"] is None
    assert data["results"][0]["slug"] == "seattle"
    assert len(data["results"]) == DEFAULT_LIMIT


@pytest.mark.parametrize(
    ("query_string", "field", "code"),
    [
        ("", "q", "required"),
        ("q=", "q", "required"),
        ("q=00000", "q", "not_found"),
        ("zip=1234", "q", "zip_length"),
        ("q=55435&radius=far", "radius", "invalid_choice"),
        ("q=%3Cscript%3E", "q", "invalid"),
        ("q=Duluth", "q", "ambiguous"),
    ],
)
def test_api_errors_are_json_400_naming_field_and_code(client, loaded, query_string, field, code):
    data = api(client, query_string, status=400)
    assert set(data) == {"errors"}
    error = data["errors"][0]
    assert (error["field"], error["code"]) == (field, code)
    assert "<script>" not in html.unescape(error["message"])
    assert "from the list" not in error["message"], "written for a developer, not about the web form"


def test_api_offers_the_nearest_clinics_beyond_the_radius_as_the_page_does(client, loaded):
    data = api(client, "q=10001&radius=25")
    assert data["results"], "the page shows the nearest clinics; so does the API"
    assert all(result["beyond_radius"] for result in data["results"])
    assert data["summary"].startswith("No clinics within 25 miles of 10001")


def test_an_ambiguous_api_query_lists_the_choices(client, loaded):
    error = api(client, "q=Portland", status=400)["errors"][0]
    assert error["code"] == "ambiguous"
    assert error["choices"][0] == "Portland, OR", "nearest clinic first"


def test_clinic_page(client, loaded):
    clinic = Clinic.objects.get(slug="bloomington")
    response = client.get("/clinics/bloomington/")
    assert response.status_code == 200
    soup = BeautifulSoup(response.content, "html.parser")
    assert soup.h1.get_text(strip=True) == clinic.name
    text = " ".join(soup.get_text().split())
    assert "Not taking new patients" in text
    rows = soup.select(".hours dt")
    assert [row.get_text() for row in rows] == [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ]
    assert [row.get_text() for row in soup.select(".hours dd")] == BLOOMINGTON_WEEK
    assert soup.select_one("main a[href^='tel:']")["href"] == clinic.phone_url == "tel:+19525550162"
    assert soup.select_one("main a[href^='mailto:']")
    assert soup.select_one("main a[href^='https://www.google.com/maps/search/']")


def test_unknown_or_unlisted_clinic_is_404(client, loaded):
    assert client.get("/clinics/atlantis/").status_code == 404
    assert client.get("/clinics/edina/").status_code == 200
    edina = Clinic.objects.get(slug="edina")
    edina.is_listed = False
    edina.save()  # as the loader does when its entry leaves clinics.yaml
    assert client.get("/clinics/edina/").status_code == 404


def test_procedure_page_and_home_page_offer_the_finder(client, loaded):
    soup = BeautifulSoup(client.get("/procedures/si-joint-fusion/").content, "html.parser")
    form = soup.select_one("#finder-heading").find_parent("section").form
    assert form["action"] == "/clinics/#results"
    assert form["method"] == "get"
    assert form.select_one("select[name=procedure] option[selected]")["value"] == "si-joint-fusion"
    home = BeautifulSoup(client.get("/").content, "html.parser")
    assert home.select_one("form[action='/clinics/#results'] input[name=q]")


def test_each_clinic_says_who_runs_it_and_which_number_to_call(client, loaded):
    soup = finder(client, "q=98104&radius=10")  # Seattle: a partner clinic in the test content
    card = " ".join(soup.select_one(".clinic-card").get_text().split())
    assert "Partner clinic, run by Sound Test Health, which works with us. To book, call the clinic." in card
    site_phone = soup.select_one(".site-header a[href^='tel:']")["href"]
    assert soup.select_one(".clinic-card .clinic-run-by a")["href"] == site_phone, "advice: the site's number"
    edina = " ".join(BeautifulSoup(client.get("/clinics/edina/").content, "html.parser").get_text().split())
    assert "One of our clinics, run by" in edina
    data = api(client, "q=98104&radius=10")
    assert (data["results"][0]["run_by"], data["results"][0]["partner_name"]) == ("partner", "Sound Test Health")
