"""The content version is read from the database at most once per request, on every path."""

import pytest
from django.contrib.auth.models import User

from procedures.models import ContentVersion


@pytest.fixture
def reads(monkeypatch):
    counted = []
    original = ContentVersion.read.__func__

    def counting(cls):
        counted.append(1)
        return original(cls)

    monkeypatch.setattr(ContentVersion, "read", classmethod(counting))
    return counted


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/procedures/si-joint-injection/",
        "/clinics/?q=55435",
        "/clinics/edina/",
        "/api/clinics/?q=55435",
        "/admin/",
        "/admin/procedures/procedure/",
        "/no-such-page/",
    ],
)
def test_read_at_most_once_per_request(client, loaded, reads, url):
    user = User.objects.create_superuser("admin", "admin@example.org", "a-long-admin-password")
    client.force_login(user)
    reads.clear()
    client.get(url)
    assert len(reads) <= 1, f"{url} read the content version {len(reads)} times"
