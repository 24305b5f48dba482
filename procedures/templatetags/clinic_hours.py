"""Opening hours the way people say them: "8 am to 5 pm", "Closed"."""

from django import template

register = template.Library()


def clock(value):
    hour = value.hour % 12 or 12
    suffix = "am" if value.hour < 12 else "pm"
    if value.hour == 12 and value.minute == 0:
        return "noon"
    return f"{hour} {suffix}" if value.minute == 0 else f"{hour}:{value.minute:02d} {suffix}"


@register.filter
def opening_periods(periods):
    if not periods:
        return "Closed"
    return ", ".join(f"{clock(opens)} to {clock(closes)}" for opens, closes in periods)
