"""Sign-in lock-out behind the front server: counted by the real client's address, explained in plain words."""

import logging

import pytest
from django.test import Client

LOAD_BALANCER = "10.0.0.2"
ATTACKER = "203.0.113.66"
NURSE_AT_WORK = "198.51.100.7"


@pytest.fixture
def behind_proxy(settings):
    # What DJANGO_BEHIND_PROXY=1 sets: the address comes from X-Forwarded-For, which our nginx overwrites.
    settings.AXES_IPWARE_PROXY_ORDER = "right-most"
    settings.AXES_IPWARE_PROXY_COUNT = 0
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]


@pytest.fixture
def nurse(django_user_model):
    return django_user_model.objects.create_user("nurse", password="the-right-long-password", is_staff=True)


def sign_in(address, password):
    client = Client(REMOTE_ADDR=LOAD_BALANCER, HTTP_X_FORWARDED_FOR=address)
    return client.post("/admin/login/?next=/admin/", {"username": "nurse", "password": password})


def test_wrong_passwords_from_one_address_do_not_lock_out_the_nurse_elsewhere(db, behind_proxy, nurse, caplog):
    caplog.set_level(logging.WARNING)
    answers = [sign_in(ATTACKER, f"wrong-{n}").status_code for n in range(6)]
    assert answers[-1] == 429, f"the guessing address is locked out: {answers}"
    locked = sign_in(ATTACKER, "the-right-long-password")
    assert locked.status_code == 429, "even the right password is refused from the locked address"
    page = locked.content.decode()
    assert "Sign-in is locked for now" in page
    assert "You can try again after" in page
    assert "PT1H" not in page, "no machine-format durations"
    assert any("nurse" in record.getMessage() and ATTACKER in record.getMessage() for record in caplog.records), (
        "the log names the account and the address"
    )
    at_work = sign_in(NURSE_AT_WORK, "the-right-long-password")
    assert at_work.status_code == 302, "the nurse at another address signs in"
    assert at_work["Location"] == "/admin/"


def test_without_a_proxy_a_forged_forwarded_header_is_ignored(db, nurse, settings):
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]
    for n in range(6):
        Client(REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}").post(
            "/admin/login/", {"username": "nurse", "password": f"wrong-{n}"}
        )
    response = Client(REMOTE_ADDR=ATTACKER).post("/admin/login/", {"username": "nurse", "password": "x"})
    assert response.status_code == 429, "changing X-Forwarded-For does not escape the lock-out"
