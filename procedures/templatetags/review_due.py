"""The admin index's list of pages overdue or due soon for clinical review."""

from django import template

from ..admin import REVIEW_SOON_DAYS
from ..models import Procedure

register = template.Library()


@register.simple_tag
def review_due_pages():
    return {
        "overdue": list(Procedure.objects.review_overdue().order_by("next_review_due")),
        "soon": list(Procedure.objects.review_due_within(REVIEW_SOON_DAYS).order_by("next_review_due")),
        "days": REVIEW_SOON_DAYS,
    }
