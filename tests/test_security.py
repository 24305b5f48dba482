"""Hardening: security headers, the deployment checklist, sign-in lock-out and the API rate limit."""

import json
import logging
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.cache.backends.locmem import LocMemCache

from tests.test_settings import run_django

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent

PRODUCTION_ENV = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "production-like-secret-" + "k" * 50,
    "DJANGO_ALLOWED_HOSTS": "www.example.org",
    "SITE_URL": "https://www.example.org",
}


def test_deploy_checklist_is_clean_under_production_settings():
    result = run_django(PRODUCTION_ENV, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/procedures/si-joint-fusion/",
        "/clinics/?q=55435",
        "/api/clinics/?q=55435",
        "/no-such-page/",
        "/admin/login/",
    ],
)
def test_security_headers_on_every_response(client, loaded, url):
    response = client.get(url, secure=True)
    csp = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";") if part.strip())
    assert directives["script-src"] == "'self'"
    assert "unsafe-inline" not in directives["script-src"]
    assert directives["default-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "camera=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")


def test_cached_pages_keep_their_security_headers(client, loaded, django_assert_num_queries):
    client.get("/", secure=True)
    with django_assert_num_queries(1):  # the content version: the page itself comes from the cache
        cached = client.get("/", secure=True)
    assert "Content-Security-Policy" in cached
    assert cached["X-Frame-Options"] == "DENY"


def test_production_cookies_are_secure_httponly_and_samesite(client, loaded, settings):
    assert settings.SESSION_COOKIE_SECURE
    assert settings.CSRF_COOKIE_SECURE
    assert settings.SESSION_COOKIE_HTTPONLY
    User.objects.create_superuser("boss", "boss@example.org", "a-long-admin-password")
    client.get("/admin/login/", secure=True)
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "boss", "password": "a-long-admin-password"}, secure=True
    )
    session = response.cookies["sessionid"]
    assert session["secure"]
    assert session["httponly"]
    assert session["samesite"] == "Lax"


def test_admin_path_is_configurable():
    script = "from django.urls import reverse; print(reverse('admin:index'))"
    env = {**PRODUCTION_ENV, "DJANGO_ADMIN_PATH": "staff-area-7f3"}
    result = run_django(env, "shell", "-c", script)
    assert result.stdout.strip().splitlines()[-1] == "/staff-area-7f3/", result.stderr


def test_repeated_wrong_passwords_lock_the_account_out_and_are_logged(client, loaded, caplog):
    User.objects.create_user("maria", password="the-right-password-1", is_staff=True)
    caplog.set_level(logging.WARNING, logger="axes")
    for _ in range(5):
        response = client.post("/admin/login/?next=/admin/", {"username": "maria", "password": "guess"})
        assert response.status_code in (200, 429)
    locked = client.post("/admin/login/?next=/admin/", {"username": "maria", "password": "the-right-password-1"})
    assert locked.status_code == 429
    assert "Sign-in is locked for now" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    assert any("lock" in record.getMessage().lower() for record in caplog.records)


def test_api_is_rate_limited_per_client(client, loaded, settings):
    settings.API_RATE_LIMIT = "5/m"
    statuses = [client.get("/api/clinics/?q=55435", REMOTE_ADDR="203.0.113.7").status_code for _ in range(7)]
    assert statuses[:5] == [200] * 5
    assert statuses[5:] == [429, 429]
    limited = client.get("/api/clinics/?q=55435", REMOTE_ADDR="203.0.113.7")
    assert limited.json()["errors"][0]["code"] == "rate_limited"
    assert limited["Retry-After"] == "60"
    assert client.get("/api/clinics/?q=55435", REMOTE_ADDR="198.51.100.9").status_code == 200, "others are unaffected"


def test_healthz_reports_database_and_cache(client, db, monkeypatch, settings):
    # A cache whose every write fails (tests/test_outages.py stops a real Redis of its own).
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "hz"}}
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}

    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(LocMemCache, "set", broken)
    response = client.get("/healthz")
    # A shared-cache outage must not take every app server out of the load balancer's rotation.
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["cache"].startswith("unavailable")


def test_healthz_is_reachable_over_plain_http_in_production():
    script = "from django.test import Client; r = Client().get('/healthz'); print(r.status_code)"
    env = {**PRODUCTION_ENV, "DJANGO_ALLOWED_HOSTS": "testserver", "DJANGO_SECURE_SSL_REDIRECT": "1"}
    result = run_django(env | {"DATABASE_URL": "sqlite:///:memory:"}, "shell", "-c", script)
    assert result.stdout.strip().splitlines()[-1] in ("200", "503"), result.stderr  # not a 301 to https


def test_uploaded_media_can_live_in_s3_compatible_storage():
    script = (
        "from django.conf import settings; import json; "
        "print(json.dumps([settings.STORAGES['default'], settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['img-src']]))"
    )
    env = {**PRODUCTION_ENV, "AWS_STORAGE_BUCKET_NAME": "clinic-media", "AWS_S3_ENDPOINT_URL": "https://s3.example.org"}
    storage, img_src = json.loads(run_django(env, "shell", "-c", script).stdout.strip().splitlines()[-1])
    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    assert storage["OPTIONS"]["bucket_name"] == "clinic-media"
    assert storage["OPTIONS"]["endpoint_url"] == "https://s3.example.org"
    assert "https://s3.example.org" in img_src
    local = json.loads(run_django(PRODUCTION_ENV, "shell", "-c", script).stdout.strip().splitlines()[-1])[0]
    assert local["BACKEND"] == "django.core.files.storage.FileSystemStorage"
