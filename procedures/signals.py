"""Any change to patient-facing content bumps the content version, so every cached page is fresh at once."""

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from .glossary import glossary_changed
from .models import (
    Clinic,
    ContentVersion,
    GlossaryTerm,
    Guide,
    OpeningHours,
    Procedure,
    ProcedureRedirect,
    Section,
    SiteDetails,
)

CONTENT_MODELS = (Procedure, Section, SiteDetails, Clinic, OpeningHours, ProcedureRedirect, Guide, GlossaryTerm)


def content_changed(sender, **kwargs):
    if kwargs.get("raw"):  # fixtures being loaded
        return
    ContentVersion.bump()


for model in CONTENT_MODELS:
    post_save.connect(content_changed, sender=model, dispatch_uid=f"content-changed-save-{model.__name__}")
    post_delete.connect(content_changed, sender=model, dispatch_uid=f"content-changed-delete-{model.__name__}")


@receiver(m2m_changed, sender=Clinic.procedures.through)
def clinic_procedures_changed(sender, action, **kwargs):
    if action in ("post_add", "post_remove", "post_clear"):
        ContentVersion.bump()


# A changed term changes the links on every page: render them again (and bump the version, there).
post_save.connect(glossary_changed, sender=GlossaryTerm, dispatch_uid="glossary-changed-save")
post_delete.connect(glossary_changed, sender=GlossaryTerm, dispatch_uid="glossary-changed-delete")


@receiver(post_delete, sender=Section, dispatch_uid="section-deleted-relink")
def section_deleted(sender, instance, **kwargs):
    """A term first used in a deleted section now links where the page next uses it."""
    from .glossary import procedure_sections_render

    if Procedure.objects.filter(pk=instance.procedure_id).exists():
        procedure_sections_render(instance.procedure_id)
