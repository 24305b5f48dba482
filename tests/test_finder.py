"""The finder without HTTP: ZIP codes and towns to centre points, and clinics in distance order."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from procedures.finder import clinic_search, clinics_near, clinics_nearest
from procedures.geo import PlaceNotFound, distance_miles, origin_for_query
from procedures.models import Clinic

pytestmark = pytest.mark.django_db


def independent_miles(lat1, lon1, lat2, lon2):
    """Spherical law of cosines: a different formula from the finder's haversine, same sphere."""
    p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
    cosine = math.sin(p1) * math.sin(p2) + math.cos(p1) * math.cos(p2) * math.cos(dl)
    return 3958.8 * math.acos(max(-1.0, min(1.0, cosine)))


def test_known_distance_minneapolis_to_chicago():
    # City-hall to city-hall is about 355 miles as the crow flies.
    assert distance_miles(44.9778, -93.2650, 41.8781, -87.6298) == pytest.approx(355, abs=3)


@pytest.mark.parametrize("zip_code", ["55435", "53703", "60611", "98104", "85006", "02114"])
def test_results_are_nearest_first_with_correct_distances(loaded, zip_code):
    origin = origin_for_query(zip_code)
    matches = clinics_near(origin, radius_miles=None, limit=50)
    assert matches
    assert len(matches) == Clinic.objects.listed().count()
    distances = [match.distance_miles for match in matches]
    assert distances == sorted(distances)
    for match in matches:
        expected = independent_miles(origin.latitude, origin.longitude, match.clinic.latitude, match.clinic.longitude)
        assert match.distance_miles == pytest.approx(expected, abs=0.06)


def test_edina_zip_finds_the_twin_cities_clinics_first(loaded):
    matches = clinics_near(origin_for_query("55435"), radius_miles=25)
    slugs = [match.clinic.slug for match in matches]
    assert slugs[0] == "edina"
    # tests/content: five clinics in the Twin Cities; Rochester (about 75 miles) and Seattle are out of range.
    assert set(slugs) == {"edina", "bloomington", "st-louis-park", "minneapolis", "saint-paul"}
    assert all(match.distance_miles <= 25 for match in matches)


def test_radius_excludes_clinics_further_away(loaded):
    origin = origin_for_query("55435")
    ten = clinics_near(origin, radius_miles=10)
    hundred = clinics_near(origin, radius_miles=100)
    assert 0 < len(ten) < len(hundred)
    assert all(match.distance_miles <= 10 for match in ten)
    assert max(match.distance_miles for match in hundred) > 10


def test_procedure_filter_keeps_only_clinics_offering_it(loaded):
    origin = origin_for_query("55102")  # Saint Paul: its clinic offers injections only
    fusion = clinic_search(origin, radius_miles=25, procedure_slug="si-joint-fusion").matches
    injection = clinic_search(origin, radius_miles=25, procedure_slug="si-joint-injection").matches
    fusion_slugs = [match.clinic.slug for match in fusion]
    injection_slugs = [match.clinic.slug for match in injection]
    assert "saint-paul" not in fusion_slugs
    assert "saint-paul" in injection_slugs
    assert "minneapolis" in fusion_slugs, "the fusion-only clinic"
    assert "minneapolis" not in injection_slugs
    assert len(fusion) >= 2
    for match in fusion:
        assert "si-joint-fusion" in [p.slug for p in match.clinic.procedures.all()]
    for match in injection:
        assert "si-joint-injection" in [p.slug for p in match.clinic.procedures.all()]


def test_unlisted_clinics_are_not_found(loaded):
    origin = origin_for_query("55435")
    assert "edina" in [match.clinic.slug for match in clinics_near(origin, radius_miles=25)]
    Clinic.objects.filter(slug="edina").update(is_listed=False)
    slugs = [match.clinic.slug for match in clinics_near(origin_for_query("55435"), radius_miles=25)]
    assert "edina" not in slugs


def test_nearest_anyway_when_nothing_is_in_range(loaded):
    origin = origin_for_query("99950")  # Ketchikan, Alaska
    assert clinics_near(origin, radius_miles=100) == []
    nearest = clinics_nearest(origin, limit=3)
    assert next(match.clinic.slug for match in nearest) == "seattle"
    assert len(nearest) == 3


