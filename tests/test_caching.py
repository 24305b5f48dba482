"""Whole-page caching: fast for patients, never stale after a change, never for signed-in staff."""

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from procedures.models import Clinic, Procedure, Section, SiteDetails

pytestmark = pytest.mark.django_db

PAGES = ["/", "/procedures/si-joint-injection/", "/clinics/?q=55435&radius=25", "/clinics/edina/", "/clinics/"]


@pytest.mark.parametrize("url", PAGES)
def test_a_repeat_visit_is_answered_from_the_cache_with_one_query(client, loaded, url, django_assert_num_queries):
    first = client.get(url)
    with django_assert_num_queries(1):  # the content version
        second = client.get(url)
    assert second.status_code == 200
    assert second.content == first.content
    assert second["ETag"] == first["ETag"]
    assert "max-age=" in second["Cache-Control"]


def test_a_section_saved_in_the_admin_shows_at_once(client, loaded):
    url = "/procedures/si-joint-fusion/"
    client.get(url)
    section = Section.objects.get(procedure__slug="si-joint-fusion", kind="follow_up")
    section.body += "\n\nA brand-new sentence about follow-up."
    section.save()
    assert "A brand-new sentence about follow-up." in client.get(url).content.decode()


def test_site_details_change_updates_every_cached_page(client, loaded):
    details = SiteDetails.objects.get()
    for url in PAGES:
        assert details.phone in client.get(url).content.decode(), url
    assert details.phone != "(612) 555-0199"
    details.phone = "(612) 555-0199"
    details.save()
    for url in PAGES:
        assert "(612) 555-0199" in client.get(url).content.decode(), url


def test_clinic_change_updates_finder_results(client, loaded):
    url = "/clinics/?q=55435&radius=25"
    clinic = Clinic.objects.get(slug="edina")
    old_name = clinic.name
    assert old_name in client.get(url).content.decode()
    clinic.name = "Edina Renamed Clinic"
    clinic.save()
    page = client.get(url).content.decode()
    assert "Edina Renamed Clinic" in page
    assert old_name not in page


def test_load_content_makes_pages_fresh(client, loaded, content_dir):
    url = "/procedures/si-joint-injection/"
    client.get(url)
    path = content_dir / "procedures/si-joint-injection.md"
    path.write_text(path.read_text().replace("## Follow-up\n", "## Follow-up\n\nLoaded from a changed file.\n", 1))
    call_command("load_content", "--dir", str(content_dir))
    assert "Loaded from a changed file." in client.get(url).content.decode()


def test_conditional_request_gets_304(client, loaded):
    etag = client.get("/procedures/si-joint-injection/")["ETag"]
    response = client.get("/procedures/si-joint-injection/", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304
    assert response.content == b""
    section = Section.objects.get(procedure__slug="si-joint-injection", kind="overview")
    section.body += "\n\nChanged."
    section.save()
    assert client.get("/procedures/si-joint-injection/", HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_signed_in_staff_are_never_served_or_stored_in_the_cache(client, loaded):
    staff = User.objects.create_user("editor", password="x", is_staff=True)
    client.force_login(staff)
    Procedure.objects.filter(slug="si-joint-fusion").update(status="draft")
    assert "Draft preview" in client.get("/procedures/si-joint-fusion/").content.decode()
    client.logout()
    assert client.get("/procedures/si-joint-fusion/").status_code == 404, "the staff view was not cached"


def test_errors_are_not_cached(client, loaded):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get("/procedures/no-such-page/")
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/procedures/no-such-page/")
    assert response.status_code == 404
    assert len(queries) > 1, "the 404 was rendered again, not served from the page cache"
