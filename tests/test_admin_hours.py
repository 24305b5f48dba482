"""A clinic's opening hours in the admin: seven weekday lines, Monday to Sunday, each closed or open with times
shown without seconds; saving writes the OpeningHours rows; clear errors; history kept."""

import datetime

import pytest
from bs4 import BeautifulSoup

from procedures.models import OpeningHours
from tests.test_admin_concurrency import ana, clinic, form_data, injection, open_form, saved  # noqa: F401

pytestmark = pytest.mark.django_db


def url(place):
    return f"/admin/procedures/clinic/{place.pk}/change/"


def week(place):
    return [(row.weekday, f"{row.opens:%H:%M}", f"{row.closes:%H:%M}") for row in place.opening_hours.all()]


def test_seven_weekdays_each_closed_or_open_without_seconds(ana, clinic):  # noqa: F811
    soup = BeautifulSoup(ana.get(url(clinic)).content, "html.parser")
    labels = [label.get_text() for label in soup.select("label[for$='_closed']")]
    assert labels == [
        f"{day}: closed" for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
    ]
    assert soup.select_one("input[name=day0_opens_1]")["value"] == "08:00", "no seconds"
    closed = {f"day{d}" for d in range(7) if soup.select_one(f"input[name=day{d}_closed]").has_attr("checked")}
    assert closed == {f"day{d}" for d in range(7) if not clinic.opening_hours.filter(weekday=d).exists()}
    assert soup.select_one("input[name=day0_opens_1]")["type"] == "text"


def test_saving_the_week_writes_the_rows_and_keeps_history(ana, clinic):  # noqa: F811
    form = open_form(ana, url(clinic))
    form["day1_closes_1"] = "12:00"  # Tuesday: a lunch break, then open again
    form["day1_opens_2"] = "13:00"
    form["day1_closes_2"] = "19:30"
    form["day0_closed"] = "on"  # Monday closed
    form["day0_opens_1"] = form["day0_closes_1"] = ""
    del form["day5_closed"]  # Saturday open 9 to noon
    form["day5_opens_1"], form["day5_closes_1"] = "09:00", "12:00"
    saved(ana.post(url(clinic), form))
    rows = week(clinic)
    assert rows == [(1, "08:00", "12:00"), (1, "13:00", "19:30"), (5, "09:00", "12:00")]
    assert OpeningHours.history.filter(weekday=0, history_type="-").exists(), "the removed hours are in the history"
    again = BeautifulSoup(ana.get(url(clinic)).content, "html.parser")
    assert again.select_one("input[name=day0_closed]").has_attr("checked")
    assert again.select_one("input[name=day1_opens_2]")["value"] == "13:00"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"day0_opens_1": "17:00", "day0_closes_1": "08:00"}, "Monday: "),
        ({"day0_closes_1": ""}, "Monday: give both the opening and the closing time."),
        ({"day0_closed": "on"}, "Monday is marked closed but has opening times"),
        ({"day0_opens_1": "", "day0_closes_1": ""}, "Monday: give the opening and closing times, or tick"),
        ({"day0_opens_1": "8am"}, "Enter a valid time"),
        ({"day0_opens_2": "11:00", "day0_closes_2": "14:00", "day0_closes_1": "12:00"}, "starts before the first"),
    ],
)
def test_clear_errors_and_nothing_saved(ana, clinic, change, message):  # noqa: F811
    before = week(clinic)
    form = open_form(ana, url(clinic))
    form.update(change)
    response = ana.post(url(clinic), form)
    assert response.status_code == 200
    summary = BeautifulSoup(response.content, "html.parser").select_one(".error-summary")
    assert message in summary.get_text()
    assert summary.select_one("a")["href"].startswith("#id_day")
    assert week(clinic) == before
    assert datetime.time(8, 0) in [row.opens for row in clinic.opening_hours.all()]
