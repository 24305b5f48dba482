"""Fast on a poor connection: a procedure page needs no JavaScript, and its HTML plus CSS stay under
30 KB compressed (bench/page_weight.py owns the budget and prints the figures for every page;
tests/test_real_content.py holds the real pages to the same budget)."""

import gzip
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from django.contrib.staticfiles import finders

from bench.page_weight import BUDGET_BYTES

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/procedures/si-joint-injection/", "/procedures/si-joint-fusion/", "/"])
def test_page_and_its_css_fit_the_budget_and_need_no_javascript(client, loaded, url):
    response = client.get(url)
    assert response.status_code == 200
    html = response.content
    soup = BeautifulSoup(html, "html.parser")
    assert not [s for s in soup.find_all("script") if s.get("type") != "application/ld+json"]
    sheets = [link["href"] for link in soup.find_all("link", rel="stylesheet")]
    assert sheets == ["/static/css/site.css"]
    css = Path(finders.find("css/site.css")).read_bytes()
    total = len(gzip.compress(html, 6)) + len(gzip.compress(css, 6))
    assert total < BUDGET_BYTES, f"{total} bytes compressed"


def test_every_image_has_width_and_height(client, loaded):
    from procedures.models import Section

    section = Section.objects.get(procedure__slug="si-joint-fusion", kind="during")
    section.body += "\n\n![A small cut on the side of the buttock](/media/uploads/abc-640x480.jpg)"
    section.save()
    soup = BeautifulSoup(client.get("/procedures/si-joint-fusion/").content, "html.parser")
    images = soup.find_all("img")
    assert "A small cut on the side of the buttock" in [img.get("alt") for img in images]
    assert all(img.get("width") and img.get("height") and img.get("alt") for img in images)
