"""schema.org JSON-LD: every block parses, has the right types, and matches what the page shows."""

import json

import pytest
from bs4 import BeautifulSoup

from procedures.caching import site_details
from procedures.models import Clinic, Procedure

pytestmark = pytest.mark.django_db


def graph(client, url):
    soup = BeautifulSoup(client.get(url).content, "html.parser")
    blocks = soup.find_all("script", type="application/ld+json")
    assert len(blocks) == 1
    data = json.loads(blocks[0].string)
    assert data["@context"] == "https://schema.org"
    return {item["@type"]: item for item in data["@graph"]}, soup


@pytest.mark.parametrize(
    ("slug", "procedure_type"),
    [
        ("si-joint-fusion", "SurgicalProcedure"),
        ("si-joint-injection", "TherapeuticProcedure"),
    ],
)
def test_procedure_page_is_a_medical_web_page_about_the_procedure(client, loaded, settings, slug, procedure_type):
    procedure = Procedure.objects.get(slug=slug)
    items, soup = graph(client, f"/procedures/{slug}/")
    page = items["MedicalWebPage"]
    assert page["url"] == settings.SITE_URL + f"/procedures/{slug}/"
    assert page["name"] == procedure.title == soup.h1.get_text(strip=True)
    assert page["description"] == procedure.summary
    assert page["inLanguage"] == "en-US"
    assert page["medicalAudience"]["audienceType"] == "Patient"
    assert page["lastReviewed"] == procedure.last_reviewed.isoformat()
    assert page["lastReviewed"] in str(soup.select_one(".page-info"))
    assert page["reviewedBy"] == {"@type": "Person", "name": procedure.reviewed_by}
    assert page["dateModified"].startswith(procedure.updated_at.date().isoformat())
    assert page["publisher"]["name"] == site_details().name
    assert page["publisher"]["telephone"] == site_details().phone
    about = page["about"]
    assert about == page["mainEntity"]
    assert about["@type"] == procedure_type
    assert about["name"] == procedure.title
    assert about["bodyLocation"] == "Sacroiliac joint"
    assert about["procedureType"] == "https://schema.org/PercutaneousProcedure"
    page_text = " ".join(soup.get_text(" ").split())
    for prop in ("preparation", "howPerformed", "followup"):
        assert len(about[prop]) > 20, f"{prop} is missing or empty"
        assert about[prop][:60] in page_text, f"{prop} must be text the page shows"
    crumbs = items["BreadcrumbList"]["itemListElement"]
    assert [c["name"] for c in crumbs] == ["Home", procedure.title]
    assert page["breadcrumb"] == items["BreadcrumbList"]


def test_clinic_page_is_a_medical_clinic(client, loaded):
    clinic = Clinic.objects.get(slug="edina")
    items, soup = graph(client, "/clinics/edina/")
    data = items["MedicalClinic"]
    assert data["name"] == clinic.name == soup.h1.get_text(strip=True)
    assert data["telephone"] == clinic.phone
    assert data["address"]["postalCode"] == "55435"
    assert data["address"]["addressRegion"] == "MN"
    assert (data["geo"]["latitude"], data["geo"]["longitude"]) == (clinic.latitude, clinic.longitude)
    wednesday = [h for h in data["openingHoursSpecification"] if h["dayOfWeek"].endswith("Wednesday")]
    assert [(h["opens"], h["closes"]) for h in wednesday] == [("08:00", "12:00"), ("13:00", "19:00")]
    assert not [h for h in data["openingHoursSpecification"] if h["dayOfWeek"].endswith("Sunday")]
    assert sorted(s["name"] for s in data["availableService"]) == ["SI joint fusion", "SI joint injection"]
    assert data["isAcceptingNewPatients"] is True


def test_home_page_describes_the_organisation(client, loaded):
    items, _soup = graph(client, "/")
    organisation = items["MedicalOrganization"]
    site = site_details()
    assert organisation["name"] == site.name
    assert organisation["telephone"] == site.phone


def test_json_ld_cannot_be_broken_out_of(client, loaded):
    Procedure.objects.filter(slug="si-joint-fusion").update(summary='Bad </script><script>alert(1)</script> & "x"')
    response = client.get("/procedures/si-joint-fusion/")
    soup = BeautifulSoup(response.content, "html.parser")
    block = soup.find("script", type="application/ld+json")
    assert "</script><script>" not in block.string
    assert json.loads(block.string)["@graph"][0]["description"].startswith("Bad </script>")
    assert not [s for s in soup.find_all("script") if s.get("type") != "application/ld+json"]
