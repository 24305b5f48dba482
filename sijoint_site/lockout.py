"""What a staff member sees, and what the log says, when sign-in is locked after too many wrong passwords."""

import logging

from axes.helpers import get_client_username, get_cool_off
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format

from .client import client_ip

logger = logging.getLogger("sijoint_site.lockout")


def locked_out(request, credentials, *args, **kwargs):
    """django-axes' lock-out answer (AXES_LOCKOUT_CALLABLE): plain words, the time to try again, a log line."""
    username = get_client_username(request, credentials) or request.POST.get("username", "")
    address = getattr(request, "axes_ip_address", None) or client_ip(request)
    cool_off = get_cool_off(request)
    until = timezone.localtime(timezone.now() + cool_off) if cool_off else None
    logger.warning(
        "sign-in locked: account %r from address %s until %s",
        username,
        address,
        f"{until:%Y-%m-%d %H:%M %Z}" if until else "unlocked by an administrator",
    )
    minutes = round(cool_off.total_seconds() / 60) if cool_off else None
    return render(
        request,
        "admin/locked_out.html",
        {
            "title": "Sign-in is locked for now",
            "wait": (
                f"{minutes // 60} hour{'s' if minutes // 60 != 1 else ''}"
                if minutes and minutes % 60 == 0
                else f"{minutes} minutes"
            )
            if minutes
            else None,
            "until": f"{date_format(until, 'P')} {until.tzname()}" if until else None,
        },
        status=429,
    )
