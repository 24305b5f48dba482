"""Loading content/clinics.yaml: the same all-or-nothing validation as the procedure files."""

import re

import pytest

from procedures.content import ContentInvalid, content_load
from procedures.geo import zip_centre
from procedures.models import Clinic, OpeningHours

pytestmark = pytest.mark.django_db


def test_every_clinic_loads_with_structured_hours_and_procedures(content_dir, content_clinics):
    content_load(content_dir)
    assert sorted(Clinic.objects.listed().values_list("slug", flat=True)) == sorted(c["slug"] for c in content_clinics)
    assert set(Clinic.objects.values_list("state", flat=True)) == {c["state"] for c in content_clinics}
    edina = Clinic.objects.get(slug="edina")
    assert edina.phone == "(952) 555-0161"
    assert edina.phone_url == "tel:+19525550161"
    wednesday = OpeningHours.objects.filter(clinic=edina, weekday=2).order_by("opens")
    assert [(f"{p.opens:%H:%M}", f"{p.closes:%H:%M}") for p in wednesday] == [("08:00", "12:00"), ("13:00", "19:00")]
    assert not OpeningHours.objects.filter(clinic=edina, weekday=6).exists(), "Sunday: closed"
    assert sorted(edina.procedures.values_list("slug", flat=True)) == ["si-joint-fusion", "si-joint-injection"]
    offered = {c.slug: sorted(c.procedures.values_list("slug", flat=True)) for c in Clinic.objects.all()}
    assert offered == {c["slug"]: sorted(c["procedures"]) for c in content_clinics}
    assert offered["saint-paul"] == ["si-joint-injection"], "an injection-only clinic"
    assert offered["minneapolis"] == ["si-joint-fusion"], "a fusion-only clinic"


def test_a_clinic_without_coordinates_gets_its_zip_centre(content_dir, content_clinics):
    entry = next(c for c in content_clinics if c["slug"] == "st-louis-park")
    assert "latitude" not in entry
    assert "longitude" not in entry
    content_load(content_dir)
    st_louis_park = Clinic.objects.get(slug="st-louis-park")
    latitude, longitude, *_ = zip_centre(st_louis_park.zip_code)
    assert (st_louis_park.latitude, st_louis_park.longitude) == (pytest.approx(latitude), pytest.approx(longitude))
    assert st_louis_park.timezone == "America/Chicago"
    assert Clinic.objects.get(slug="seattle").timezone == "America/Los_Angeles"


def test_all_test_phone_numbers_are_fictional(content_dir, content_clinics):
    content_load(content_dir)
    phones = list(Clinic.objects.values_list("phone", flat=True))
    assert len(phones) == len(content_clinics)
    for phone in phones:
        assert re.fullmatch(r"\(\d{3}\) 555-01\d\d", phone), phone
    assert all(email.endswith("@example.org") for email in Clinic.objects.values_list("email", flat=True))


BAD_CLINICS = [
    pytest.param('zip: "55435"', 'zip: "00000"', r"line \d+: `zip` '00000' is not a US ZIP code", id="unknown-zip"),
    pytest.param('zip: "55435"', "zip: 55435x", r"line \d+: `zip` '55435x' is not a US ZIP code", id="zip-letters"),
    pytest.param("state: MN", "state: WI", r"line \d+: ZIP code 55435 is in MN, not WI", id="wrong-state"),
    pytest.param(
        "procedures: [si-joint-injection, si-joint-fusion]",
        "procedures: [knee-surgery]",
        r"line \d+: `procedures` names 'knee-surgery'",
        id="unknown-procedure",
    ),
    pytest.param(
        "slug: bloomington", "slug: edina", r"line \d+: The slug 'edina' is already used", id="duplicate-slug"
    ),
    pytest.param(
        'monday: "08:00-17:00"', 'monday: "9 till 5"', r"line \d+: `monday: 9 till 5` must be times", id="bad-hours"
    ),
    pytest.param('monday: "08:00-17:00"', 'monday: "17:00-08:00"', r"closing after opening", id="hours-backwards"),
    pytest.param("    sunday: closed\n", "", r"`hours` has no sunday", id="missing-day"),
    pytest.param('phone: "(952) 555-0161"', 'phone: "555-0161"', r"must be a 10-digit US number", id="short-phone"),
    pytest.param(
        "telemedicine: true", "telemedicine: sometimes", r"`telemedicine` must be true or false", id="bad-boolean"
    ),
    pytest.param(
        "- name: Testfield", "- name: [Testfield", r"clinics\.yaml, line \d+: This is not valid YAML", id="bad-yaml"
    ),
]


@pytest.mark.parametrize(("old", "new", "message"), BAD_CLINICS)
def test_a_bad_clinics_file_is_refused_whole(content_dir, old, new, message):
    content_load(content_dir)
    before = sorted(Clinic.objects.values_list("slug", "name", "phone", "latitude", "is_listed"))
    hours_before = OpeningHours.objects.count()
    path = content_dir / "clinics.yaml"
    text = path.read_text()
    # A good edit elsewhere in the same file must not land either.
    text = text.replace("Clinic – Seattle", "Clinic – Seattle Renamed", 1)
    assert old in text
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(ContentInvalid) as refused:
        content_load(content_dir)
    assert re.search(message, str(refused.value)), str(refused.value)
    assert "clinics.yaml" in str(refused.value)
    assert sorted(Clinic.objects.values_list("slug", "name", "phone", "latitude", "is_listed")) == before
    assert OpeningHours.objects.count() == hours_before


def test_error_line_points_at_the_bad_key(content_dir):
    path = content_dir / "clinics.yaml"
    lines = path.read_text().split("\n")
    number = next(i for i, line in enumerate(lines) if 'zip: "55102"' in line)
    lines[number] = lines[number].replace("55102", "00001")
    path.write_text("\n".join(lines))
    with pytest.raises(ContentInvalid, match=rf"clinics\.yaml, line {number + 1}: `zip` '00001'"):
        content_load(content_dir)


def test_a_removed_clinic_is_unlisted_not_deleted(content_dir):
    content_load(content_dir)
    history_before = Clinic.objects.get(slug="rochester").history.count()
    path = content_dir / "clinics.yaml"
    entries = path.read_text().split("\n- ")
    kept = [entry for entry in entries if "slug: rochester" not in entry]
    assert len(kept) == len(entries) - 1
    path.write_text("\n- ".join(kept))
    report = content_load(content_dir)
    assert report.unpublished == ["clinic rochester"]
    rochester = Clinic.objects.get(slug="rochester")
    assert not rochester.is_listed
    assert rochester.history.count() == history_before + 1
    assert rochester.history.first().history_change_reason.startswith("Unlisted")
