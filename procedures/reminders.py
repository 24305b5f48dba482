"""Clinical review reminders: e-mail the clinical reviewers 30 days before a page's review is due and on
the day. Safe to run daily from cron: each reminder is recorded (ReviewReminder) and never sent twice."""

import datetime
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.formats import date_format

from .models import Procedure, ReviewReminder

logger = logging.getLogger(__name__)

REVIEWER_GROUP = "Clinical reviewer"
SOON_DAYS = 30


def reminder_recipients():
    """E-mail addresses of active clinical reviewers; REVIEW_REMINDER_EMAILS when there are none."""
    users = get_user_model().objects.filter(is_active=True, groups__name=REVIEWER_GROUP).exclude(email="")
    addresses = sorted(set(users.values_list("email", flat=True)))
    return addresses or list(settings.REVIEW_REMINDER_EMAILS)


def reminders_due(today):
    """[(procedure, kind)] for pages whose review is due today, or in exactly 30 days."""
    due = []
    for procedure in Procedure.objects.filter(next_review_due=today + datetime.timedelta(days=SOON_DAYS)):
        due.append((procedure, ReviewReminder.Kind.SOON))
    for procedure in Procedure.objects.filter(next_review_due=today):
        due.append((procedure, ReviewReminder.Kind.DUE))
    return due


def reminders_send(*, today=None):
    """Send the reminders due today that have not been sent yet. Returns [(procedure, kind, recipients)]."""
    today = today or datetime.date.today()
    recipients = reminder_recipients()
    sent = []
    if not recipients:
        return sent
    for procedure, kind in reminders_due(today):
        try:
            with transaction.atomic():
                # Recorded first, in the same transaction: a second run (or a parallel one) finds it and skips.
                ReviewReminder.objects.create(
                    procedure=procedure, due_date=procedure.next_review_due, kind=kind, recipients=", ".join(recipients)
                )
                send_mail(*reminder_message(procedure, kind), None, recipients)
        except IntegrityError:
            continue  # already sent for this review date
        except OSError as error:  # the mail server refused or is away: not recorded, so tomorrow's run retries
            logger.error("review reminder for %s not sent: %s", procedure.slug, error)
            continue
        sent.append((procedure, kind, recipients))
    return sent


def reminder_message(procedure, kind):
    when = date_format(procedure.next_review_due, "F j, Y")
    link = settings.SITE_URL + reverse("admin:procedures_procedure_change", args=[procedure.pk])
    if kind == ReviewReminder.Kind.DUE:
        subject = f"Clinical review due today: {procedure.title}"
        opening = f"The clinical review of \u201c{procedure.title}\u201d is due today, {when}."
    else:
        subject = f"Clinical review due in 30 days: {procedure.title}"
        opening = f"The clinical review of \u201c{procedure.title}\u201d is due on {when}, in 30 days."
    body = (
        f"{opening}\n\n"
        f"Last reviewed by {procedure.reviewed_by} on {date_format(procedure.last_reviewed, 'F j, Y')}.\n"
        "Please check the page against current guidance, then update its review dates in the staff area:\n"
        f"{link}\n"
    )
    return subject, body
