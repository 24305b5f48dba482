"""Opening hours the way people say them: "8 am to 5 pm", "Closed"."""

from django import template
from django.utils.translation import gettext as _

from ..opening_hours import clock, opening_status

register = template.Library()


@register.filter
def open_now(clinic):
    """ "Open now, closes 6 pm" / "Closed now, opens Monday 8 am", in the clinic's own time zone."""
    return str(opening_status(clinic))


@register.filter
def opening_periods(periods):
    if not periods:
        return _("Closed")
    return ", ".join(
        _("%(opens)s to %(closes)s") % {"opens": clock(opens), "closes": clock(closes)} for opens, closes in periods
    )
