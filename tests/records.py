"""Small records built in the database by tests that need a page, a clinic and the site details, without files."""

import datetime

from procedures.models import Clinic, OpeningHours, Procedure, Section, SiteDetails

PHONE = "(555) 555-0199"


def records_create():
    """A published page with an overview and help section, one listed clinic in Edina (55435), the site details."""
    site = SiteDetails.objects.create(
        name="Test Spine Clinic",
        phone=PHONE,
        opening_hours="Monday to Friday, 8 am to 5 pm",
        disclaimer="This is general information.",
        urgent_care="Call 911 in an emergency.",
    )
    procedure = Procedure.objects.create(
        title="Test joint injection",
        slug="test-joint-injection",
        status=Procedure.Status.PUBLISHED,
        summary="A shot in the joint.",
        duration="20 minutes",
        anaesthetic="Local",
        going_home="Same day",
        recovery_time="A day",
        reviewed_by="Dr Test",
        last_reviewed=datetime.date(2026, 1, 1),
        next_review_due=datetime.date(2027, 1, 1),
    )
    Section.objects.create(procedure=procedure, kind="overview", body="The joint is in your lower back.")
    Section.objects.create(procedure=procedure, kind="get_help", body="Call us if it gets worse.")
    clinic = Clinic.objects.create(
        name="Test Edina Clinic",
        slug="test-edina",
        address="1 Test Street",
        city="Edina",
        state="MN",
        zip_code="55435",
        latitude=44.87,
        longitude=-93.33,
        phone="(555) 555-0123",
    )
    clinic.procedures.add(procedure)
    OpeningHours.objects.create(clinic=clinic, weekday=0, opens=datetime.time(8), closes=datetime.time(17))
    return {"site": site, "procedure": procedure, "clinic": clinic}
