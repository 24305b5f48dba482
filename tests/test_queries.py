"""Database queries per page stay fixed: they do not grow with the number of sections or clinics."""

import pytest
from bs4 import BeautifulSoup
from django.core.cache import cache

from procedures.models import Clinic, Section
from procedures.sections import SECTION_KINDS

pytestmark = pytest.mark.django_db

# With an empty cache every page reads the content version, the site details and the menu (3), then:
PAGE_QUERIES = {
    "/": 5,  # + the procedure cards, the guides (the options page link)
    "/procedures/si-joint-fusion/": 6,  # + the procedure, its sections, the guides
    "/clinics/": 3,
    # + the clinics (one query per widening step: a quarter, half, all of the radius; here all three
    #   because tests/content has only five clinics within 25 miles), their opening hours, their procedures
    "/clinics/?q=55435&radius=25": 8,
    "/clinics/edina/": 6,  # + the clinic, its opening hours, its procedures
    "/procedures/no-such-page/": 6,  # + the procedure lookup, the old-address lookup, the other-language lookup
}


@pytest.mark.parametrize(("url", "expected"), PAGE_QUERIES.items())
def test_query_count_per_page(client, loaded, url, expected, django_assert_num_queries):
    cache.clear()
    with django_assert_num_queries(expected):
        response = client.get(url)
    assert response.status_code == (404 if "no-such-page" in url else 200)


def test_query_count_does_not_grow_with_more_sections_or_clinics(client, loaded, django_assert_num_queries):
    fusion_section = Section.objects.filter(procedure__slug="si-joint-fusion").first()
    fusion_section.delete()  # fewer sections
    nearby = Clinic.objects.listed().count() - 2  # all but Rochester and Seattle
    template = Clinic.objects.get(slug="edina")
    # Four more clinics near the search: still fewer than the finder's limit within half the radius, so the
    # search still widens three times and the count must stay exactly the same.
    for number in range(4):
        template.pk, template.slug = None, f"edina-copy-{number}"
        template.save()
    cache.clear()
    with django_assert_num_queries(PAGE_QUERIES["/procedures/si-joint-fusion/"]):
        response = client.get("/procedures/si-joint-fusion/")
    assert len(BeautifulSoup(response.content, "html.parser").select(".procedure__section")) == len(SECTION_KINDS) - 1
    cache.clear()
    with django_assert_num_queries(PAGE_QUERIES["/clinics/?q=55435&radius=25"]):
        response = client.get("/clinics/?q=55435&radius=25")
    assert len(BeautifulSoup(response.content, "html.parser").select(".clinic-card")) == nearby + 4