@pytest.mark.parametrize(
    ("query", "expected_label"),
    [
        # A ZIP code is labelled with its own town: 55435's mail may say Minneapolis, but it is Edina.
        ("55435", "55435 (Edina, MN)"),
        ("55435-1234", "55435 (Edina, MN)"),
        ("\uff15\uff15\uff14\uff13\uff15", "55435 (Edina, MN)"),  # full-width digits
        ("  55435 ", "55435 (Edina, MN)"),
        ("55401", "55401 (Minneapolis, MN)"),
        # Towns as people type them: with or without a comma, state as code or name, any case.
        ("Edina, MN", "Edina, MN"),
        ("edina,mn", "Edina, MN"),
        ("Edina MN", "Edina, MN"),
        ("minneapolis mn", "Minneapolis, MN"),
        ("Saint Paul, Minnesota", "Saint Paul, MN"),
        ("St. Paul, MN", "Saint Paul, MN"),
        ("st paul mn", "Saint Paul, MN"),
        ("Saint Paul, MN", "Saint Paul, MN"),
        ("Ft Myers", "Fort Myers, FL"),
        ("Fort Myers, Florida", "Fort Myers, FL"),
        ("Mt Vernon, WA", "Mount Vernon, WA"),
        ("Kansas City Kansas", "Kansas City, KS"),
        ("New York", "New York, NY"),
        ("Eden Prairie", "Eden Prairie, MN"),
    ],
)
def test_queries_a_patient_might_type(query, expected_label):
    assert origin_for_query(query).label == expected_label


def test_town_centre_is_near_its_zip_codes():
    town = origin_for_query("Madison, WI")
    zip_point = origin_for_query("53703")
    assert distance_miles(town.latitude, town.longitude, zip_point.latitude, zip_point.longitude) < 10


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "Enter a ZIP code or a town"),
        ("5543", "A ZIP code has 5 digits; you entered 4"),
        ("554350", "A ZIP code has 5 digits; you entered 6"),
        ("00000", "We could not find the ZIP code 00000"),
        ("Atlantis, MN", "We could not find a town called Atlantis in Minnesota"),
        ("Springfield", "There is a Springfield in 25 states. Which one do you mean?"),
        ("x" * 10_000, "too long"),
        ("'; DROP TABLE procedures_clinic; --", "did not recognise"),
        ("<script>alert(1)</script>", "did not recognise"),
    ],
)
def test_bad_queries_get_a_specific_message(query, message):
    with pytest.raises(PlaceNotFound, match=message):
        origin_for_query(query)


def test_a_town_in_several_states_offers_each_as_a_choice():
    with pytest.raises(PlaceNotFound) as refused:
        origin_for_query("Duluth")
    assert refused.value.code == "ambiguous"
    assert [origin.label for origin in refused.value.choices] == ["Duluth, GA", "Duluth, KS", "Duluth, MN"]


def test_an_ambiguous_town_prefers_the_state_with_clinics_within_reach(loaded):
    from procedures.finder import prefer_reachable

    # Minneapolis is in Kansas, Minnesota and North Carolina; the clinics are in Minnesota.
    assert origin_for_query("Minneapolis", prefer=prefer_reachable).label == "Minneapolis, MN"


def test_without_clinics_within_reach_the_choices_come_nearest_clinic_first(loaded):
    from procedures.finder import prefer_reachable

    with pytest.raises(PlaceNotFound) as refused:
        origin_for_query("Portland", prefer=prefer_reachable)
    labels = [origin.label for origin in refused.value.choices]
    assert len(labels) > 5
    # No Portland is within 100 miles of a test clinic; Portland, Oregon is nearest one (Seattle).
    assert labels[0] == "Portland, OR"


@pytest.mark.parametrize(
    ("typed", "meant"),
    [("Minneapolsi", "Minneapolis, MN"), ("Edinna, MN", "Edina, MN"), ("Bloomingtn, MN", "Bloomington, MN")],
)
def test_a_spelling_slip_gets_did_you_mean(typed, meant):
    with pytest.raises(PlaceNotFound) as refused:
        origin_for_query(typed)
    assert refused.value.code == "did_you_mean"
    assert meant in [origin.label for origin in refused.value.choices]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=120))
def test_any_text_is_a_place_or_a_patient_message(text):
    refused = None
    try:
        origin = origin_for_query(text)
    except PlaceNotFound as error:
        refused = error
    if refused is None:
        assert -90 <= origin.latitude <= 90
        assert origin.query
    else:
        assert str(refused)
        assert all(choice.query for choice in refused.choices)
