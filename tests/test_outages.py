"""The site through a cache outage and a database outage, as patients and staff meet them.

The Redis tests start their own redis-server on a free port and stop only that one. The database outage
is made by refusing every new cursor, which is what Django sees when PostgreSQL goes away; bench/
fault_drill.py does the same with a real PostgreSQL cluster of its own under load.
"""

import shutil
import socket
import subprocess
import sys
import time
from unittest import mock

import pytest
from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import Client, RequestFactory

from deploy.front import free_port
from procedures import caching
from tests.records import PHONE, records_create

PUBLIC_PAGES = [
    "/",
    "/procedures/test-joint-injection/",
    "/clinics/",
    "/clinics/?q=55435",
    "/clinics/test-edina/",
    "/sitemap.xml",
    "/robots.txt",
]


@pytest.fixture
def records(db):
    return records_create()


@pytest.fixture
def own_redis(settings):
    """A redis-server of this test's own, on a free port, as the site's cache; stopped at the end."""
    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed")
    port = free_port()
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    for _ in range(100):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.05)
    settings.CACHES = {
        "default": {"BACKEND": "sijoint_site.cache.FallbackRedisCache", "LOCATION": f"redis://127.0.0.1:{port}/0"}
    }
    yield process
    process.kill()
    process.wait()


@pytest.fixture
def staff_client(django_user_model):
    client = Client(raise_request_exception=False)
    user = django_user_model.objects.create_superuser("nurse", "nurse@example.org", "a-long-test-password")
    client.force_login(user)
    return client


@pytest.fixture
def forget_last_seen(monkeypatch):
    """A fresh worker: nothing remembered from earlier requests."""
    monkeypatch.setattr(caching, "_last_seen", {"version": None, "site": None, "menu": None})


def test_with_redis_away_every_page_the_api_and_the_admin_still_answer(staff_client, records, own_redis):
    patient = Client(raise_request_exception=False)
    for url in PUBLIC_PAGES:
        assert patient.get(url).status_code == 200, url  # warm, through Redis
    own_redis.kill()
    own_redis.wait()
    for url in [*PUBLIC_PAGES, "/clinics/?q=Edina%2C+MN", "/procedures/no-such-page/"]:
        response = patient.get(url)
        assert response.status_code in (200, 404), f"{url}: {response.status_code}"
    assert patient.get("/api/clinics/?q=55435").json()["results"][0]["name"] == "Test Edina Clinic"
    assert staff_client.get("/admin/procedures/procedure/").status_code == 200
    health = patient.get("/healthz")
    assert health.status_code == 200, "a shared-cache outage must not take every app server out of rotation"
    assert health.json()["status"] == "degraded"
    assert health.json()["cache"].startswith("unavailable")


def test_rate_limits_fall_back_to_this_process_while_redis_is_away(client, records, own_redis, settings):
    settings.API_RATE_LIMIT = "3/m"
    own_redis.kill()
    own_redis.wait()
    answers = [client.get(f"/api/clinics/?q=5543{n}").status_code for n in range(5)]
    assert 500 not in answers
    assert answers[-1] == 429, f"the limit still applies, counted in this process: {answers}"


@pytest.fixture
def database_down(db):
    """Call it to make every new query fail as it does when PostgreSQL has gone away (undone before the
    test database is torn down)."""

    def refuse(self, *args, **kwargs):
        raise OperationalError("connection refused (test: database down)")

    patcher = mock.patch.object(BaseDatabaseWrapper, "_cursor", refuse)
    yield patcher.start
    patcher.stop()


@pytest.fixture
def client():
    """Errors answered as a patient gets them (the 500 and 503 pages), not raised into the test."""
    return Client(raise_request_exception=False)


def test_with_the_database_away_cached_pages_are_served_and_the_rest_get_the_designed_503(
    client, records, database_down
):
    cached = ["/", "/procedures/test-joint-injection/", "/clinics/test-edina/"]
    for url in cached:
        assert client.get(url).status_code == 200
    database_down()
    for url in cached:
        response = client.get(url)
        assert response.status_code == 200, f"{url} was cached before the outage"
        assert b"The joint is in your lower back" in response.content or url != cached[1]
    for url in ["/clinics/test-other/", "/clinics/?q=55435", "/procedures/test-joint-injection/?x=1&q=55435"]:
        response = client.get(url)
        assert response.status_code == 503, f"{url}: {response.status_code}"
        page = response.content.decode()
        assert "This page is not available right now" in page
        assert PHONE in page, "the phone number is on the outage page"
        assert response["Retry-After"]
        assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
        assert response["X-Content-Type-Options"] == "nosniff"
    health = client.get("/healthz")
    assert health.status_code == 503
    assert health.json()["database"].startswith("error")


def test_error_pages_render_with_neither_database_nor_cache(
    db, database_down, forget_last_seen, monkeypatch, settings, tmp_path
):
    """A fresh worker, database and cache both gone: the phone number comes from content/site.yaml."""
    from sijoint_site.views import server_error

    (tmp_path / "site.yaml").write_text('name: File Clinic\nphone: "(555) 555-0177"\n', encoding="utf-8")
    settings.CONTENT_DIR = tmp_path
    database_down()

    def cache_gone(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr("django.core.cache.cache.get", cache_gone)
    monkeypatch.setattr("django.core.cache.cache.set", cache_gone)
    request = RequestFactory().get("/procedures/anything/")
    try:
        raise OperationalError("database down")
    except OperationalError:
        outage = server_error(request)
    try:
        raise RuntimeError("a bug")
    except RuntimeError:
        crash = server_error(request)
    assert outage.status_code == 503
    assert crash.status_code == 500
    for response in (outage, crash):
        page = response.content.decode()
        assert "(555) 555-0177" in page
        assert 'href="tel:+15555550177"' in page
        assert "File Clinic" in page


def test_a_fresh_worker_with_the_database_away_answers_503_not_500(client, db, database_down, forget_last_seen):
    database_down()
    response = client.get("/")
    assert response.status_code == 503
    assert b"This page is not available right now" in response.content


@pytest.mark.skipif(sys.platform != "linux", reason="reads the process's memory map")
def test_the_zip_tables_are_not_in_the_process_heap(db):
    """The ZIP and town tables live in a shared file; looking up a ZIP never imports the zipcodes tables."""
    from procedures.geo import origin_for_query

    origin_for_query("55435")
    origin_for_query("Edina, MN")
    assert "zipcodes" not in sys.modules


def test_after_the_cache_restarts_empty_a_new_worker_still_finds_cached_pages_during_a_database_outage(
    client, records, database_down, monkeypatch
):
    from django.core.cache import cache

    assert client.get("/procedures/test-joint-injection/").status_code == 200
    cache.clear()  # Redis restarted with nothing in it
    assert client.get("/procedures/test-joint-injection/").status_code == 200  # cached again
    monkeypatch.setattr(caching, "_last_seen", {"version": None, "site": None, "menu": None})  # a new worker
    database_down()
    response = client.get("/procedures/test-joint-injection/")
    assert response.status_code == 200, "the cached page, found through the version kept beside it"
