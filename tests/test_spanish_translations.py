"""A Spanish page falls out of date when its English page changes: staff see it in the page list and the
sign-off queue, with the English changes marked word by word; patients see a short notice with the date
and a link to the English page, until the translation is brought up to date."""

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import User
from django.test import Client
from django.utils import translation
from django.utils.formats import date_format
from django.utils.timezone import localtime

from procedures.models import Procedure, Section

pytestmark = pytest.mark.django_db

SPANISH = "/es/procedures/inyeccion-articulacion-sacroiliaca/"
QUEUE = "/admin/procedures/procedure/signoff/"
LIST = "/admin/procedures/procedure/"


@pytest.fixture
def admin_client(loaded):
    user = User.objects.create_superuser("ana", "ana@example.org", "a-long-staff-password")
    client = Client()
    client.force_login(user)
    return client


def english_change():
    section = Section.objects.get(procedure__slug="si-joint-injection", kind="overview")
    section.body = section.body.replace(
        "This shot puts medicine into the joint.", "This shot puts a steroid into the joint."
    )
    section.save()
    return Procedure.objects.get(slug="si-joint-injection")


def spanish_row(client):
    soup = BeautifulSoup(client.get(LIST).content, "html.parser")
    return next(row for row in soup.select("#result_list tbody tr") if "Inyección" in row.get_text())


def notice(client):
    response = client.get(SPANISH)
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser").select_one(".translation-notice")


def test_an_english_change_marks_the_translation_out_of_date_until_it_is_updated(client, admin_client):
    assert notice(client) is None
    assert "Translation out of date" not in spanish_row(admin_client).get_text()
    spanish_before = Procedure.objects.get(slug="inyeccion-articulacion-sacroiliaca").english_version

    english = english_change()
    spanish = Procedure.objects.get(slug="inyeccion-articulacion-sacroiliaca")
    assert spanish.english_version == spanish_before != english.content_hash
    assert spanish.translation_out_of_date

    # Staff: the page list says so, and the queue shows the English changes word by word.
    assert "Translation out of date" in spanish_row(admin_client).get_text()
    queue = BeautifulSoup(admin_client.get(QUEUE).content, "html.parser")
    item = queue.select_one(".translation-behind")
    assert "Inyección en la articulación SI" in item.get_text()
    assert "Translation out of date" in item.get_text()
    assert [ins.get_text() for ins in item.select("ins")] == ["a steroid"]
    assert [d.get_text() for d in item.select("del")] == ["medicine"]

    # Patients: a notice with the date the English changed and a link to the English page.
    shown = notice(client)
    assert shown is not None
    assert shown.select_one("a")["href"] == "/procedures/si-joint-injection/"
    with translation.override("es"):
        day = date_format(localtime(english.content_changed_at), "DATE_FORMAT")
    assert day in shown.get_text(" ")
    assert notice(client.__class__()) is not None
    assert client.get("/procedures/si-joint-injection/").content.count(b"translation-notice") == 0

    # The translator updates the Spanish page and marks it up to date: the notice and the marks go.
    response = admin_client.post(f"/admin/procedures/procedure/translation/{spanish.pk}/mark-up-to-date/")
    assert response.status_code == 302
    assert notice(client) is None
    assert "Translation out of date" not in spanish_row(admin_client).get_text()
    assert not BeautifulSoup(admin_client.get(QUEUE).content, "html.parser").select(".translation-behind")
    assert Procedure.objects.get(pk=spanish.pk).english_snapshot["sections"]["overview"].count("a steroid") == 1


def test_the_page_list_action_marks_translations_up_to_date(client, admin_client):
    english_change()
    spanish = Procedure.objects.get(slug="inyeccion-articulacion-sacroiliaca")
    response = admin_client.post(
        LIST, {"action": "translation_mark_up_to_date", "_selected_action": [spanish.pk]}, follow=True
    )
    assert "1 translation marked up to date." in response.content.decode()
    assert not Procedure.objects.get(pk=spanish.pk).translation_out_of_date
    assert notice(client) is None


def test_an_english_save_that_changes_no_words_leaves_the_translation_current(client, admin_client):
    english = Procedure.objects.get(slug="si-joint-injection")
    english.save()
    Section.objects.get(procedure=english, kind="overview").save()
    assert not Procedure.objects.get(slug="inyeccion-articulacion-sacroiliaca").translation_out_of_date
    assert notice(client) is None


def test_a_spanish_guide_falls_out_of_date_too(client, admin_client):
    from procedures.models import Guide

    english = Guide.objects.get(slug="treatment-options")
    english.body = english.body.replace("Many people start with exercise", "Most people start with exercise")
    english.save()
    spanish = Guide.objects.get(slug="opciones-de-tratamiento")
    page = BeautifulSoup(client.get("/es/guides/opciones-de-tratamiento/").content, "html.parser")
    assert page.select_one(".translation-notice a")["href"] == "/guides/treatment-options/"
    item = BeautifulSoup(admin_client.get(QUEUE).content, "html.parser").select_one(".translation-behind")
    assert "Sus opciones" in item.get_text()
    assert [ins.get_text() for ins in item.select("ins")] == ["Most"]
    response = admin_client.post(item.select_one("form")["action"])
    assert response.status_code == 302
    assert not Guide.objects.get(pk=spanish.pk).translation_out_of_date
    page = BeautifulSoup(client.get("/es/guides/opciones-de-tratamiento/").content, "html.parser")
    assert page.select_one(".translation-notice") is None
