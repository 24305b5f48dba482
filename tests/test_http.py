"""What any HTTP client meets at the edges: methods, hosts, headers, query strings that must not fill the cache."""

import pytest
from django.core.cache import cache

from tests.records import PHONE, records_create

PUBLIC_PAGES = ["/", "/procedures/test-joint-injection/", "/clinics/", "/clinics/test-edina/", "/robots.txt"]


@pytest.fixture
def records(db):
    return records_create()


@pytest.fixture
def local_memory_cache(settings):
    """Entries are counted in the local-memory cache's own table (the suite may run on Redis)."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "http"}}
    cache.clear()


def page_cache_keys():
    assert isinstance(cache._cache, dict)
    return {key for key in cache._cache if ":page:" in key}


@pytest.mark.parametrize("url", [*PUBLIC_PAGES, "/sitemap.xml"])
@pytest.mark.parametrize("method", ["post", "put", "delete", "options", "trace"])
def test_public_pages_answer_405_with_allow_to_other_methods(client, records, url, method):
    response = getattr(client, method)(url)
    assert response.status_code == 405, f"{method.upper()} {url}: {response.status_code}"
    assert response["Allow"] == "GET, HEAD"


def test_head_still_works(client, records):
    response = client.head("/procedures/test-joint-injection/")
    assert response.status_code == 200


def test_tracking_parameters_share_one_cache_entry(client, records, local_memory_cache):
    assert client.get("/").status_code == 200
    before = page_cache_keys()
    for n in range(20):
        response = client.get(f"/?utm_source=campaign{n}&fbclid=x{n}&random={n}")
        assert response.status_code == 200
    assert page_cache_keys() == before, "query strings that do not change the page made new cache entries"


def test_finder_parameters_still_make_their_own_pages(client, records):
    near = client.get("/clinics/?q=55435&radius=25")
    far = client.get("/clinics/?q=10001&radius=25")
    assert "Test Edina Clinic" in near.content.decode()
    assert b"No clinics within 25 miles of 10001" in far.content


@pytest.mark.parametrize("url", ["/", "/procedures/test-joint-injection/"])
def test_a_disallowed_host_is_a_400_even_when_the_page_is_cached(client, records, url):
    assert client.get(url).status_code == 200  # now cached
    assert client.get(url).status_code == 200
    assert client.get(url, HTTP_HOST="evil.example").status_code == 400


@pytest.mark.parametrize("url", ["/static/css/site.css", "/", "/clinics/test-edina/"])
def test_every_response_carries_the_security_headers(client, records, url):
    response = client.get(url)
    assert response.status_code == 200
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_django_does_not_serve_media_in_production(client, records, settings, tmp_path):
    (tmp_path / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    settings.MEDIA_ROOT = tmp_path
    assert client.get("/media/photo.png").status_code == 404


def test_the_html_finder_is_rate_limited_with_a_friendly_page(client, records, settings):
    settings.SEARCH_RATE_LIMIT = "3/m"
    for zip_code in ("55435", "55401", "55102"):
        assert client.get(f"/clinics/?q={zip_code}").status_code == 200
    response = client.get("/clinics/?q=55416")
    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    page = response.content.decode()
    assert "Too many searches" in page
    assert PHONE in page, "the phone number is the way to get help now"
    assert client.get("/clinics/").status_code == 200, "the empty form is not a search"
    assert client.get("/procedures/test-joint-injection/").status_code == 200


def test_town_and_zip_searches_give_the_same_place(client, records):
    by_town = client.get("/clinics/?q=Edina%2C+MN&radius=10")
    assert by_town.status_code == 200
    assert "Test Edina Clinic" in by_town.content.decode()
    nonsense = client.get("/clinics/?q=" + "x" * 99)
    assert nonsense.status_code == 400
