"""Patient-page helpers: US dates, the clinic's own number in the help panels, review dates patients may see."""

import datetime

from django import template
from django.utils.dateformat import format as date_format
from django.utils.formats import get_format
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from ..markdown import CLINIC_CALL_SLOT

register = template.Library()


@register.filter
def us_date(value):
    """September 21, 2026 (21 de septiembre de 2026 in Spanish): the active language's DATE_FORMAT."""
    if not value:
        return ""
    if isinstance(value, str):  # a source's `checked`, stored as YYYY-MM-DD
        try:
            value = datetime.date.fromisoformat(value)
        except ValueError:
            return value
    return date_format(value, get_format("DATE_FORMAT"))


@register.filter
def not_past(value):
    """The date when it is today or later, else None: patients never see a review date already gone by."""
    if value and value >= datetime.date.today():
        return value
    return None


@register.filter
def with_clinic_call(body_html, site):
    """A section's stored HTML with the clinic's number and opening hours in the help panels that offer them."""
    if CLINIC_CALL_SLOT not in body_html:
        return mark_safe(body_html)
    if site and site.phone:
        hours = (
            format_html(
                '<p class="help-panel__hours">{}</p>', _("Lines are open %(hours)s.") % {"hours": site.opening_hours}
            )
            if (site.opening_hours)
            else ""
        )
        call = format_html(
            '<p class="help-panel__call"><a class="phone-link" href="{}"><span class="phone-link__label">'
            '{}</span> <span class="phone-link__number">{}</span></a></p>{}',
            site.phone_url,
            _("Call us at"),
            site.phone,
            hours,
        )
    else:
        call = ""
    return mark_safe(body_html.replace(CLINIC_CALL_SLOT, call))
