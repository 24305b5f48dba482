"""Puts the organisation's details (name, phone, disclaimer) and the menu in every template."""

from django.conf import settings

from .models import Procedure, SiteDetails


def site_details(request):
    return {"site": SiteDetails.current(), "nav_procedures": Procedure.navigation(), "SITE_URL": settings.SITE_URL}
