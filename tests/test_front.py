"""The production layout: nginx running deploy/nginx.conf in front of gunicorn with production settings.

Needs Debian's nginx (skipped without it; CI installs it). Starts its own gunicorn and nginx on free ports
with a scratch database loaded from the tests' own content, and stops both.
"""

import http.server
import re
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from deploy.front import ProductionLayout, free_port, nginx_program, nginx_test, write_nginx_config

TEST_CONTENT = Path(__file__).resolve().parent / "content"

pytestmark = pytest.mark.skipif(nginx_program() is None, reason="nginx is not installed (apt-get install nginx)")


def fetch(url, **headers):
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def test_the_front_configuration_passes_nginx_t(tmp_path):
    config = write_nginx_config(
        tmp_path, front_port=free_port(), app_port=free_port(), static_root=tmp_path, media_root=tmp_path
    )
    ok, said = nginx_test(config)
    assert ok, said


@pytest.fixture(scope="module")
def layout(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("front")
    environment = {
        "DATABASE_URL": f"sqlite:///{run_dir / 'db.sqlite3'}",
        "CONTENT_DIR": str(TEST_CONTENT),
        "GUNICORN_WORKERS": "2",
        "GUNICORN_ACCESS_LOG": "",
        "DJANGO_LOG_LEVEL": "ERROR",
        "REDIS_URL": "",
    }
    layout = ProductionLayout(
        run_dir, front_port=free_port(), app_port=free_port(), environment=environment, log=lambda _m: None
    )
    layout.prepare()
    layout.start()
    yield layout
    layout.stop()


@pytest.fixture(scope="module")
def a_page(layout):
    """The address of a published procedure page, from the sitemap."""
    _status, _headers, sitemap = fetch(layout.front_url + "/sitemap.xml")
    return next(
        url.split("127.0.0.1", 1)[-1].split("/", 1)[-1]
        for url in re.findall(r"<loc>([^<]+/procedures/[^<]+)</loc>", sitemap)
    )


def test_published_pages_are_answered_by_the_front_cache(layout, a_page):
    path = "/" + a_page
    first = fetch(layout.front_url + path)
    second = fetch(layout.front_url + path)
    assert first[0] == second[0] == 200
    assert second[1]["X-Cache-Status"] == "HIT"
    assert "frame-ancestors 'none'" in second[1]["Content-Security-Policy"], "cached copies keep the security headers"
    tracked = fetch(layout.front_url + path + "?utm_source=newsletter&fbclid=abc")
    assert tracked[1]["X-Cache-Status"] == "HIT", "tracking parameters do not make new entries"


def test_signed_in_staff_and_the_admin_never_come_from_the_front_cache(layout, a_page):
    fetch(layout.front_url + "/" + a_page)
    staff = fetch(layout.front_url + "/" + a_page, Cookie="sessionid=abc123")
    assert staff[1]["X-Cache-Status"] == "BYPASS"
    admin = fetch(layout.front_url + "/admin/login/")
    assert "X-Cache-Status" not in admin[1]
    api = fetch(layout.front_url + "/api/clinics/?q=55435")
    assert api[0] == 200
    assert "X-Cache-Status" not in api[1]


def test_compression_varies_on_accept_encoding(layout):
    status, headers, _body = fetch(layout.front_url + "/", **{"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers.get("Content-Encoding") == "gzip"
    assert "Accept-Encoding" in headers.get("Vary", "")


def test_a_change_is_live_on_the_front_within_two_seconds(layout, a_page):
    path = "/" + a_page
    for _ in range(3):
        fetch(layout.front_url + path)
    slug = path.rstrip("/").rsplit("/", 1)[-1]
    new_title = f"Retitled {time.time():.0f}"
    layout.manage(
        "shell",
        "-c",
        f"from procedures.models import Procedure; p = Procedure.objects.get(slug='{slug}'); "
        f"p.title = '{new_title}'; p.save()",
    )
    saved = time.monotonic()
    # nginx counts freshness in whole seconds, so a copy lives 1 to 2 s; the margin is the requests' own time.
    while time.monotonic() - saved < 2.5:
        if new_title in fetch(layout.front_url + path)[2]:
            break
        time.sleep(0.05)
    else:
        pytest.fail("the front server still served the old page 2 s after the save")


class OutageApp(http.server.BaseHTTPRequestHandler):
    """What the app answers while its database and cache are away and a page is not in its own cache."""

    def do_GET(self):
        body = b"<h1>This page is not available right now</h1>"
        self.send_response(503)
        self.send_header("Retry-After", "60")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_with_the_database_and_cache_away_published_pages_still_answer(layout, a_page):
    path = "/" + a_page
    assert fetch(layout.front_url + path)[0] == 200
    layout.stop_gunicorn()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", layout.app_port), OutageApp)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        time.sleep(2.1)  # past the front's freshness (1 s, counted in whole seconds)
        status, headers, body = fetch(layout.front_url + path)
        assert status == 200, f"the front answers with its last copy while the app says 503: {headers} {body[:300]}"
        assert headers["X-Cache-Status"] == "STALE"
        status, _headers, body = fetch(layout.front_url + "/clinics/?q=90210")
        assert status == 503
        assert "This page is not available right now" in body
    finally:
        server.shutdown()
        server.server_close()


def test_with_the_app_stopped_published_pages_still_answer_and_the_rest_get_the_503_page(layout, a_page):
    path = "/" + a_page
    assert fetch(layout.front_url + path)[0] == 200
    layout.stop_gunicorn()
    try:
        time.sleep(2.1)  # past the front's freshness (1 s, counted in whole seconds): only a stale copy is left
        status, headers, body = fetch(layout.front_url + path)
        assert status == 200, "a published page is answered from the front's copy"
        assert headers["X-Cache-Status"] == "STALE"
        status, headers, body = fetch(layout.front_url + "/clinics/?q=90210")
        assert status == 503
        assert "This page is not available right now" in body
        assert re.search(r'href="tel:\+1\d{10}"', body), "the phone number to tap"
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    finally:
        layout.stop()
