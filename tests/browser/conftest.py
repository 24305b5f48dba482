"""Real Chromium (Debian's package) driven by Playwright for Python, against pytest-django's live server.

On a laptop without Chromium these tests are skipped with a message; CI sets REQUIRE_BROWSER_TESTS=1
(.ci/run) so that a missing browser fails the run instead of passing it silently.
"""

import os
import shutil

import pytest

# Playwright's sync API keeps an event loop running in this thread; the ORM calls made by the tests
# themselves (loading content, creating users) are synchronous and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        message = f"Chromium not found at {CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)"
        if os.environ.get("REQUIRE_BROWSER_TESTS"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def site(live_server, transactional_db):
    """The live site with the suite's content set (tests/content) loaded. Returns its base URL."""
    from procedures.content import content_load
    from tests.conftest import TEST_CONTENT_DIR

    content_load(TEST_CONTENT_DIR)
    return live_server.url


@pytest.fixture
def page_at(browser):
    """page_at(width): a fresh browser tab at that viewport width, failing the test on console errors."""
    contexts, errors = [], []

    def open_page(width=1280, height=900, **options):
        context = browser.new_context(viewport={"width": width, "height": height}, **options)
        contexts.append(context)
        page = context.new_page()
        page.on("console", lambda message: message.type == "error" and errors.append(message.text))
        page.on("pageerror", lambda error: errors.append(str(error)))
        return page

    yield open_page
    for context in contexts:
        context.close()
    unexpected = [error for error in errors if "status of 404" not in error and "status of 400" not in error]
    assert not unexpected, f"browser console errors (CSP violations show up here): {unexpected}"


def pytest_collection_modifyitems(items):
    for item in items:
        if "/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
