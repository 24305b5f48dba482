"""manage.py send_review_reminders: 30 days before and on the day, to the clinical reviewers, never twice."""

import datetime
from unittest import mock

import pytest
from django.contrib.auth.models import Group, User
from django.core import mail
from django.core.management import call_command

from procedures.models import Procedure, ReviewReminder
from procedures.reminders import reminders_send

TODAY = datetime.date(2026, 11, 22)


def page(slug, due):
    return Procedure.objects.create(
        title=slug.replace("-", " ").title(),
        slug=slug,
        status="published",
        summary="A page.",
        duration="1 hour",
        anaesthetic="Local",
        going_home="Same day",
        recovery_time="A day",
        reviewed_by="Dr Lee",
        last_reviewed=datetime.date(2025, 12, 1),
        next_review_due=due,
    )


@pytest.fixture
def reviewer(db):
    group, _ = Group.objects.get_or_create(name="Clinical reviewer")
    user = User.objects.create_user("rita", email="rita@example.org", password="a-long-password-123", is_staff=True)
    user.groups.add(group)
    return user


@pytest.fixture
def pages(db):
    return {
        "soon": page("due-in-thirty-days", TODAY + datetime.timedelta(days=30)),
        "today": page("due-today", TODAY),
        "later": page("due-later", TODAY + datetime.timedelta(days=31)),
        "overdue": page("overdue", TODAY - datetime.timedelta(days=1)),
    }


def test_reminders_go_30_days_before_and_on_the_day_to_the_reviewers(reviewer, pages, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    sent = reminders_send(today=TODAY)
    assert sorted((procedure.slug, kind) for procedure, kind, _to in sent) == [
        ("due-in-thirty-days", "soon"),
        ("due-today", "due"),
    ]
    subjects = sorted(message.subject for message in mail.outbox)
    assert subjects == ["Clinical review due in 30 days: Due In Thirty Days", "Clinical review due today: Due Today"]
    assert all(message.to == ["rita@example.org"] for message in mail.outbox)
    assert "December 22, 2026" in next(m.body for m in mail.outbox if "30 days" in m.subject), "US date format"


def test_a_second_run_the_same_day_sends_nothing(reviewer, pages, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    reminders_send(today=TODAY)
    reminders_send(today=TODAY)
    assert len(mail.outbox) == 2
    assert ReviewReminder.objects.count() == 2


def test_a_failed_send_is_not_recorded_so_tomorrow_retries(reviewer, pages):
    with mock.patch("procedures.reminders.send_mail", side_effect=OSError("SMTP away")):
        assert reminders_send(today=TODAY) == []
    assert ReviewReminder.objects.count() == 0


def test_the_command_runs_with_the_console_backend(reviewer, pages, capsys, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with mock.patch("procedures.reminders.datetime") as clock:
        clock.date.today.return_value = TODAY
        clock.timedelta = datetime.timedelta
        call_command("send_review_reminders")
    assert "2 reminder(s) sent." in capsys.readouterr().out


def test_without_reviewers_the_fallback_addresses_are_used(pages, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.REVIEW_REMINDER_EMAILS = ["clinical-lead@example.org"]
    reminders_send(today=TODAY)
    assert {tuple(message.to) for message in mail.outbox} == {("clinical-lead@example.org",)}
