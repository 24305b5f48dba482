"""Keeps cached site-wide fragments (menu, site details) in step with the database."""

from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import Procedure, Section, SiteDetails


@receiver([post_save, post_delete], sender=Procedure)
@receiver([post_save, post_delete], sender=Section)
@receiver([post_save, post_delete], sender=SiteDetails)
def content_changed(sender, **kwargs):
    cache.delete_many([Procedure.NAVIGATION_CACHE_KEY, SiteDetails.CACHE_KEY])
