"""Page weight: the bytes a first visit to each page downloads, against a 30 KB budget.

Renders the pages with Django's test client against a temporary SQLite database loaded from content/,
with DEBUG off. For each page: the HTML, raw and gzipped (level 6, as a server would send it); the
stylesheets, scripts and images the HTML references, with each stylesheet read from the static files;
and the HTML plus CSS gzipped, which must stay within 30 KB (1 KB = 1,024 bytes). CSS is counted on
every page, as a visitor arriving on that page with an empty cache pays for it.
"""

import gzip
import sys
import tempfile
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

BUDGET_BYTES = 30 * 1024
GZIP_LEVEL = 6
STATIC_PREFIX = "/static/"
PAGES = [
    ("/", 200),
    ("/procedures/si-joint-injection/", 200),
    ("/procedures/si-joint-fusion/", 200),
    ("/clinics/", 200),
    ("/clinics/?q=55435&radius=25", 200),
    ("/clinics/edina/", 200),
    ("/no-such-page/", 404),
]


def gzipped_size(data):
    return len(gzip.compress(data, compresslevel=GZIP_LEVEL))


class Subresources(HTMLParser):
    """The stylesheets, scripts, images and icons an HTML page references, collected as it is fed."""

    def __init__(self):
        super().__init__()
        self.stylesheets = []
        self.scripts = []  # src, or "(inline)"
        self.structured_data_blocks = 0  # <script type="application/ld+json">: data for search engines, never run
        self.images = []  # (src, whether it has both width and height)
        self.icons = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        rel = (attributes.get("rel") or "").lower().split()
        if tag == "link" and "stylesheet" in rel:
            self.stylesheets.append(attributes.get("href"))
        elif tag == "link" and "icon" in rel:
            self.icons.append(attributes.get("href"))
        elif tag == "script" and (attributes.get("type") or "").lower() == "application/ld+json":
            self.structured_data_blocks += 1
        elif tag == "script":
            self.scripts.append(attributes.get("src") or "(inline)")
        elif tag == "img":
            self.images.append((attributes.get("src"), "width" in attributes and "height" in attributes))


@dataclass
class PageWeight:
    path: str
    status: int
    html_bytes: int
    html_gzip_bytes: int
    css_bytes: int
    css_gzip_bytes: int
    subresources: Subresources

    @property
    def total_gzip_bytes(self):
        return self.html_gzip_bytes + self.css_gzip_bytes


def static_file(url):
    """The bytes of the static file at a /static/ URL, or None when there is no such file."""
    from django.contrib.staticfiles import finders

    if not url or not url.startswith(STATIC_PREFIX):
        return None
    path = finders.find(url[len(STATIC_PREFIX) :].split("?")[0])
    return Path(path).read_bytes() if path else None


def weigh(client, path):
    response = client.get(path)
    html = response.content
    subresources = Subresources()
    subresources.feed(html.decode(response.charset or "utf-8"))
    stylesheets = [static_file(url) or b"" for url in subresources.stylesheets]
    return PageWeight(
        path=path,
        status=response.status_code,
        html_bytes=len(html),
        html_gzip_bytes=gzipped_size(html),
        css_bytes=sum(len(css) for css in stylesheets),
        css_gzip_bytes=sum(gzipped_size(css) for css in stylesheets if css),
        subresources=subresources,
    )


def print_report(weights):
    print(f"page_weight: HTML + CSS per page, gzip level {GZIP_LEVEL}, budget {BUDGET_BYTES // 1024} KB")
    page_width = max(len(weight.path) for weight in weights) + 2
    print(
        f"{'page':<{page_width}}{'status':>6}{'HTML B':>9}{'HTML gz':>9}{'CSS B':>8}{'CSS gz':>8}"
        f"{'scripts':>8}{'JSON-LD':>8}{'images':>7}{'sized':>6}{'total gz KB':>12}  budget"
    )
    for weight in weights:
        images = weight.subresources.images
        verdict = "within budget" if weight.total_gzip_bytes <= BUDGET_BYTES else "OVER budget"
        print(
            f"{weight.path:<{page_width}}{weight.status:>6}{weight.html_bytes:>9,}{weight.html_gzip_bytes:>9,}"
            f"{weight.css_bytes:>8,}{weight.css_gzip_bytes:>8,}{len(weight.subresources.scripts):>8}"
            f"{weight.subresources.structured_data_blocks:>8}"
            f"{len(images):>7}{sum(sized for _src, sized in images):>6}"
            f"{weight.total_gzip_bytes / 1024:>12.1f}  {verdict}"
        )
    print(
        "scripts: executable <script> elements; JSON-LD: structured-data blocks (not run);"
        " sized: images with both width and height attributes."
    )
    print("subresources referenced:")
    references = {}
    for weight in weights:
        subresources = weight.subresources
        for kind, urls in [
            ("stylesheet", subresources.stylesheets),
            ("script", subresources.scripts),
            ("image", [src for src, _sized in subresources.images]),
            ("icon", subresources.icons),
        ]:
            for url in urls:
                references.setdefault((kind, url), []).append(weight.path)
    for (kind, url), paths in references.items():
        data = static_file(url)
        size = f"{len(data):>7,} B, gzip {gzipped_size(data):>6,} B" if data is not None else "not a static file"
        pages = "every page" if len(paths) == len(weights) else ", ".join(paths)
        print(f"  {kind:<11}{url:<28}{size}  on {pages}")


def missing_static_files(weights):
    subresource_urls = {
        url
        for weight in weights
        for url in [
            *weight.subresources.stylesheets,
            *weight.subresources.icons,
            *(src for src, _sized in weight.subresources.images),
            *(src for src in weight.subresources.scripts if src != "(inline)"),
        ]
    }
    return sorted(url for url in subresource_urls if url and url.startswith(STATIC_PREFIX) and static_file(url) is None)


def main():
    with tempfile.TemporaryDirectory(prefix="sijoint-bench-page-weight-") as scratch_dir:
        from bench.django_setup import setup_django

        setup_django(
            f"sqlite:///{Path(scratch_dir) / 'page_weight.sqlite3'}",
            DJANGO_SECURE_SSL_REDIRECT="0",
            DJANGO_ALLOWED_HOSTS="testserver,127.0.0.1,localhost",
        )
        from django.conf import settings
        from django.core.management import call_command
        from django.test import Client
        from django.test.utils import override_settings, setup_test_environment

        from procedures.content import content_load

        setup_test_environment()
        call_command("migrate", verbosity=0, interactive=False)
        content_load(settings.CONTENT_DIR)
        # Plain static URLs (no collectstatic manifest needed), so each maps straight to a file in static/.
        plain_static_files = {
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
        with override_settings(STORAGES=plain_static_files):
            client = Client(HTTP_HOST="127.0.0.1")
            weights = [weigh(client, path) for path, _expected_status in PAGES]
            print_report(weights)
            missing = missing_static_files(weights)

    problems = [
        f"{weight.path} answered {weight.status}, expected {expected}"
        for weight, (_path, expected) in zip(weights, PAGES, strict=False)
        if weight.status != expected
    ]
    problems += [f"{url} is referenced but is not in the static files" for url in missing]
    for problem in problems:
        print(f"page_weight: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
