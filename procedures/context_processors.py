"""Puts the organisation's details (name, phone, disclaimer) and the menu in every template."""

from django.conf import settings

from .caching import procedure_menu, site_details


def site_details_and_menu(request):
    return {"site": site_details(), "nav_procedures": procedure_menu(), "SITE_URL": settings.SITE_URL}
