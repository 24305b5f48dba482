"""Is a clinic open now, and when does that change: "Open now, closes 6 pm" / "Closed now, opens Monday 8 am".

Worked out in the clinic's own time zone, from its weekly opening periods (Clinic.week()).
"""

import datetime
import zoneinfo
from dataclasses import dataclass

from django.utils import timezone

from .models import Weekday, site_time_zone


def clock(value):
    """8 am, 5:30 pm, noon."""
    if value.hour == 12 and value.minute == 0:
        return "noon"
    hour, suffix = value.hour % 12 or 12, "am" if value.hour < 12 else "pm"
    return f"{hour} {suffix}" if value.minute == 0 else f"{hour}:{value.minute:02d} {suffix}"


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
            return OpeningStatus(True, closing, f"Open now, closes {clock(closes)}")
    for ahead in range(8):
        day = today + datetime.timedelta(days=ahead)
        for opens, _closes in week[day.weekday()]:
            if ahead == 0 and opens <= local.time():
                continue
            opening = datetime.datetime.combine(day, opens, zone)
            if ahead == 0:
                when = f"today {clock(opens)}"
            elif ahead == 1:
                when = f"tomorrow {clock(opens)}"
            else:
                when = f"{Weekday(day.weekday()).label} {clock(opens)}"
            return OpeningStatus(False, opening, f"Closed now, opens {when}")
    return OpeningStatus(False, None, "Closed now. Call to ask about opening times")
