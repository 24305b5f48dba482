"""Is a clinic open now, and when does that change: "Open now, closes 6 pm" / "Closed now, opens Monday 8 am".

Worked out in the clinic's own time zone, from its weekly opening periods (Clinic.week()). The sentences are
in the active language ("Abierto ahora, cierra a las 6 p. m." on the Spanish pages).
"""

import datetime
import zoneinfo
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, pgettext

from .models import site_time_zone

# The day names Clinic.week() gives (Weekday labels), marked for translation: templates show them with
# {% translate day %} and the sentences below through day_name().
DAY_NAMES = (
    gettext_noop("Monday"),
    gettext_noop("Tuesday"),
    gettext_noop("Wednesday"),
    gettext_noop("Thursday"),
    gettext_noop("Friday"),
    gettext_noop("Saturday"),
    gettext_noop("Sunday"),
)


def day_name(weekday):
    """Monday / lunes, for a weekday number (Monday is 0)."""
    return _(DAY_NAMES[weekday])


def clock(value):
    """8 am, 5:30 pm, noon (in Spanish: 8 a. m., 5:30 p. m., mediodía)."""
    if value.hour == 12 and value.minute == 0:
        return pgettext("time of day", "noon")
    hour = value.hour % 12 or 12
    suffix = pgettext("clock", "am") if value.hour < 12 else pgettext("clock", "pm")
    time = f"{hour}" if value.minute == 0 else f"{hour}:{value.minute:02d}"
    # Spanish joins "8" and "a. m." with no-break spaces, so a narrow screen never splits them over two lines.
    return pgettext("clock: a time and am or pm", "%(time)s %(suffix)s") % {"time": time, "suffix": suffix}


def at_clock(value):
    """A time as it follows "closes" or "opens": "6 pm" in English; "a las 6 p. m.", "a la 1 p. m.",
    "al mediodía" in Spanish, which needs a different word before one o'clock and noon."""
    if value.hour == 12 and value.minute == 0:
        return pgettext("at noon", "%(time)s") % {"time": clock(value)}
    if value.hour % 12 == 1:
        return pgettext("at one o'clock", "%(time)s") % {"time": clock(value)}
    return pgettext("at a time", "%(time)s") % {"time": clock(value)}


@dataclass(frozen=True)
class OpeningStatus:
    open_now: bool
    changes_at: datetime.datetime | None  # when it closes (open) or next opens (closed), clinic's time
    sentence: str  # "Open now, closes 6 pm"

    def __str__(self):
        return self.sentence


def clinic_zone(clinic):
    try:
        return zoneinfo.ZoneInfo(clinic.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(site_time_zone())


def opening_status(clinic, *, now=None):
    """Open now or not, and when that changes, in the clinic's own time zone."""
    zone = clinic_zone(clinic)
    local = (now or timezone.now()).astimezone(zone)
    week = [periods for _day, periods in clinic.week()]
    today = local.date()
    for opens, closes in week[today.weekday()]:
        if opens <= local.time() < closes:
            closing = datetime.datetime.combine(today, closes, zone)
            return OpeningStatus(True, closing, _("Open now, closes %(time)s") % {"time": at_clock(closes)})
    for ahead in range(8):
        day = today + datetime.timedelta(days=ahead)
        for opens, _closes in week[day.weekday()]:
            if ahead == 0 and opens <= local.time():
                continue
            opening = datetime.datetime.combine(day, opens, zone)
            time = at_clock(opens)
            if ahead == 0:
                sentence = _("Closed now, opens today %(time)s") % {"time": time}
            elif ahead == 1:
                sentence = _("Closed now, opens tomorrow %(time)s") % {"time": time}
            else:
                sentence = _("Closed now, opens %(day)s %(time)s") % {"day": day_name(day.weekday()), "time": time}
            return OpeningStatus(False, opening, sentence)
    return OpeningStatus(False, None, _("Closed now. Call to ask about opening times"))
