"""'Open now, closes 6 pm' / 'Closed now, opens Monday 8 am', in the clinic's own time zone."""

import datetime
import zoneinfo

import pytest

from procedures.models import Clinic, OpeningHours
from procedures.opening_hours import opening_status

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")


@pytest.fixture
def clinic(db):
    clinic = Clinic.objects.create(
        name="Hours Clinic",
        slug="hours",
        address="1 A St",
        city="Edina",
        state="MN",
        zip_code="55435",
        latitude=44.87,
        longitude=-93.33,
        phone="(555) 555-0100",
        timezone="America/Chicago",
    )
    for weekday in range(5):  # Monday to Friday, 8 am to 6 pm; lunch closed on Wednesday
        if weekday == 2:
            OpeningHours.objects.create(clinic=clinic, weekday=2, opens=datetime.time(8), closes=datetime.time(12))
            OpeningHours.objects.create(clinic=clinic, weekday=2, opens=datetime.time(13), closes=datetime.time(18))
        else:
            OpeningHours.objects.create(
                clinic=clinic, weekday=weekday, opens=datetime.time(8), closes=datetime.time(18)
            )
    return clinic


def at(day, hour, minute=0, zone=CHICAGO):
    # November 2026: Monday the 16th to Sunday the 22nd.
    return datetime.datetime(2026, 11, 16 + day, hour, minute, tzinfo=zone)


@pytest.mark.parametrize(
    ("moment", "sentence"),
    [
        (at(0, 9), "Open now, closes 6 pm"),
        (at(0, 7, 30), "Closed now, opens today 8 am"),
        (at(0, 18), "Closed now, opens tomorrow 8 am"),
        (at(2, 12, 15), "Closed now, opens today 1 pm"),
        (at(2, 13), "Open now, closes 6 pm"),
        (at(4, 19), "Closed now, opens Monday 8 am"),
        (at(5, 10), "Closed now, opens Monday 8 am"),
        (at(6, 23, 59), "Closed now, opens tomorrow 8 am"),
    ],
)
def test_the_sentence_a_patient_reads(clinic, moment, sentence):
    assert opening_status(clinic, now=moment).sentence == sentence


def test_it_is_the_clinics_own_time_zone_that_counts(clinic):
    # 9:30 am in New York is 8:30 am in Minneapolis: open. 8:30 am in New York is 7:30 there: closed.
    new_york = zoneinfo.ZoneInfo("America/New_York")
    assert opening_status(clinic, now=at(0, 9, 30, new_york)).open_now
    assert opening_status(clinic, now=at(0, 8, 30, new_york)).sentence == "Closed now, opens today 8 am"


def test_a_clinic_without_hours_says_to_call(db, clinic):
    clinic.opening_hours.all().delete()
    assert opening_status(clinic, now=at(0, 9)).sentence == "Closed now. Call to ask about opening times"
